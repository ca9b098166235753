"""Each format becomes sections with heading paths; unreadable files are refused with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import Unreadable, chunk_sections, read_sections


def make_pdf(pages: list[str]) -> bytes:
    """A minimal, valid PDF with one line of Helvetica text per page."""
    n = len(pages)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{' '.join(f'{4 + 2 * i} 0 R' for i in range(n))}] /Count {n} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, text in enumerate(pages):
        content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objs.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {5 + 2 * i} 0 R >>".encode()
        )
        objs.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    out = b"%PDF-1.4\n"
    offsets = []
    for number, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def test_markdown_sections_keep_heading_path_and_ignore_code_fences(tmp_path: Path) -> None:
    doc = "# Core\nintro\n\n## Pipeline\nfive stages\n\n```\n# not a heading\n```\n\n### Hazards\nforwarding\n\n## Caches\nL1\n"
    fmt, sections = read_sections(write(tmp_path, "core.md", doc))
    assert fmt == "markdown"
    assert [s.path for s in sections] == [
        ("Core",),
        ("Core", "Pipeline"),
        ("Core", "Pipeline", "Hazards"),
        ("Core", "Caches"),
    ]
    assert "# not a heading" in sections[1].text


def test_asciidoc_skips_directives_and_keeps_listings(tmp_path: Path) -> None:
    doc = (
        "= Manual\n:toc:\n\n== Loads\n[[lw]]\nLW loads a word.\n\n[source,c]\n----\n== inside listing\nint x;\n----\n"
        "////\nhidden comment\n////\n// line comment\n=== Alignment\nMisaligned loads may trap.\n"
    )
    fmt, sections = read_sections(write(tmp_path, "m.adoc", doc))
    assert fmt == "asciidoc"
    assert [s.path for s in sections] == [("Manual", "Loads"), ("Manual", "Loads", "Alignment")]
    assert "== inside listing" in sections[0].text and "int x;" in sections[0].text
    assert "hidden comment" not in sections[0].text and "[[lw]]" not in sections[0].text


def test_html_headings_become_sections_and_scripts_are_dropped(tmp_path: Path) -> None:
    doc = "<html><head><title>t</title><style>p{}</style></head><body><h1>UART</h1><p>Baud &amp; parity.</p>"
    doc += "<script>alert(1)</script><h2>Registers</h2><ul><li>THR</li><li>LSR</li></ul></body></html>"
    fmt, sections = read_sections(write(tmp_path, "uart.html", doc))
    assert fmt == "html"
    assert [s.path for s in sections] == [("UART",), ("UART", "Registers")]
    assert sections[0].text == "Baud & parity."
    assert "THR" in sections[1].text and "alert" not in sections[1].text


def test_pdf_pages_are_sections_with_page_numbers(tmp_path: Path) -> None:
    fmt, sections = read_sections(write(tmp_path, "ds.pdf", make_pdf(["Timer overview", "Timer registers"])))
    assert fmt == "pdf"
    assert [(s.page, s.text) for s in sections] == [(1, "Timer overview"), (2, "Timer registers")]
    chunks = chunk_sections(sections, "ds.pdf")
    assert [c.page for c in chunks] == [1, 2]


def test_plain_text_is_one_section_split_into_bounded_chunks(tmp_path: Path) -> None:
    text = "\n\n".join(f"paragraph {i} " + "word " * 60 for i in range(10))
    _, sections = read_sections(write(tmp_path, "notes.txt", text))
    chunks = chunk_sections(sections, "notes.txt", max_words=150)
    assert len(sections) == 1 and len(chunks) == 5
    assert all(len(c.text.split()) <= 150 for c in chunks)
    assert chunk_sections(sections, "notes.txt", max_words=150) == chunks  # deterministic ids
    assert len({c.id for c in chunks}) == 5


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.md", b"", "empty file"),
        ("blank.txt", b"  \n\n ", "empty file (only whitespace)"),
        ("blob.txt", b"abc\x00\x01\x02def", "binary file (contains NUL bytes)"),
        ("latin.md", "caf\u00e9 au lait".encode("latin-1"), "not UTF-8 text (invalid byte 0xe9 at offset 3)"),
        ("image.png", b"\x89PNG\r\n", "unknown format '.png'; known formats: .adoc, .asciidoc, .htm"),
        ("Makefile", b"all:\n", "unknown format '(no suffix)'"),
        ("broken.pdf", b"%PDF-1.4 garbage", "not a readable PDF"),
        ("only-comments.adoc", b"// nothing\n:attr: x\n", "no text found in the file"),
    ],
)
def test_unreadable_files_are_refused_with_the_reason(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    with pytest.raises(Unreadable) as info:
        read_sections(write(tmp_path, name, content))
    assert message in str(info.value)


def test_huge_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = write(tmp_path, "big.txt", "word " * 1000)
    with pytest.raises(Unreadable, match=r"file is 0\.0 MiB, over the 0\.0 MiB limit"):
        read_sections(path, max_bytes=1000)
