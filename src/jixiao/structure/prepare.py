"""The front half of the pipeline, end to end: a file in, its text, sections,
tables and chunks out. Each stage lives in its own module; this one only
strings them together in their one order."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path

from jixiao.document import Document, Grid
from jixiao.read import load
from jixiao.read.normalise import normalise
from jixiao.structure.chunks import DEFAULT_CHUNK_TOKENS, Chunk, TokenCounter, build_chunks
from jixiao.structure.labels import same_length_simplified
from jixiao.structure.numbers import Quantity, find_measures, find_quantities
from jixiao.structure.sections import Section, build_sections
from jixiao.structure.segment import UnreadRegion
from jixiao.structure.tables import Table, build_tables, find_grids, unread_cells


@dataclass
class Prepared:
    """A report made ready for extraction."""

    document: Document
    sections: list[Section]
    tables: list[Table]
    chunks: list[Chunk]
    # The text with its words in simplified characters, every offset kept: where
    # words are looked for, so that a report in traditional characters reads like
    # any other.
    words: str
    # Every quantity of the text, in order, and those of them that measure
    # something (not a date, year, 文号, page or list number).
    quantities: list[Quantity]
    measures: list[Quantity]
    # The tokens of any stretch of the text, as the chunks were weighed.
    tokens: TokenCounter
    # Stretches holding figures that no table reader took: regions that read like a
    # table but no layout cut, tables of no known kind, columns no vocabulary names.
    unread: list[UnreadRegion] = field(default_factory=list)
    # The grids the tables were read from: a record keeps them for its checks.
    grids: list[Grid] = field(default_factory=list)

    def measures_in(self, start: int, end: int) -> list[Quantity]:
        """The measures that begin in ``text[start:end]``."""
        at = attrgetter("start")
        return self.measures[
            bisect_left(self.measures, start, key=at) : bisect_left(self.measures, end, key=at)
        ]

    def to_json(self) -> dict:
        document = self.document
        return {
            "path": str(document.path),
            "format": document.format,
            "encoding": document.encoding,
            "sha256": document.sha256,
            "chars": len(document.text),
            "pages": len(document.pages) or None,
            "sections": [section.to_json() for section in self.sections],
            "tables": [table.to_json() for table in self.tables],
            "chunks": [chunk.to_json() for chunk in self.chunks],
            "unread": [
                {"start": region.start, "end": region.end, "reason": str(region.reason)}
                for region in self.unread
            ],
        }


def prepare(
    path: Path, chunk_tokens: int = DEFAULT_CHUNK_TOKENS, data: bytes | None = None
) -> Prepared:
    """Load, read scanned pages by OCR, normalise, split into sections and tables,
    and chunk one report (the file at `path`, or `data` under its name)."""
    loaded = load(path, data)
    if loaded.ocr_pending:
        # The OCR engine and OpenCV cost a process some 100 MB: only scans pay it.
        from jixiao.read.ocr import read_pages

        loaded = read_pages(loaded)
    document = normalise(loaded)
    text = document.text
    grids, unread_regions = find_grids(document)
    tables = build_tables(grids)
    sections = build_sections(text, skip=[(grid.start, grid.end) for grid in grids])
    tokens = TokenCounter(text)
    chunks = build_chunks(text, sections, tables, chunk_tokens, tokens)
    quantities = find_quantities(text)
    unread = unread_regions + [
        UnreadRegion(start, end, reason) for start, end, reason in unread_cells(tables)
    ]
    return Prepared(
        document,
        sections,
        tables,
        chunks,
        words=same_length_simplified(text),
        quantities=quantities,
        measures=find_measures(text, quantities),
        tokens=tokens,
        unread=sorted(unread, key=lambda r: r.start),
        grids=grids,
    )
