"""Read a report's grids as tables: classify them, map their columns, read their rows.

The grids come from the file (Word tables) or from the text (see `segment`).
Column titles and row labels name contract fields through the vocabulary
(see `labels`), whatever words a unit chose for them.

A grid may hold several tables stacked in one Word table (a budget block above
an indicator block), so each grid is cut into segments at its header rows.
Flattening also loses horizontal spans: a row with fewer cells than its header
is realigned (see `_align_row`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Literal

from jixiao.document import Cell, Document, Grid
from jixiao.messages import M_, Message
from jixiao.structure.flattened import read_flattened
from jixiao.structure.labels import (
    FORM_VALUES,
    column_field,
    column_role,
    column_roles,
    family_of_level2,
    form_field,
    is_title,
    level_of,
    normalise_label,
    row_field,
    simplified,
    standard_levels,
)
from jixiao.structure.numbers import Quantity, parse_quantity
from jixiao.structure.segment import UnreadRegion, find_text_grids, find_unread_regions

TableKind = Literal["indicators", "budget", "other"]

_SCORE_SUFFIX = re.compile(r"\s*[（(]\s*\d+(?:\.\d+)?\s*分\s*[)）]\s*$")
# 指标1：养护里程: a name numbered by the table, not by the report.
_NUMBERED_NAME = re.compile(r"^\s*指标\s*\d+\s*[:：]\s*")
_TABLE_UNIT = re.compile(r"单位\s*[:：]\s*(亿元|万元|千元|元)")
_HEADER_UNIT = re.compile(r"[（(]\s*(亿元|万元|千元|元)\s*[)）]")

_COMPARATOR = re.compile(r"^\s*[≥≤=<>≧≦＞＜═]+\s*$")
# A row number in a table's first column.
_SERIAL_NUMBER = re.compile(r"^\d{1,3}$")
_FORM_LABEL = re.compile(r"[:：]\s*$")
_LEVELS = ("level1", "level2", "level3")
_INDICATOR_COLUMNS = {"target", "actual", "weight", "score", "op"}
_BUDGET_COLUMNS = {"initial_budget", "full_year_budget", "spent", "execution_rate", "balance"}


@dataclass
class Indicator:
    """One row of an indicator table, mapped onto the contract's fields.

    `cells` says where each field was read (level labels filled down point at
    the row that wrote them), so that every value can be shown in the source.
    """

    level1: str | None
    level2: str | None
    level3: str
    target: str | None
    actual: str | None
    note: str | None
    target_quantity: Quantity | None = None
    actual_quantity: Quantity | None = None
    weight_quantity: Quantity | None = None
    score_quantity: Quantity | None = None
    cells: dict[str, Cell] = field(default_factory=dict)
    # Where each figure stands: a target composed of 指标性质, 指标值 and 单位
    # columns spans all three cells.
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def weight(self) -> float | None:
        return self.weight_quantity.value if self.weight_quantity else None

    @property
    def score(self) -> float | None:
        return self.score_quantity.value if self.score_quantity else None

    def to_json(self) -> dict:
        def quantity(q: Quantity | None) -> tuple:
            return (q.comparator, q.value, q.unit) if q else (None, None, None)

        target_op, target_value, target_unit = quantity(self.target_quantity)
        _, actual_value, actual_unit = quantity(self.actual_quantity)
        return {
            "level1": self.level1,
            "level2": self.level2,
            "level3": self.level3,
            "target": self.target,
            "target_op": target_op,
            "target_value": target_value,
            "target_unit": target_unit,
            "actual": self.actual,
            "actual_value": actual_value,
            "actual_unit": actual_unit,
            "weight": self.weight,
            "score": self.score,
            "note": self.note,
        }


@dataclass
class BudgetLine:
    """A row of a budget table: its label and the figures under each column."""

    label: str
    values: dict[str, Quantity]
    cells: dict[str, Cell] = field(default_factory=dict)

    @property
    def meaning(self) -> str | None:
        """The budget field the row's label names (``total``, ``basic_expenditure`` …)."""
        return row_field(self.label)

    def to_json(self) -> dict:
        return {
            "label": self.label,
            "field": self.meaning,
            "values": {name: q.value for name, q in self.values.items()},
        }


@dataclass
class Form:
    """A project table's header block: each label the vocabulary knows (项目名称,
    主管部门, 实施单位, 年度总体目标 …) and the cell that fills it in."""

    cells: dict[str, Cell]


@dataclass
class Table:
    kind: TableKind
    start: int
    end: int
    header_rows: list[list[Cell]]
    rows: list[list[Cell]]
    header: list[str]
    unit: str | None = None  # the money unit the table states (单位：元, (万元))
    indicators: list[Indicator] = field(default_factory=list)
    budget: list[BudgetLine] = field(default_factory=list)
    # The header block of the project table this table is part of (项目名称 …),
    # shared by every table of that grid; None outside project tables.
    form: Form | None = None
    # The figure of the row that states the table's total score (总分 | 100 | 92.5),
    # at its cell.
    total: Quantity | None = None

    @property
    def columns(self) -> list[str | None]:
        """The field each column's title names."""
        return [column_field(title) for title in self.header]

    def to_json(self) -> dict:
        records = self.indicators if self.kind == "indicators" else self.budget
        return {
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "unit": self.unit,
            "header": self.header,
            "columns": self.columns,
            "project": self.form.cells["project_name"].text if self.form else None,
            "total": self.total.raw if self.total else None,
            "rows": [[cell.text for cell in row] for row in self.rows],
            "records": [record.to_json() for record in records],
        }


# --- grids to tables ---------------------------------------------------------


def _is_level_header(row: Sequence[Cell]) -> bool:
    return sum(1 for cell in row if column_field(cell.text) in _LEVELS) >= 2


def _header_kind(row: Sequence[Cell]) -> TableKind | None:
    """What table a row of column titles heads: an indicator table names its
    levels, or its indicator names and their figures; a budget table two of the
    budget's columns. A row holding a figure heads nothing."""
    if any(_is_number(cell) for cell in row):
        return None
    fields = {column_field(cell.text) for cell in row if cell.text} - {None}
    if len(fields & set(_LEVELS)) >= 2 or ("level3" in fields and fields & _INDICATOR_COLUMNS):
        return "indicators"
    if len(fields & _BUDGET_COLUMNS) >= 2:
        return "budget"
    return None


def _is_number(cell: Cell) -> bool:
    return parse_quantity(cell.text) is not None


def _is_upper_header(row: Sequence[Cell]) -> bool:
    """A row of column titles above the main header row (multi-row headers)."""
    filled = [cell.text for cell in row if cell.text]
    return (
        bool(filled)
        and all(len(text) <= 14 for text in filled)
        and not any(_is_number(cell) for cell in row)
        # A form row (预算部门名称 | 某县某局) names one thing and fills it in.
        and sum(1 for text in filled if is_title(text)) * 3 >= len(filled) * 2
    )


def _is_empty(row: Sequence[Cell]) -> bool:
    return not any(cell.text for cell in row)


def find_grids(document: Document) -> tuple[list[Grid], list[UnreadRegion]]:
    """The grids the file recorded (Word tables), or those rebuilt from its text,
    with the tables no separator cut read from their titles; and the regions
    that read like a table but gave no grid."""
    grids = document.grids or find_text_grids(document.text)
    flattened = read_flattened(document.text, find_unread_regions(document.text, grids))
    return sorted(grids + flattened.grids, key=lambda grid: grid.start), flattened.unread


# How far below a project's form its indicator table may start and still be its
# own: the 年度总体目标 lines a flattening left between them, no more.
_FORM_REACH = 400


def build_tables(grids: Sequence[Grid]) -> list[Table]:
    """The tables of a document's grids, each grid cut into segments at its header
    rows. An indicator table of no project, right under a project's form that
    a flattening cut apart from it (the goal lines between), is that project's."""
    tables = [table for grid in grids for table in _segments(grid)]
    for above, below in pairwise(tables):
        if (
            below.kind == "indicators"
            and below.form is None
            and above.form is not None
            and below.start - above.end <= _FORM_REACH
        ):
            below.form = above.form
    return tables


def _segments(grid: Grid) -> list[Table]:
    # A cell merged down from the one above is read as a flattened table shows
    # it, empty, so that labels fill down by one rule whatever the format.
    rows = [
        [Cell("", cell.start, cell.start) if cell.merged_above else cell for cell in row]
        for row in grid.rows
    ]
    headers: list[tuple[int, int, TableKind]] = []  # (first header row, main header row, kind)
    taken = 0
    for index, row in enumerate(rows):
        kind = _header_kind(row)
        if kind is None:
            continue
        first = index - 1 if index - 1 >= taken and _is_upper_header(rows[index - 1]) else index
        headers.append((first, index, kind))
        taken = index + 1
    unit = _stated_unit(grid.caption, rows[: headers[0][0]] if headers else rows)
    tables = []
    if not headers or headers[0][0] > 0:
        end_row = headers[0][0] if headers else len(rows)
        body = [row for row in rows[:end_row] if not _is_empty(row)]
        if body:
            tables.append(_table("other", [], body, unit))
    for number, (first, main, kind) in enumerate(headers):
        end_row = headers[number + 1][0] if number + 1 < len(headers) else len(rows)
        header_rows = rows[first : main + 1]
        body = [row for row in rows[main + 1 : end_row] if not _is_empty(row)]
        # A unit may stand in a header or in a row's group label (整体支出规模(元)).
        table_unit = _stated_unit("", header_rows) or unit or _stated_unit("", body)
        table = _table(kind, header_rows, body, table_unit)
        if kind == "indicators":
            table.total = _stated_total(body)
            table.indicators = read_indicators(
                table.header, [row for row in body if not _is_total(row)], grid.dropped_merges
            )
        else:
            table.budget = _read_budget(table.header, body)
        tables.append(table)
    titles = {index for first, main, _ in headers for index in range(first, main + 1)}
    form = read_form([row for index, row in enumerate(rows) if index not in titles])
    if form is not None:
        for table in tables:
            table.form = form
    return tables


UNKNOWN_TABLE = M_("a table of no known kind")


def unread_cells(tables: Sequence[Table]) -> list[tuple[int, int, Message]]:
    """Spans of table figures nothing reads: the figures of a table of no known kind
    (a project's header block aside, whose figures the funds rows repeat), and
    those under an indicator column no vocabulary names."""
    spans = []
    for table in tables:
        if table.kind == "other":
            figures = [
                cell
                for row in table.rows
                for column, cell in enumerate(row)
                if _is_number(cell) and not (column == 0 and _SERIAL_NUMBER.match(cell.text))
            ]
            if figures and table.form is None:
                spans.append((figures[0].start, figures[-1].end, UNKNOWN_TABLE))
        elif table.kind == "indicators":
            for column, role in enumerate(column_roles(table.header)):
                if role != "other":
                    continue
                figures = [
                    row[column]
                    for row in table.rows
                    if column < len(row) and _is_number(row[column])
                ]
                if figures:
                    reason = M_(
                        "the column “%(title)s”, which no vocabulary names",
                        title=table.header[column],
                    )
                    spans.append((figures[0].start, figures[-1].end, reason))
    return spans


def _label(row: Sequence[Cell]) -> str:
    return next((cell.text for cell in row if cell.text), "")


def _is_total(row: Sequence[Cell]) -> bool:
    return form_field(_label(row)) == "total_score"


def _stated_total(body: Sequence[Sequence[Cell]]) -> Quantity | None:
    """The figure of the row stating the table's total (总分 | 100 | 92.5): its
    last, the score after the weight."""
    for row in body:
        if _is_total(row):
            figures = [
                replace(quantity, start=cell.start, end=cell.end)
                for cell in row
                if (quantity := parse_quantity(cell.text)) is not None
            ]
            return figures[-1] if figures else None
    return None


def read_form(rows: Sequence[Sequence[Cell]]) -> Form | None:
    """The header block of a project table, if the grid holds one: each label
    filled in by the next cell to its right, and the 年度总体目标 by the two
    cells under the titles 预期目标 and 实际完成情况, or right of it."""
    cells: dict[str, Cell] = {}
    for number, row in enumerate(rows):
        for column, cell in enumerate(row):
            name = form_field(cell.text) if cell.text else None
            filled = [c for c in row[column + 1 :] if c.text]
            if name in FORM_VALUES and name not in cells and filled:
                # A title beside it (项目名称 | 预算数) makes this a header row, not a form.
                if form_field(filled[0].text) is None and column_field(filled[0].text) is None:
                    cells[name] = filled[0]
            elif name == "goal" and "goal_planned" not in cells:
                cells.update(_goal(rows, number, column))
    return Form(cells) if "project_name" in cells else None


def _goal(rows: Sequence[Sequence[Cell]], number: int, column: int) -> dict[str, Cell]:
    row = rows[number]
    titles = {form_field(cell.text): index for index, cell in enumerate(row) if cell.text}
    if "goal_planned" in titles and number + 1 < len(rows):
        below = rows[number + 1]
        found = {}
        for name in ("goal_planned", "goal_actual"):
            index = titles.get(name)
            if index is not None and index < len(below) and below[index].text:
                found[name] = below[index]
        # A row below that lost its empty first cell to flattening.
        if not found and len(below) >= 2:
            texts = [cell for cell in below if cell.text]
            found = dict(zip(("goal_planned", "goal_actual"), texts[-2:]))
        return found
    filled = [cell for cell in row[column + 1 :] if cell.text]
    return dict(zip(("goal_planned", "goal_actual"), filled))


def _stated_unit(caption: str, rows: Iterable[Sequence[Cell]]) -> str | None:
    texts = [caption] + [cell.text for row in rows for cell in row]
    for text in map(simplified, texts):
        found = _TABLE_UNIT.search(text) or _HEADER_UNIT.search(text)
        if found:
            return found.group(1)
    return None


def _table(
    kind: TableKind, header_rows: list[list[Cell]], body: list[list[Cell]], unit: str | None
) -> Table:
    cells = [cell for row in header_rows + body for cell in row if cell.end > cell.start]
    header = column_titles(header_rows)
    return Table(
        kind=kind,
        start=min((cell.start for cell in cells), default=0),
        end=max((cell.end for cell in cells), default=0),
        header_rows=header_rows,
        rows=body,
        header=header,
        unit=unit,
    )


def _read_budget(header: list[str], body: list[list[Cell]]) -> list[BudgetLine]:
    """The figures of a budget table, each under its row label and column title.

    A row reads label, figures, label, figures… in forms that pair labels with
    values across the row (一般公共预算：1820.50 | 其中:基本支出：613.20):
    a figure then belongs to the label on its left, not to the column title
    above it. Such a label ends with a colon; other words right of a figure
    are values in words (变动情况: 增加).
    """
    lines = []
    for row in body:
        runs: list[tuple[Cell, list[tuple[int, Cell, Quantity]]]] = []
        titles = _row_titles(header, row)
        for column, cell in enumerate(row):
            quantity = parse_quantity(cell.text)
            if quantity is None:
                if cell.text and (not runs or (runs[-1][1] and _FORM_LABEL.search(cell.text))):
                    runs.append((cell, []))
                elif cell.text and not runs[-1][1]:
                    # A group label (整体支出规模(元)) before the row's own label.
                    runs[-1] = (cell, [])
            elif runs and column_field(titles[column] if column < len(titles) else "") != "serial":
                runs[-1][1].append((column, cell, quantity))
        labelled = [label for label, figures in runs if figures]
        paired = len(labelled) > 1 or (
            len(row) < len(titles) and any(_FORM_LABEL.search(label.text) for label in labelled)
        )
        for label, figures in runs:
            if not figures:
                continue
            values: dict[str, Quantity] = {}
            cells: dict[str, Cell] = {"label": label}
            for column, cell, quantity in figures:
                title = "value" if paired or column >= len(titles) else titles[column] or "value"
                values[title] = quantity
                cells[title] = cell
            lines.append(BudgetLine(label=label.text, values=values, cells=cells))
    return lines


def _row_titles(header: list[str], row: Sequence[Cell]) -> list[str]:
    """The column titles over a row's cells. A header may title more columns than
    a row fills, where a label over the row labels spans two columns and leaves
    an untitled one beside it (项目资金（万元） | | 年初预算数 …): the row's
    figures then stand under the titles that follow the untitled ones; or where
    a total's label spans the 序号 column as well."""
    gap = len(header) - len(row)
    if gap > 0 and column_field(header[0]) == "serial" and row and not _is_number(row[0]):
        # A row without its number (合计) has its label over 序号 and the name column.
        return header[gap:]
    first = next((i for i, title in enumerate(header) if column_field(title) in _BUDGET_COLUMNS), 0)
    untitled = [i for i, title in enumerate(header[:first]) if not title.strip()]
    if gap <= 0 or len(untitled) < gap:
        return header
    dropped = set(untitled[:gap])
    return [title for i, title in enumerate(header) if i not in dropped]


# --- indicator tables ----------------------------------------------------------


def column_titles(header_rows: list[list[Cell]]) -> list[str]:
    """The title of each column, from one or more header rows.

    Titles stack by position, except above a row naming the levels
    (一级/二级/三级): there the upper row's titles sat in merged cells that
    flattening shifted (003's 评价指标 spans the three level columns, 002's
    绩效评价指标分值 spans four), so a title the level row lacks goes, in order,
    to the first column after the levels that the level row left untitled.
    """
    if not header_rows:
        return []
    lower = header_rows[-1]
    if len(header_rows) == 1 or not _is_level_header(lower):
        width = max(len(row) for row in header_rows)
        return [
            " ".join(
                dict.fromkeys(
                    row[column].text
                    for row in header_rows
                    if column < len(row) and row[column].text
                )
            )
            for column in range(width)
        ]
    titles = [cell.text for cell in lower]
    present = {column_role(title) for title in titles if title}
    column = (
        max(i for i, title in enumerate(titles) if (column_role(title) or "").startswith("level"))
        + 1
    )
    for cell in header_rows[-2]:
        role = column_role(cell.text)
        if not role or role == "group" or (role in present and role not in ("other", "rate")):
            continue
        while column < len(titles) and titles[column]:
            column += 1
        if column == len(titles):
            titles.append("")
        titles[column] = cell.text
    return titles


def _shift_dropped(row: list[Cell], roles: list[str | None]) -> list[Cell]:
    """Place a row of a layout that drops the cells a merge covered, instead of
    leaving them empty (pipe rows, one cell a line): its first label says at
    which level the row starts, and the labels left of it are those above."""
    if not row or _SERIAL_NUMBER.match(row[0].text):
        return row
    columns = {role: index for index, role in enumerate(roles) if role in _LEVELS}
    start = columns.get(level_of(_clean_label(row[0]) or ""))
    if start is None:
        return row
    # Columns left of the levels (a title merged down beside them) are dropped too.
    return [Cell("", row[0].start, row[0].start)] * start + row


def _align_row(row: list[Cell], roles: list[str | None], width: int) -> list[Cell]:
    """Place the cells of a row that lost cells to horizontal merges.

    The figures stand at the right of the row and keep their columns; the
    labels at the left are short of cells because a label spanned columns, so
    the last label stretches over the gap (``预算绩效存在问题`` over 二级 and
    三级).
    """
    if len(row) >= width:
        return row
    label_columns = max(i for i, role in enumerate(roles) if role and role.startswith("level")) + 1
    value_columns = width - label_columns
    labels = len(row) - value_columns
    if labels <= 0:
        return []
    left, right = row[:labels], row[labels:]
    stretched = left + [left[-1]] * (label_columns - labels)
    return stretched + right


def _clean_label(cell: Cell | None) -> str | None:
    if cell is None or not cell.text:
        return None
    return _NUMBERED_NAME.sub("", _SCORE_SUFFIX.sub("", cell.text)).strip() or None


def _quantity(cell: Cell | None) -> Quantity | None:
    return parse_quantity(cell.text) if cell is not None else None


def read_indicators(
    header: list[str], body: list[list[Cell]], dropped_merges: bool = False
) -> list[Indicator]:
    """The indicator records of a table, level labels filled down from merged cells."""
    roles = column_roles(header)
    if dropped_merges:
        # Placed by level, a row short on the right lacks only empty cells.
        body = [_shift_dropped(row, roles) for row in body]
    # A header may title a column that no row fills (flattening drops trailing
    # empty cells): only the columns the rows reach decide how a row aligns.
    width = min(len(header), max((len(row) for row in body), default=0))
    rows = body if dropped_merges else _merge_split_rows(body, width)
    column = {role: index for index, role in enumerate(roles) if role}
    records = []
    filled: dict[str, Cell | None] = {"level1": None, "level2": None}
    for raw_row in rows:
        row = raw_row if dropped_merges else _align_row(raw_row, roles, width)

        def at(role: str, row: list[Cell] = row) -> Cell | None:
            index = column.get(role)
            return row[index] if index is not None and index < len(row) else None

        level1, level2 = at("level1"), at("level2")
        if level1 is not None and level1.text:
            filled = {"level1": level1, "level2": None}
        if level2 is not None and level2.text:
            filled["level2"] = level2
            inherited = normalise_label(_clean_label(filled["level1"]) or "")
            family = family_of_level2(_clean_label(level2) or "")
            if (
                (level1 is None or not level1.text)
                and inherited in standard_levels()
                and family
                and family != inherited
            ):
                filled["level1"] = None
        level3 = at("level3")
        if level3 is None or not level3.text:
            continue
        records.append(_indicator(at, column, filled, level3))
    return records


def _indicator(
    at, column: dict[str, int], filled: dict[str, Cell | None], level3: Cell
) -> Indicator:
    """Read one indicator; a comparator or unit written in a column of its own is
    joined to the figure it qualifies (the unit column follows that figure)."""
    target, actual, op, unit = at("target"), at("actual"), at("op"), at("unit")
    # 指标性质 holds a comparator, or 定性 for a target in words, which is no part of it.
    if op is not None and not _COMPARATOR.match(op.text):
        op = None
    unit_follows = column.get("unit", -1) - 1
    parts = {
        "target": [op, target, unit if unit_follows == column.get("target") else None],
        "actual": [actual, unit if unit_follows == column.get("actual") else None],
    }
    written = {
        role: [p for p in cells if p is not None and p.text] for role, cells in parts.items()
    }
    target_text = "".join(part.text for part in written["target"]) or None
    actual_text = "".join(part.text for part in written["actual"]) or None
    cells = {
        role: cell
        for role in ("target", "actual", "op", "unit", "weight", "score", "note")
        if (cell := at(role)) is not None and cell.text
    }
    for level in ("level1", "level2"):
        if filled[level] is not None:
            cells[level] = filled[level]
    cells["level3"] = level3
    spans = {
        role: (min(c.start for c in got), max(c.end for c in got))
        for role, got in written.items()
        if got
    }
    for role in ("weight", "score"):
        if role in cells:
            spans[role] = (cells[role].start, cells[role].end)
    note = at("note")
    return Indicator(
        level1=_clean_label(filled["level1"]),
        level2=_clean_label(filled["level2"]),
        level3=_clean_label(level3) or level3.text,
        target=target_text,
        actual=actual_text,
        note=note.text if note is not None and note.text else None,
        spans=spans,
        target_quantity=parse_quantity(target_text) if target_text else None,
        actual_quantity=parse_quantity(actual_text) if actual_text else None,
        weight_quantity=_quantity(at("weight")),
        score_quantity=_quantity(at("score")),
        cells=cells,
    )


def _merge_split_rows(body: list[list[Cell]], width: int) -> list[list[Cell]]:
    """Join a row that a blank line inside a cell cut in two (``总体绩效`` /
    ``（56分）`` + blank + the rest of the row): two short rows that together
    make exactly one full row."""
    merged: list[list[Cell]] = []
    index = 0
    while index < len(body):
        row = body[index]
        following = body[index + 1] if index + 1 < len(body) else None
        if (
            following is not None
            and len(row) < width
            and len(following) < width
            and len(row) + len(following) == width
        ):
            merged.append(row + following)
            index += 2
            continue
        merged.append(row)
        index += 1
    return merged
