"""Write a report in one layout family: the prose is the same in every family,
only the tables are flattened differently (see ../shared/LAYOUTS.md).

Merged cells: UP (a level cell merged down) and LEFT (a cell spanning to the
right) are shown as each family's source would show them: an extra empty line
where a converter writes one per grid cell, nothing where it writes one per
Word cell.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from .hant import convert
from .model import LEFT, UP, Cell, Report, Table


def _cells(row: list[Cell], keep_up: bool = False, keep_empty: bool = True) -> list[str]:
    """A row's cells as text: LEFT (a span) always vanishes; UP stays as an
    empty cell only where the family writes one per grid cell."""
    out = []
    for cell in row:
        if cell is LEFT or (cell is UP and not keep_up):
            continue
        text = "" if cell is UP else str(cell)
        if text or keep_empty:
            out.append(text)
    return out


def pipe_lines(table: Table) -> str:
    lines = []
    for row in table.rows:
        for cell in row:
            if cell is UP:
                lines.append("|")
            elif cell is not LEFT:
                lines.append(f"{cell} |")
        lines.append("|" * table.width)
    return "\n".join(lines)


def markdown(table: Table) -> str:
    return "\n".join("| " + " | ".join(_cells(row)) + " |" for row in table.rows)


# Labels a flattened spreadsheet breaks with spaces (one cell's text wrapped in
# the sheet comes out as two words).
_BROKEN = {
    "年初预算数": "年初预算 数",
    "全年预算数": "全年预算 数",
    "全年执行数": "全年 执行数",
    "年度总体目标": "年度 总体 目标",
    "实际完成值": "实际 完成值",
    "实际完成情况": "实际完成 情况",
    "偏差原因分析及改进措施": "偏差原因分析 及改进措施",
}
_BROKEN |= {convert(key): convert(value) for key, value in _BROKEN.items()}


def one_line(table: Table) -> str:
    lines, current = [], []
    for n, row in enumerate(table.rows):
        if n in table.breaks and current:
            lines.append(" ".join(current))
            current = []
        current += [_BROKEN.get(text, text) for text in _cells(row, keep_empty=False)]
    lines.append(" ".join(current))
    return "\n".join(lines)


def run_together(table: Table) -> str:
    return "\n".join("".join(_cells(row, keep_empty=False)) for row in table.rows)


def tab_cells(table: Table) -> str:
    rows = ["\n".join("\t" + text for text in _cells(row, keep_up=True)) for row in table.rows]
    return "\n\n".join(rows)


def tab_rows(table: Table) -> str:
    return "\n".join("\t".join(_cells(row, keep_up=True)) for row in table.rows)


def one_cell_per_line(table: Table) -> str:
    # An empty cell would read as a row break here, so extraction drops it.
    return "\n\n".join("\n".join(_cells(row, keep_empty=False)) for row in table.rows)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _wrap(text: str, width: int) -> list[str]:
    """Wrap to a display width, never inside a run of digits (a figure that
    pdftotext splits over two lines is another family's damage)."""
    pieces, line = [], ""
    tokens: list[str] = []
    for ch in text:
        if tokens and (ch.isdigit() or ch in ".,%") and tokens[-1][-1:].isdigit():
            tokens[-1] += ch
        else:
            tokens.append(ch)
    for token in tokens:
        if line and _width(line + token) > width:
            pieces.append(line)
            line = ""
        line += token
    return [*pieces, line] if line or not pieces else pieces


_COLUMN_MAX = 22  # display columns a PDF table cell is at most
_GAP = 3


def spaces(table: Table) -> str:
    """Columns aligned by runs of spaces, long cells wrapped within their
    column, as pdftotext -layout gives."""
    ncols = table.width
    spans: list[list[tuple[int, int, str]]] = []
    for row in table.rows:
        found = []
        for col, cell in enumerate(row):
            if cell is LEFT or cell is UP:
                continue
            span = 1
            while col + span < ncols and row[col + span] is LEFT:
                span += 1
            found.append((col, span, str(cell)))
        spans.append(found)
    widths = [2] * ncols
    for found in spans:
        for col, span, text in found:
            if span == 1:
                widths[col] = max(widths[col], min(_width(text), _COLUMN_MAX))
    starts = [sum(widths[:col]) + _GAP * col for col in range(ncols)]
    lines = []
    for found in spans:
        wrapped = []
        for col, span, text in found:
            room = sum(widths[col : col + span]) + _GAP * (span - 1)
            wrapped.append((starts[col], _wrap(text, room)))
        for k in range(max((len(chunks) for _, chunks in wrapped), default=1)):
            line = ""
            for start, chunks in wrapped:
                if k < len(chunks) and chunks[k]:
                    line += " " * max(start - _width(line), 0) + chunks[k]
            lines.append(line.rstrip())
    return "\n".join(lines)


FAMILIES: dict[str, Callable[[Table], str]] = {
    "pipe_lines": pipe_lines,
    "markdown": markdown,
    "one_line": one_line,
    "run_together": run_together,
    "tab_cells": tab_cells,
    "tab_rows": tab_rows,
    "spaces": spaces,
    "one_cell_per_line": one_cell_per_line,
}


def _glitch(tables: list[str], glitches: tuple[tuple[str, str], ...]) -> list[str]:
    """Each stray-letter glitch, once, in the first table that has its text."""
    tables = list(tables)
    for old, new in glitches:
        for n, text in enumerate(tables):
            if old in text:
                tables[n] = text.replace(old, new, 1)
                break
        else:
            raise ValueError(f"glitch {old!r} matches no table")
    return tables


def render_text(report: Report, family: str) -> str:
    """The report as text, its tables in `family`."""
    flatten = FAMILIES[family]
    tables = [flatten(block) for block in report.body if isinstance(block, Table)]
    if family == "run_together":
        tables = _glitch(tables, report.glitches)
    between = "\n\n" if report.gap else "\n"
    out, tables_left = "", iter(tables)
    for n, block in enumerate(report.body):
        if isinstance(block, Table):
            out = out.rstrip("\n") + "\n\n" + next(tables_left) + "\n\n"
        else:
            out += block + (between if n + 1 < len(report.body) else "\n")
    return out.lstrip("\n")


_EPOCH = datetime(2025, 1, 1)


def render_docx(report: Report, path: Path) -> None:
    """The report as a Word file with real tables and real merged cells,
    written byte for byte the same on every run."""
    import docx  # python-docx: only this renderer needs it

    document = docx.Document()
    core = document.core_properties
    core.author = core.last_modified_by = "jixiao corpus"
    core.created = core.modified = _EPOCH
    core.revision = 1
    for block in report.body:
        if isinstance(block, str):
            document.add_paragraph(block)
            continue
        grid = document.add_table(rows=len(block.rows), cols=block.width)
        grid.style = "Table Grid"
        for r, row in enumerate(block.rows):
            for c, cell in enumerate(row):
                if isinstance(cell, str):
                    grid.cell(r, c).text = cell
        for r, row in enumerate(block.rows):
            for c, cell in enumerate(row):
                if not isinstance(cell, str):
                    continue
                right = c
                while right + 1 < block.width and row[right + 1] is LEFT:
                    right += 1
                down = r
                while down + 1 < len(block.rows) and block.rows[down + 1][c] is UP:
                    down += 1
                if (right, down) != (c, r):
                    grid.cell(r, c).merge(grid.cell(down, right))
    buffer = io.BytesIO()
    document.save(buffer)
    _stable_zip(buffer.getvalue(), path)


def _stable_zip(data: bytes, path: Path) -> None:
    """Rewrite a zip with fixed timestamps, so that a rebuild is identical."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=(2025, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(item.filename))
    path.write_bytes(out.getvalue())


def docx_text(path: Path) -> str:
    """A Word file's paragraphs and table cells as text (for the tests)."""
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)
