"""Normalise a loaded report's text, keeping a map back to the original.

What changes, and why:

- full-width digits, Latin letters and ASCII symbols become half-width, so that
  ``２０２４``, ``％`` and ``＝`` read like their ASCII forms. The full-width
  punctuation of Chinese prose (，；：！？（）) is kept: it is how the text is
  meant to be read, and headings such as （一） are recognised in either width;
- conversion debris (``[image: ]``, ``[bookmark: _GoBack]``), zero-width and
  control characters, and carriage returns are removed;
- spaces inside a number (``3 .5``, ``7, 047``), between a comparator and its
  number (``≥ 95%``) and between a number and its unit (``186.47 万元``,
  ``100.00 %``) are closed up;
- a letter O that OCR or a bad extraction read for the digit 0 after a digit
  (``1O0``, ``10O%``) is the digit again.

Every other character, tabs and newlines included, is left where it is: tables
flattened from Word files are recognised by them.
"""

from __future__ import annotations

import re
from dataclasses import replace

from jixiao.document import Cell, Document, Grid, Loaded, Reading
from jixiao.offsets import OffsetMap

_KEEP_FULL_WIDTH = set("，；：！？（）")
_WIDTH_TABLE: dict[int, int | str] = {
    code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F) if chr(code) not in _KEEP_FULL_WIDTH
}
_WIDTH_TABLE.update({0x3000: " ", 0x00A0: " ", 0x2267: "≥", 0x2266: "≤"})

UNIT_WORDS = "万元|亿元|千元|元|万人次|人次|万人|人|万次|次|个|家|项|名|户|件|份|分|年|月|日|天|%|‰"

_EDITS = re.compile(
    "|".join(
        [
            r"\r\n?",
            r"\[(?:image|bookmark|footnote|endnote|comment|picture|chart|shape)\b[^\]\n]{0,200}\]",
            r"[\u200b-\u200f\u2060\ufeff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+",
            # A space inside a number, between a comparator and its number, or
            # between a number and its unit; two or more are a column gap of a
            # table laid out with spaces, and stay.
            r"(?<=\d) (?=[.,]\d)",
            r"(?<=\d[.,]) (?=\d)",
            r"(?<=[≥≤<>=]) (?=\d)",
            rf"(?<=\d) (?={UNIT_WORDS})",
            # A letter O read for the digit 0 inside a figure (1O0, 10O%).
            r"(?<=\d)[Oo]+(?=[\d%.]|[Oo]*(?:[^\w]|$))",
        ]
    )
)


def normalise_text(text: str) -> tuple[str, OffsetMap]:
    """Return the normalised text and the map from it to ``text``."""
    widened = text.translate(_WIDTH_TABLE)
    edits = []
    pieces = []
    position = 0
    for match in _EDITS.finditer(widened):
        found = match.group()
        if found.startswith("\r"):
            replacement = "\n"
        elif found[0] in "Oo":
            replacement = "0" * len(found)
        else:
            replacement = ""
        edits.append((match.start(), match.end(), replacement))
        pieces.append(widened[position : match.start()])
        pieces.append(replacement)
        position = match.end()
    pieces.append(widened[position:])
    return "".join(pieces), OffsetMap(edits, len(text))


def normalise(loaded: Loaded) -> Document:
    """Normalise a loaded file; its pages, grids and OCR readings are moved onto the
    new text."""
    text, offsets = normalise_text(loaded.text)

    def cell(old: Cell) -> Cell:
        start, end = offsets.to_edited_span(old.start, old.end)
        clean, _ = normalise_text(old.text)
        return replace(old, text=clean.strip(), start=start, end=end)

    grids = [
        Grid(
            rows=[[cell(c) for c in row] for row in grid.rows],
            start=offsets.to_edited(grid.start),
            end=offsets.to_edited(grid.end),
            from_file=grid.from_file,
            caption=normalise_text(grid.caption)[0],
        )
        for grid in loaded.grids
    ]
    pages = [
        replace(page, start=offsets.to_edited(page.start), end=offsets.to_edited(page.end))
        for page in loaded.pages
    ]
    readings = [
        Reading(
            *offsets.to_edited_span(reading.start, reading.end), reading.confidence, reading.page
        )
        for reading in loaded.readings
    ]
    return Document(
        path=loaded.path,
        format=loaded.format,
        sha256=loaded.sha256,
        encoding=loaded.encoding,
        original=loaded.text,
        text=text,
        offsets=offsets,
        pages=pages,
        grids=grids,
        readings=readings,
    )
