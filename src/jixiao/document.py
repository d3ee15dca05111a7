"""The shapes every stage shares: a loaded file, its normalised text, cells and grids.

Offsets are character offsets. A `Loaded` file's offsets point into the text as
extracted from the file; a `Document`'s point into its normalised text, and its
`offsets` map translates between the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from jixiao.offsets import OffsetMap

# "doc" is a Word 97–2003 binary document, whether Word or Kingsoft WPS wrote it
# (WPS writes the same format); "odt" and "rtf" are read, like it, converted to DOCX.
Format = Literal[
    "txt", "docx", "doc", "odt", "rtf", "pdf", "image", "xlsx", "xls", "ods", "html", "ofd"
]


@dataclass(frozen=True)
class Cell:
    """One table cell: its text as a reader sees it, and where it stands in the text.

    `text` may differ from `source[start:end]`: a value split over two lines
    (``≤186.47`` / ``万元``) reads as one string, but its span covers both lines.
    """

    text: str
    start: int
    end: int
    # True where a Word file merged this cell with the one above: the file
    # repeats the text here, a flattened table would leave the cell empty.
    merged_above: bool = False


@dataclass
class Grid:
    """A table as rows of cells. Rows may differ in length: flattened tables lose
    the horizontal spans of merged cells, and the table parser restores them."""

    rows: list[list[Cell]]
    start: int
    end: int
    # True when the file recorded the grid itself (a Word table), so that
    # merged cells are already repeated and no cell had to be guessed.
    from_file: bool = False
    # Text just above the table ("单位：元", "表3-1 …"), where units are often stated.
    caption: str = ""
    # True when the layout leaves out the cells a merge covered (pipe rows, one
    # cell a line), so that a row starting lower in the levels is short on the
    # left; layouts that keep them empty (tabs, Word) leave this False.
    dropped_merges: bool = False


@dataclass
class Page:
    """A page of a PDF or an image. A page with no text layer carries its image
    for OCR; until it is read, it has no span in the text."""

    number: int
    start: int = 0
    end: int = 0
    image: bytes | None = None
    ocr: bool = False  # its text was read by OCR


# Each character's probability, as the recogniser gives it: clean print reads
# at 0.99 and more, a character it hesitated over (``5`` or ``6``, a ``%`` half
# erased, a stray mark read as ``月``) falls below 0.9. A box is as sure as its
# least certain character, so that one doubtful digit is not averaged away by
# the others; a fact read from a box below this goes to a reviewer.
LOW_CONFIDENCE = 0.9


@dataclass(frozen=True)
class Reading:
    """A stretch of the text that OCR read from one box of a scanned page, and
    how sure it was of it (0–1)."""

    start: int
    end: int
    confidence: float
    page: int

    @property
    def doubtful(self) -> bool:
        return self.confidence < LOW_CONFIDENCE


@dataclass
class Loaded:
    """What a loader read from a file, before normalisation."""

    path: Path
    format: Format
    text: str
    sha256: str
    encoding: str | None = None
    pages: list[Page] = field(default_factory=list)
    grids: list[Grid] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)

    @property
    def ocr_pending(self) -> list[Page]:
        return [page for page in self.pages if page.image is not None]


@dataclass
class Document:
    """A report's normalised text and everything that locates things in it."""

    path: Path
    format: Format
    sha256: str
    encoding: str | None
    original: str
    text: str
    offsets: OffsetMap
    pages: list[Page] = field(default_factory=list)
    grids: list[Grid] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)

    @property
    def ocr(self) -> bool:
        """Whether any of its text was read by OCR."""
        return any(page.ocr for page in self.pages)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Where the normalised span ``text[start:end]`` stands in the original text."""
        return self.offsets.to_original_span(start, end)
