"""Read a document into sections: Markdown, AsciiDoc, plain text, HTML and PDF.

A :class:`Section` is the text under one heading together with its heading path (document title
first), and the page for PDFs. Files that cannot be read as a document (binary, empty, not
UTF-8, too big, unknown format, malformed PDF) raise :class:`Unreadable` with a reason a user can
act on; the ingester reports them as skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from tools.errors import QimengError

FORMATS: dict[str, str] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".adoc": "asciidoc",
    ".asciidoc": "asciidoc",
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}
"""File suffix -> format name; anything else is refused as an unknown format."""

MAX_BYTES = 16 * 1024 * 1024
"""Default size limit of one file."""


class Unreadable(QimengError):
    """A file that cannot be ingested; the message says why and what is allowed."""


@dataclass(frozen=True)
class Section:
    """Text under one heading. ``path`` is the heading path, outermost first; ``page`` is 1-based."""

    path: tuple[str, ...]
    text: str
    page: int | None = None


def format_of(path: Path) -> str:
    """The format name of ``path`` from its suffix, or raise :class:`Unreadable` listing known ones."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise Unreadable(f"unknown format {path.suffix or '(no suffix)'!r}; known formats: {known}")
    return fmt


def read_sections(path: Path, max_bytes: int = MAX_BYTES) -> tuple[str, list[Section]]:
    """Read ``path`` and return its format and its non-empty sections, in document order.

    Raises:
        Unreadable: unknown format, empty, binary, not UTF-8, over ``max_bytes``, malformed PDF.
    """
    fmt = format_of(path)
    size = path.stat().st_size
    if size == 0:
        raise Unreadable("empty file")
    if size > max_bytes:
        raise Unreadable(f"file is {size / 2**20:.1f} MiB, over the {max_bytes / 2**20:.1f} MiB limit")
    data = path.read_bytes()
    if fmt == "pdf":
        sections = _pdf(data)
    else:
        text = _decode(data)
        parse = {"markdown": _markdown, "asciidoc": _asciidoc, "text": _plain, "html": _html}[fmt]
        sections = parse(text)
    sections = [s for s in sections if s.text.strip()]
    if not sections:
        raise Unreadable("no text found in the file")
    return fmt, sections


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise Unreadable("binary file (contains NUL bytes); only text documents and PDF are ingested")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unreadable(
            f"not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "convert it first, e.g. iconv -f latin1 -t utf-8"
        ) from None
    if not text.strip():
        raise Unreadable("empty file (only whitespace)")
    return text.replace("\r\n", "\n")


class _Outline:
    """Collects lines into sections while tracking the heading path."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, str]] = []
        self.lines: list[str] = []
        self.sections: list[Section] = []

    def heading(self, level: int, title: str) -> None:
        self.flush()
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, title.strip()))

    def add(self, line: str) -> None:
        self.lines.append(line)

    def flush(self) -> None:
        text = "\n".join(self.lines).strip()
        if text:
            self.sections.append(Section(tuple(t for _, t in self.stack), text))
        self.lines = []

    def done(self) -> list[Section]:
        self.flush()
        return self.sections


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_MD_FENCE = re.compile(r"^\s*(```|~~~)")


def _markdown(text: str) -> list[Section]:
    out = _Outline()
    lines = text.split("\n")
    fence: str | None = None
    for i, line in enumerate(lines):
        fence_match = _MD_FENCE.match(line)
        if fence_match:
            mark = fence_match.group(1)
            fence = None if fence == mark else (fence or mark)
            out.add(line)
            continue
        heading = None if fence else _MD_HEADING.match(line)
        if heading:
            out.heading(len(heading.group(1)), heading.group(2))
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if (
            not fence
            and line.strip()
            and re.fullmatch(r"=+\s*|-{3,}\s*", nxt)
            and not re.fullmatch(r"[-=\s]+", line)
        ):
            out.heading(1 if nxt.startswith("=") else 2, line)
            lines[i + 1] = ""
            continue
        out.add(line)
    return out.done()


_ADOC_HEADING = re.compile(r"^(={1,6})\s+(\S.*)$")
_ADOC_DELIM = re.compile(r"^(-{4,}|\.{4,}|={4,}|\*{4,}|_{4,}|\+{4,}|/{4,}|\|===+)\s*$")
_ADOC_SKIP = re.compile(
    r"^(//|:[\w-]+:|\[.*\]\s*$|include::|ifdef::|ifndef::|endif::|ifeval::|image::|toc::)"
)


def _asciidoc(text: str) -> list[Section]:
    out = _Outline()
    block: str | None = None
    for line in text.split("\n"):
        delim = _ADOC_DELIM.match(line)
        if delim:
            mark = delim.group(1)
            block = None if block == mark else (block or mark)
            continue
        if block is not None and block.startswith("/"):
            continue  # a comment block
        if block is None:
            heading = _ADOC_HEADING.match(line)
            if heading:
                out.heading(len(heading.group(1)), heading.group(2))
                continue
            if _ADOC_SKIP.match(line):
                continue
        out.add(line.lstrip("|") if block and block.startswith("|") else line)
    return out.done()


def _plain(text: str) -> list[Section]:
    return [Section((), text.strip())]


class _HtmlText(HTMLParser):
    _BLOCK = frozenset(
        {"p", "div", "li", "br", "tr", "pre", "section", "article", "table", "ul", "ol", "dt", "dd"}
    )
    _SKIP = frozenset({"script", "style", "noscript", "template", "head"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = _Outline()
        self.skip = 0
        self.heading_level = 0
        self.heading_text: list[str] = []
        self.buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skip += 1
        elif re.fullmatch(r"h[1-6]", tag):
            self._newline()
            self.heading_level, self.heading_text = int(tag[1]), []
        elif tag in self._BLOCK:
            self._newline()

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skip = max(0, self.skip - 1)
        elif re.fullmatch(r"h[1-6]", tag) and self.heading_level:
            title = " ".join("".join(self.heading_text).split())
            if title:
                self.out.heading(self.heading_level, title)
            self.heading_level = 0
        elif tag in self._BLOCK:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        (self.heading_text if self.heading_level else self.buf).append(data)

    def _newline(self) -> None:
        line = " ".join("".join(self.buf).split())
        self.buf = []
        if line:
            self.out.add(line)
            self.out.add("")


def _html(text: str) -> list[Section]:
    parser = _HtmlText()
    parser.feed(text)
    parser.close()
    parser._newline()
    return parser.out.done()


def _pdf(data: bytes) -> list[Section]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise Unreadable("encrypted PDF; decrypt it first")
        title = (reader.metadata.title if reader.metadata else None) or ""
        sections = []
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            if text.strip():
                sections.append(Section((title,) if title else (), text.strip(), page=number))
    except (PdfReadError, PyPdfError, ValueError, KeyError) as exc:
        raise Unreadable(f"not a readable PDF ({exc})") from None
    if not sections:
        raise Unreadable("PDF has no extractable text (a scanned PDF needs OCR first)")
    return sections
