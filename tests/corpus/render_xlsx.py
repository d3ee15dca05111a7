"""Write a corpus report as an Excel workbook, as a unit that keeps its report in
Excel would: real merged cells (from UP and LEFT), and figures stored as numbers
with the number format that shows them as the text does (95.2% is 0.952 under
``0.0%``, 2,496.34 is 2496.34 under ``#,##0.00``), their floats a little off as
sums computed in a sheet are.

Two layouts: ``one_sheet`` puts the whole report on one sheet, each paragraph
in a row merged across the tables' width, each table right below its paragraph;
``sheet_per_table`` gives each table a sheet of its own, headed by the
paragraphs before it, unmerged, in the first column.
"""

from __future__ import annotations

import re
from pathlib import Path

from .model import LEFT, UP, Report, Table

LAYOUTS = ("one_sheet", "sheet_per_table")

_PLAIN = re.compile(r"^-?\d+(?:\.(\d+))?$")
_THOUSANDS = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.(\d+))?$")
_PERCENT = re.compile(r"^-?\d+(?:\.(\d+))?%$")
# A float as a sheet's arithmetic leaves it: 2496.34 stored as 2496.3400000000001.
_NOISE = 1 + 2**-44


def figure(text: str) -> tuple[float, str] | None:
    """The number a cell showing `text` holds and its number format; None for
    text (a comparator, a unit, a serial number with a leading zero)."""
    for pattern, scale, template in (
        (_PLAIN, 1, "0{}"),
        (_THOUSANDS, 1, "#,##0{}"),
        (_PERCENT, 100, "0{}%"),
    ):
        found = pattern.match(text)
        if found is None:
            continue
        if re.match(r"^-?0\d", text):
            return None
        decimals = found.group(1) or ""
        value = float(text.replace(",", "").rstrip("%")) / scale
        code = template.format("." + "0" * len(decimals) if decimals else "")
        if not decimals and scale == 1 and not text.count(","):
            return value, "General"  # a whole number: the sheet's default format shows it
        return value * _NOISE, code
    return None


def render_xlsx(report: Report, path: Path, layout: str = "one_sheet") -> None:
    import openpyxl  # only this renderer needs it

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "自评报告" if layout == "one_sheet" else "表1"
    width = max((block.width for block in report.body if isinstance(block, Table)), default=1)
    row = 1
    tables = 0
    for block in report.body:
        if isinstance(block, str):
            sheet.cell(row, 1, block)
            if layout == "one_sheet" and width > 1:
                sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
            row += 1
            continue
        _write_table(sheet, block, row)
        row += len(block.rows)
        tables += 1
        if layout == "sheet_per_table":
            sheet = book.create_sheet(f"表{tables + 1}")
            row = 1
    if sheet.max_row == 1 and sheet.cell(1, 1).value is None and len(book.worksheets) > 1:
        book.remove(sheet)
    book.save(path)


def _write_table(sheet, table: Table, top: int) -> None:
    for r, cells in enumerate(table.rows):
        for c, cell in enumerate(cells):
            if not isinstance(cell, str) or not cell:
                continue
            target = sheet.cell(top + r, 1 + c)
            found = figure(cell)
            if found is None:
                target.value = cell
                # openpyxl takes a leading = (a comparator, =100%) for a formula;
                # a unit types such a cell as text.
                target.data_type = "s"
            else:
                target.value, target.number_format = found
    for r, cells in enumerate(table.rows):
        for c, cell in enumerate(cells):
            if not isinstance(cell, str):
                continue
            right = c
            while right + 1 < table.width and cells[right + 1] is LEFT:
                right += 1
            down = r
            while down + 1 < len(table.rows) and table.rows[down + 1][c] is UP:
                down += 1
            if (right, down) != (c, r):
                sheet.merge_cells(
                    start_row=top + r,
                    start_column=1 + c,
                    end_row=top + down,
                    end_column=1 + right,
                )
