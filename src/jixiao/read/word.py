"""Word files (DOCX, and the DOCX `load.convert` makes of DOC, WPS, ODT and RTF
files): paragraphs and tables in document order.

A table is rendered one row per line with tab-separated cells, and recorded as
a `Grid` whose cells know their offsets; merged cells are repeated in every
position they cover.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import docx
from docx.document import Document as WordDocument
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from lxml import etree

from jixiao.document import Cell, Grid, Loaded
from jixiao.read.base import LoadError, TextBuilder

_RESAVE = "re-save it from Word, or convert it to PDF or TXT"

# Rows are lines and cells are separated by tabs, so a cell's own line breaks
# and tabs would split it.
_CELL_BREAKS = re.compile("[\t\n\r\v\f]")


def load_docx(path: Path, data: bytes, digest: str) -> Loaded:
    document = _open_docx(path, data)
    out = TextBuilder()
    grids: list[Grid] = []
    recent: list[str] = []  # non-empty paragraphs since the last table
    for block in _blocks(document.element.body, document):
        if isinstance(block, Paragraph):
            out.add(block.text + "\n")
            if block.text.strip():
                recent.append(block.text.strip())
            continue
        grid = _add_table(out, block, caption="\n".join(recent[-2:]))
        if grid is not None:
            grids.append(grid)
        recent = []
    text = out.text()
    if not text.strip():
        raise LoadError(
            path,
            "the document has no text (it may hold only images)",
            "if it holds scanned pages, export them as PDF or images, which are read by OCR",
        )
    return Loaded(path=path, format="docx", text=text, sha256=digest, grids=grids)


def _open_docx(path: Path, data: bytes) -> WordDocument:
    if not data.startswith(b"PK"):
        raise LoadError(path, "not a valid DOCX (not a ZIP archive)", _RESAVE)
    try:
        return docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise LoadError(
            path, "not a valid DOCX (the ZIP archive is damaged or truncated)", _RESAVE
        ) from error
    except etree.XMLSyntaxError as error:
        raise LoadError(path, "not a valid DOCX (its XML is damaged)", _RESAVE) from error
    except (KeyError, PackageNotFoundError, ValueError) as error:
        # python-docx: KeyError for a missing part, ValueError for another
        # Office format (an .xlsx renamed .docx).
        raise LoadError(
            path,
            "not a valid DOCX (a ZIP archive without word/document.xml)",
            "check that it is a Word document; " + _RESAVE,
        ) from error


def _blocks(element: etree._Element, parent: WordDocument) -> Iterator[Paragraph | Table]:
    """Paragraphs and tables in document order, looking into content controls
    (w:sdt), which `iter_inner_content` skips."""
    for child in element.iterchildren():
        if child.tag == qn("w:p"):
            yield Paragraph(child, parent)
        elif child.tag == qn("w:tbl"):
            yield Table(child, parent)
        elif child.tag == qn("w:sdt"):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _blocks(content, parent)


def _add_table(out: TextBuilder, table: Table, caption: str) -> Grid | None:
    """Render `table` one row per line into `out`; its grid, or None if it has no cells."""
    rows = [row.cells for row in table.rows]
    rows = [row for row in rows if row]
    if not rows:
        return None
    start = out.length
    grid_rows: list[list[Cell]] = []
    above: list[_Cell] = []
    for row in rows:
        cells = []
        for index, cell in enumerate(row):
            if index:
                out.add("\t")
            text = _cell_text(cell)
            # python-docx hands back the top cell of a vertical merge in every row it spans.
            merged = index < len(above) and cell._tc is above[index]._tc
            cells.append(Cell(text, *out.add(text), merged_above=merged))
        grid_rows.append(cells)
        above = row
        end = out.length
        out.add("\n")
    return Grid(rows=grid_rows, start=start, end=end, from_file=True, caption=caption)


def _cell_text(cell: _Cell) -> str:
    """A cell's text on one line, nested tables included."""
    pieces = []
    for block in cell.iter_inner_content():
        if isinstance(block, Paragraph):
            pieces.append(block.text)
        else:
            for row in block.rows:
                pieces.append(" ".join(_cell_text(inner) for inner in _distinct(row.cells)))
    return _CELL_BREAKS.sub(" ", "\n".join(pieces))


def _distinct(cells: list[_Cell]) -> list[_Cell]:
    """A row's cells with a merged cell once (`row.cells` repeats it)."""
    distinct: list[_Cell] = []
    for cell in cells:
        if not distinct or cell._tc is not distinct[-1]._tc:
            distinct.append(cell)
    return distinct
