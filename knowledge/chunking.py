"""Split sections into chunks that fit the embedding model, keeping heading path, source and page.

Chunks never cross a section boundary. Paragraphs are packed up to ``max_words``; a longer
paragraph (a long listing, a table) is cut at line, then word, boundaries. Ids are a hash of the
source, the chunk's position and its text, so the same file always yields the same ids and any
edit yields new ones.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from knowledge.readers import Section

MAX_WORDS = 150
"""About 200 word pieces: the model (max 256) sees the heading path and the whole chunk."""

SECTION_SEP = " > "


@dataclass(frozen=True)
class Chunk:
    """One retrievable piece of a document."""

    id: str
    text: str
    source: str
    section: str
    page: int | None
    index: int

    @property
    def embed_text(self) -> str:
        """What the model embeds: the heading path gives short chunks their context."""
        return f"{self.section}\n{self.text}" if self.section else self.text


def chunk_sections(sections: list[Section], source: str, max_words: int = MAX_WORDS) -> list[Chunk]:
    """Cut ``sections`` of the document ``source`` into chunks of at most ``max_words`` words."""
    chunks: list[Chunk] = []
    for section in sections:
        heading = SECTION_SEP.join(section.path)
        for text in _pack(_paragraphs(section.text, max_words), max_words):
            index = len(chunks)
            digest = hashlib.sha256(f"{source}\x00{index}\x00{heading}\x00{text}".encode()).hexdigest()
            chunks.append(Chunk(digest[:32], text, source, heading, section.page, index))
    return chunks


def _words(text: str) -> int:
    return len(text.split())


def _paragraphs(text: str, max_words: int) -> list[str]:
    """Blank-line separated paragraphs, each cut to at most ``max_words`` words."""
    out: list[str] = []
    for para in text.split("\n\n"):
        para = para.strip("\n")
        if not para.strip():
            continue
        if _words(para) <= max_words:
            out.append(para)
            continue
        lines: list[str] = []
        for line in para.split("\n"):
            if _words(line) > max_words:
                tokens = line.split()
                lines.extend(" ".join(tokens[i : i + max_words]) for i in range(0, len(tokens), max_words))
            else:
                lines.append(line)
        out.extend(_pack(lines, max_words, sep="\n"))
    return out


def _pack(pieces: list[str], max_words: int, sep: str = "\n\n") -> list[str]:
    """Greedily join consecutive pieces while the total stays within ``max_words``."""
    out: list[str] = []
    current: list[str] = []
    count = 0
    for piece in pieces:
        n = _words(piece)
        if current and count + n > max_words:
            out.append(sep.join(current))
            current, count = [], 0
        current.append(piece)
        count += n
    if current:
        out.append(sep.join(current))
    return [p for p in out if p.strip()]
