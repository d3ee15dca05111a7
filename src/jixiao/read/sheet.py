"""Spreadsheets (XLSX and XLSM, XLS, ODS): each visible sheet as text lines and tables.

Values come from python-calamine, which reads all three formats and hands over
what a formula last computed, never the formula: nothing in the file is
evaluated and no macro runs. How a value is shown comes from the file's own
record of it: the number format of an XLSX cell (openpyxl) or of an XLS cell
(xlrd), or the text an ODS cell stores beside its value. Merged cells come
from calamine (XLSX, XLS) or from the ODS cells' spans. That second reader runs
first, and also finds where each sheet's values lie: calamine holds a sheet's
used range as one block, so a sheet whose values span more than `MAX_CELLS`
(a stray value at its far corner) is refused before calamine reads it.

A sheet is written as a line with its name, then its used range: rows holding a
single text (a title merged across the sheet, 说明, 单位：万元) above or between
tables are text lines, which the next table takes as its caption; the other
rows are tables, one row per line with tab-separated cells, recorded as `Grid`s
whose cells know their offsets. A merged cell's text is repeated in every
position it covers, as the table parser expects of a grid read from a file. An
empty row ends a table.

Hidden sheets are left out: a reader of the workbook does not see them (they
hold lookups, old versions, drafts). Hidden rows and columns of a visible sheet
are read, since calamine does not say which they are.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import python_calamine
from lxml import etree

from jixiao.document import Cell, Format, Grid, Loaded
from jixiao.read.base import LoadError, TextBuilder
from jixiao.read.numformat import show_date, shown

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_RESAVE = "open it in Excel, WPS or LibreOffice and save it again, or export it as PDF"
_NO_PASSWORD = "open it with its password and save a copy without one"

Position = tuple[int, int]  # (row, column) from the sheet's top left, from 0
Merge = tuple[int, int, int, int]  # top, left, bottom, right, inclusive
Value = int | float | str | bool | date | datetime | time | timedelta

# Rows are lines and cells are separated by tabs, so a cell's own line breaks
# and tabs would split it. A break between two Chinese characters is where the
# sheet wrapped a label (年初\n预算数): they join without a space.
_CJK_BREAK = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])[\r\n]+(?=[\u3000-\u9fff\uff00-\uffef])")
_CELL_BREAKS = re.compile("[\t\n\r\v\f]+")


@dataclass
class _Shown:
    """What a format records of how its cells are shown, by position."""

    formats: dict[Position, str] = field(default_factory=dict)  # number format codes
    # Texts the file records as shown: an ODS cell's, a formula's error (#DIV/0!),
    # which calamine reads as an empty cell.
    texts: dict[Position, str] = field(default_factory=dict)
    merges: list[Merge] | None = None  # where calamine knows none (ODS)
    # The first and last row and column holding a value, None for none.
    corners: tuple[Position, Position] | None = None

    def holds(self, row: int, column: int) -> None:
        if self.corners is None:
            self.corners = ((row, column), (row, column))
            return
        (top, left), (bottom, right) = self.corners
        self.corners = (
            (min(top, row), min(left, column)),
            (max(bottom, row), max(right, column)),
        )


def load_xlsx(path: Path, data: bytes, digest: str) -> Loaded:
    return _load(path, data, digest, "xlsx")


def load_xls(path: Path, data: bytes, digest: str) -> Loaded:
    return _load(path, data, digest, "xls")


def load_ods(path: Path, data: bytes, digest: str) -> Loaded:
    return _load(path, data, digest, "ods")


def _load(path: Path, data: bytes, digest: str, kind: Format) -> Loaded:
    _refuse_encrypted(path, data, kind)
    if kind != "xls":
        _refuse_bomb(path, data)
    # Read before calamine, which holds a sheet's used range as one block: a
    # value in the sheet's far corner would take more memory than there is.
    shown_by_sheet = _SHOWN[kind](path, data)
    for name, shown_here in shown_by_sheet.items():
        _refuse_vast(path, name, shown_here.corners)
    book = _open(path, data, kind)
    out = TextBuilder()
    grids: list[Grid] = []
    hidden_with_cells = 0
    for meta in book.sheets_metadata:
        if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
            continue  # chart and macro sheets hold no cells a reader sees
        sheet = _read_sheet(path, book, meta.name)
        if meta.visible != python_calamine.SheetVisibleEnum.Visible:
            hidden_with_cells += any(value != "" for row in sheet.rows for value in row)
            continue
        texts, merged_above = _texts(sheet, shown_by_sheet.get(meta.name, _Shown()))
        if texts:  # an empty sheet (Sheet2, Sheet3 of a new workbook) is no part of the report
            _write_sheet(out, grids, meta.name, texts, merged_above)
    if not out.length:
        raise LoadError(path, *_no_cells(hidden_with_cells))
    return Loaded(path=path, format=kind, text=out.text(), sha256=digest, grids=grids)


def _no_cells(hidden_with_cells: int) -> tuple[str, str]:
    if hidden_with_cells:
        return (
            f"the workbook's visible sheets hold no cells ({hidden_with_cells} hidden sheet(s) do)",
            "unhide the sheets that are part of the report and save it again",
        )
    return "the workbook holds no cells", "check that it is the report and was saved completely"


# --- opening -------------------------------------------------------------------


def _refuse_encrypted(path: Path, data: bytes, kind: Format) -> None:
    """A password-protected workbook, which no reader here can open, named as such.

    Excel encrypts an XLSX into an OLE2 file (an XLS is encrypted inside its own
    stream, which xlrd reports); an encrypted ODS keeps its ZIP but declares
    the encryption in its manifest.
    """
    protected = LoadError(path, "the workbook is password-protected", _NO_PASSWORD)
    if data.startswith(_OLE2_MAGIC) and "EncryptedPackage".encode("utf-16-le") in data:
        raise protected
    if kind != "xls" and data.startswith(_OLE2_MAGIC):
        raise LoadError(
            path,
            f"not a valid {kind.upper()} (an old binary .xls file, or a password-protected"
            " workbook)",
            _RESAVE,
        )
    if kind == "ods":
        try:
            manifest = zipfile.ZipFile(io.BytesIO(data)).read("META-INF/manifest.xml")
        except (zipfile.BadZipFile, KeyError, OSError, EOFError):
            return  # calamine says what is wrong
        if b"encryption-data" in manifest:
            raise protected


# A report's workbook unpacks to a few megabytes. An archive that claims far
# more is built to exhaust memory (a "zip bomb").
MAX_UNPACKED_BYTES = 500 * 2**20


def _refuse_bomb(path: Path, data: bytes) -> None:
    try:
        unpacked = sum(item.file_size for item in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, OSError, EOFError):
        return  # the readers say what is wrong
    if unpacked > MAX_UNPACKED_BYTES:
        raise LoadError(
            path,
            f"the workbook unpacks to {unpacked / 2**20:,.0f} MB, far more than a report",
            "check that it is the report; if it is, export its sheets as PDF",
        )


def _open(path: Path, data: bytes, kind: Format) -> python_calamine.CalamineWorkbook:
    try:
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError as error:
        raise LoadError(path, "the workbook is password-protected", _NO_PASSWORD) from error
    except (python_calamine.CalamineError, ValueError, OSError) as error:
        raise LoadError(
            path, f"not a valid {kind.upper()} (the file is damaged: {_reason(error)})", _RESAVE
        ) from error


def _reason(error: Exception) -> str:
    return str(error).splitlines()[0][:160] if str(error) else type(error).__name__


@dataclass
class _Values:
    """A sheet's values over its used range, which starts at `origin`."""

    origin: Position
    rows: list[list[Value]]
    merges: list[Merge] | None  # None where calamine reads none (ODS)


# A report's sheets hold some thousands of cells. A used range far larger is a
# stray value at the sheet's far end, and reading it would take gigabytes.
MAX_CELLS = 2_000_000


def _refuse_vast(path: Path, name: str, corners: tuple[Position, Position] | None) -> None:
    if corners is None:
        return
    (top, left), (bottom, right) = corners
    height, width = bottom - top + 1, right - left + 1
    if height * width > MAX_CELLS:
        raise LoadError(
            path,
            f"the sheet “{name}” spans {height:,} rows and {width:,} columns, more than"
            " a report's tables",
            "delete the cells far from its tables (Ctrl+End shows the last one), or"
            " copy the report's cells into a new workbook",
        )


def _read_sheet(path: Path, book: python_calamine.CalamineWorkbook, name: str) -> _Values:
    try:
        sheet = book.get_sheet_by_name(name)
        if sheet.start is None:
            return _Values((0, 0), [], [])
        rows = sheet.to_python(skip_empty_area=True)
        ranges = sheet.merged_cell_ranges
    except (python_calamine.CalamineError, ValueError) as error:
        raise LoadError(
            path, f"the sheet “{name}” is damaged ({_reason(error)})", _RESAVE
        ) from error
    merges: list[Merge] | None = None
    if ranges is not None:
        merges = [(top, left, bottom, right) for (top, left), (bottom, right) in ranges]
    return _Values(sheet.start, rows, merges)


# --- how cells are shown ----------------------------------------------------------


def _damaged(path: Path, kind: str, error: Exception) -> LoadError:
    return LoadError(path, f"not a valid {kind} (the file is damaged: {_reason(error)})", _RESAVE)


def _xlsx_shown(path: Path, data: bytes) -> dict[str, _Shown]:
    """Each sheet's number formats, read by openpyxl (calamine reads none)."""
    import openpyxl  # only XLSX needs it

    found = {}
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        for sheet in book.worksheets:
            # A writer may state a wrong size; without it every row is read.
            sheet.reset_dimensions()
            shown_here = found[sheet.title] = _Shown()
            for row in sheet.iter_rows():
                cells = [cell for cell in row if cell.value is not None]
                if not cells:
                    continue
                shown_here.holds(cells[0].row - 1, cells[0].column - 1)
                shown_here.holds(cells[-1].row - 1, cells[-1].column - 1)
                for cell in cells:
                    position = cell.row - 1, cell.column - 1
                    if cell.data_type == "e":
                        shown_here.texts[position] = str(cell.value)
                    elif isinstance(cell.value, int | float) and cell.number_format != "General":
                        shown_here.formats[position] = cell.number_format
        book.close()
    except Exception as error:  # openpyxl raises whatever its parsers raise
        raise _damaged(path, "XLSX", error) from error
    return found


def _xls_shown(path: Path, data: bytes) -> dict[str, _Shown]:
    """Each sheet's number formats, read by xlrd (calamine reads none)."""
    import xlrd  # only XLS needs it

    found = {}
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
        for index, name in enumerate(book.sheet_names()):
            sheet = book.sheet_by_index(index)
            shown_here = found[name] = _Shown()
            for row in range(sheet.nrows):
                for column in range(sheet.row_len(row)):
                    kind = sheet.cell_type(row, column)
                    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                        continue
                    shown_here.holds(row, column)
                    if kind == xlrd.XL_CELL_ERROR:
                        code = sheet.cell_value(row, column)
                        shown_here.texts[row, column] = xlrd.error_text_from_code.get(code, "#N/A")
                    elif kind == xlrd.XL_CELL_NUMBER:
                        xf = book.xf_list[sheet.cell_xf_index(row, column)]
                        shown_here.formats[row, column] = book.format_map[xf.format_key].format_str
        book.release_resources()
    except xlrd.XLRDError as error:
        if "encrypted" in str(error):
            raise LoadError(path, "the workbook is password-protected", _NO_PASSWORD) from error
        raise _damaged(path, "XLS", error) from error
    except Exception as error:  # xlrd raises whatever its parsers raise on damaged bytes
        raise _damaged(path, "XLS", error) from error
    return found


_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
# The XML of an untrusted file: no entities expanded, nothing fetched.
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
# A cell repeated over more positions than this (a value dragged down a column)
# is not written out: calamine still reads its value.
_MAX_REPEAT = 10_000


def _ods_shown(path: Path, data: bytes) -> dict[str, _Shown]:
    """Each sheet's shown texts and merged ranges, from the ODS content: an ODS
    cell stores the text it shows (95.20%) beside its value (0.952)."""
    try:
        content = zipfile.ZipFile(io.BytesIO(data)).read("content.xml")
        root = etree.fromstring(content, _SAFE_XML)
        return {
            table.get(_TABLE + "name", ""): _ods_table(table)
            for table in root.iter(_TABLE + "table")
        }
    except (
        zipfile.BadZipFile,
        KeyError,
        OSError,
        EOFError,
        zlib.error,
        etree.XMLSyntaxError,
        ValueError,
    ) as error:
        raise _damaged(path, "ODS", error) from error


def _ods_table(table: etree._Element) -> _Shown:
    """One table's texts and spans. Rows and cells may stand for several (a
    repeat count): a sheet's unused remainder is one empty row repeated a
    million times."""
    shown_here = _Shown(merges=[])
    row = 0
    for row_element in _ods_rows(table):
        rows = int(row_element.get(_TABLE + "number-rows-repeated", "1"))
        column = 0
        for cell in row_element:
            if cell.tag not in (_TABLE + "table-cell", _TABLE + "covered-table-cell"):
                continue
            columns = int(cell.get(_TABLE + "number-columns-repeated", "1"))
            if len(cell) or cell.get(_OFFICE + "value-type"):
                shown_here.holds(row, column)
                shown_here.holds(row + rows - 1, column + columns - 1)
                if rows * columns <= _MAX_REPEAT:
                    _ods_cell(
                        shown_here, cell, range(row, row + rows), range(column, column + columns)
                    )
            column += columns
        row += rows
    return shown_here


def _ods_cell(shown_here: _Shown, cell: etree._Element, rows: range, columns: range) -> None:
    text = "\n".join("".join(p.itertext()) for p in cell.iter(_TEXT + "p"))
    down = int(cell.get(_TABLE + "number-rows-spanned", "1"))
    across = int(cell.get(_TABLE + "number-columns-spanned", "1"))
    assert shown_here.merges is not None  # an ODS table's shown cells know its merges
    for row in rows:
        for column in columns:
            if text:
                shown_here.texts[row, column] = text
            if down > 1 or across > 1:
                shown_here.merges.append((row, column, row + down - 1, column + across - 1))


def _ods_rows(element: etree._Element) -> Iterator[etree._Element]:
    """A table's rows in order, inside header-row and row-group wrappers too."""
    for child in element:
        if child.tag == _TABLE + "table-row":
            yield child
        elif child.tag in (
            _TABLE + "table-header-rows",
            _TABLE + "table-rows",
            _TABLE + "table-row-group",
        ):
            yield from _ods_rows(child)


_SHOWN: dict[str, Callable[[Path, bytes], dict[str, _Shown]]] = {
    "xlsx": _xlsx_shown,
    "xls": _xls_shown,
    "ods": _ods_shown,
}


def _show(value: Value, position: Position, shown_here: _Shown) -> str:
    """A cell's value as the sheet shows it."""
    text = shown_here.texts.get(position)
    if text is not None:
        return text
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return shown(value, shown_here.formats.get(position))
    if isinstance(value, date | time | timedelta):
        return show_date(value)
    return str(value)


# --- cells to lines and tables ----------------------------------------------------


def _texts(sheet: _Values, shown_here: _Shown) -> tuple[list[list[str]], set[Position]]:
    """The sheet's cell texts, merged cells repeated, and the positions a
    vertical merge repeats; trimmed to the cells that hold text."""
    row0, column0 = sheet.origin
    width = max((len(row) for row in sheet.rows), default=0)
    texts = [
        [
            _clean(_show(value, (row0 + r, column0 + c), shown_here))
            if value != "" or (row0 + r, column0 + c) in shown_here.texts
            else ""
            for c, value in enumerate(row)
        ]
        + [""] * (width - len(row))
        for r, row in enumerate(sheet.rows)
    ]
    merged_above: set[Position] = set()
    merges = sheet.merges if sheet.merges is not None else shown_here.merges or []
    for top, left, bottom, right in merges:
        top, left, bottom, right = top - row0, left - column0, bottom - row0, right - column0
        if not (0 <= top < len(texts) and 0 <= left < width):
            continue  # its first cell, which holds the text, is empty
        text = texts[top][left]
        for r in range(top, min(bottom, len(texts) - 1) + 1):
            for c in range(left, min(right, width - 1) + 1):
                texts[r][c] = text
                if r > top and text:
                    merged_above.add((r, c))
    filled_rows = [r for r, row in enumerate(texts) if any(row)]
    filled_columns = [c for c in range(width) if any(row[c] for row in texts)]
    if not filled_rows:
        return [], set()
    top, left = filled_rows[0], filled_columns[0]
    trimmed = [row[left : filled_columns[-1] + 1] for row in texts[top : filled_rows[-1] + 1]]
    return trimmed, {(r - top, c - left) for r, c in merged_above}


def _clean(text: str) -> str:
    return _CELL_BREAKS.sub(" ", _CJK_BREAK.sub("", text)).strip()


def _single_text(row: list[str], r: int, merged_above: set[Position]) -> str | None:
    """The text of a row holding one text only (one cell, or one merged across),
    none of it merged down from the row above; None for another row."""
    distinct = {text for text in row if text}
    if len(distinct) != 1 or any((r, c) in merged_above for c, text in enumerate(row) if text):
        return None
    return distinct.pop()


def _write_sheet(
    out: TextBuilder,
    grids: list[Grid],
    name: str,
    texts: list[list[str]],
    merged_above: set[Position],
) -> None:
    """The sheet's name, then its rows: text lines and tables.

    A row of one text is a line above or between tables; inside a table it
    stays a row (a label without figures, 其中：) unless it is merged across
    half the sheet's width, as a title is.
    """
    out.add(name + "\n")
    recent = [name]  # text lines since the last table: its caption
    table: list[int] = []  # the rows of the table being read

    def flush() -> None:
        nonlocal recent
        if table:
            grids.append(_add_table(out, texts, table, merged_above, "\n".join(recent[-2:])))
            table.clear()
            recent = []

    for r, row in enumerate(texts):
        if not any(row):
            flush()
            continue
        single = _single_text(row, r, merged_above)
        span = sum(1 for text in row if text)
        wide = span >= 2 and span * 2 >= len(row)
        if single is not None and (not table or wide):
            flush()
            out.add(single + "\n")
            recent.append(single)
        else:
            table.append(r)
    flush()


def _add_table(
    out: TextBuilder,
    texts: list[list[str]],
    rows: list[int],
    merged_above: set[Position],
    caption: str,
) -> Grid:
    """Write the rows one per line, cells separated by tabs; their grid, its
    columns trimmed to those the rows fill."""
    columns = [c for c in range(len(texts[0])) if any(texts[r][c] for r in rows)]
    left, right = columns[0], columns[-1] + 1
    start = out.length
    grid_rows = []
    for r in rows:
        cells = []
        for c in range(left, right):
            if c > left:
                out.add("\t")
            text = texts[r][c]
            cells.append(Cell(text, *out.add(text), merged_above=(r, c) in merged_above))
        grid_rows.append(cells)
        end = out.length
        out.add("\n")
    return Grid(rows=grid_rows, start=start, end=end, from_file=True, caption=caption)
