"""Find the tables of a plain text and cut them into cells, with offsets.

A table reaches us as text in one of several layouts, told apart by the
separator its region uses:

- tabs: one cell per line, each prefixed with a tab, rows separated by blank
  lines (a Word table flattened), or one row per line, cells between tabs;
- pipes at line ends: every cell on its own line ending with `` |``, a row's
  end a line of ``|`` alone (an HTML table turned into text);
- pipe rows: ``| a | b | c |``, the cell count changing where cells merged;
- runs of spaces: columns aligned with two or more spaces (a PDF's text laid out);
- one cell per line, no separator, rows separated by blank lines, where the
  first row is a header the vocabulary knows or a project table's header block.

Every cell keeps the span it was read from, so that whatever the layout, a
figure read from it points at its characters. A region that reads like a
table but fits none of these (a form flattened onto one line with single
spaces, cells run together) is returned as an `UnreadRegion`, for the model
to read and for the record to name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from jixiao.document import Cell, Grid
from jixiao.messages import M_, Message
from jixiao.structure.labels import (
    column_field,
    form_field,
    form_synonym,
    is_title,
    row_field,
    title_fields,
)
from jixiao.structure.numbers import find_quantities
from jixiao.structure.sections import looks_like_heading

_CAPTION = re.compile(r"^\s*(表\s*\d|单位\s*[:：]|注\s*[:：]|附表|附件|数据来源)")
_LIST_ITEM = re.compile(r"^\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*[、.．]")


# Why a region of column titles and figures was not cut into cells: the model
# reads such a region instead.
TABULAR_TEXT = M_("column titles in a row that no layout could cut into cells")
FIGURES_IN_A_ROW = M_("figures in a row")


@dataclass(frozen=True)
class UnreadRegion:
    """Lines that read like a table (header words, figures in a row) but gave no grid."""

    start: int
    end: int
    reason: Message
    # The row of column titles that says what the region's cells are, where it
    # stands apart from the region (rows of a table read but for these).
    titles: tuple[int, int] | None = None
    # The column fields that row names (else the region's first line), for a
    # region no layout could cut.
    fields: frozenset[str] = frozenset()


@dataclass
class _Lines:
    """A text's lines and where each starts."""

    lines: list[str]
    starts: list[int]

    @classmethod
    def of(cls, text: str) -> _Lines:
        lines = text.split("\n")
        starts, position = [], 0
        for line in lines:
            starts.append(position)
            position += len(line) + 1
        return cls(lines, starts)

    def cell(self, index: int, start: int, end: int) -> Cell:
        """The cell ``lines[index][start:end]``, its surrounding spaces left out."""
        line = self.lines[index]
        piece = line[start:end]
        left = start + len(piece) - len(piece.lstrip())
        right = end - (len(piece) - len(piece.rstrip()))
        offset = self.starts[index]
        if right <= left:
            return Cell("", offset + start, offset + start)
        return Cell(line[left:right], offset + left, offset + right)


@dataclass
class _CellParts:
    """A cell being read from one or more lines."""

    parts: list[tuple[int, str]] = field(default_factory=list)  # (offset, text)

    def add(self, offset: int, text: str) -> None:
        self.parts.append((offset, text))

    def build(self, at: int) -> Cell:
        pieces = [(offset, text) for offset, text in self.parts if text.strip()]
        if not pieces:
            return Cell("", at, at)
        first_offset, first = pieces[0]
        last_offset, last = pieces[-1]
        start = first_offset + len(first) - len(first.lstrip())
        end = last_offset + len(last.rstrip())
        joined = ""
        for _, text in pieces:
            text = text.strip()
            if joined and (
                _LIST_ITEM.match(text)
                or (
                    joined[-1].isascii()
                    and joined[-1].isalnum()
                    and text[0].isascii()
                    and text[0].isalnum()
                )
            ):
                joined += "\n" if _LIST_ITEM.match(text) else " "
            joined += text
        # Multi-paragraph cells come quoted, as in CSV.
        if len(joined) > 1 and joined[0] == '"' and joined[-1] == '"':
            joined = joined[1:-1].replace('""', '"').strip()
        return Cell(joined, start, end)


def _ends_table(line: str, row: list[_CellParts], previous_width: int) -> bool:
    """A line without a tab right after a cell either wraps that cell's text or is
    the first paragraph after the table. It ends the table when the row is
    already complete and the line reads like a heading or a caption."""
    complete = previous_width > 0 and len(row) >= previous_width
    return complete and (looks_like_heading(line) or bool(_CAPTION.match(line)))


def _row_per_line(lines: list[str], first: int) -> bool:
    """Whether the block starting at `first` writes one row per line."""
    tabbed = [line for line in lines[first : first + 12] if "\t" in line]
    multi = sum(1 for line in tabbed if line.count("\t") > 1 or not line.startswith("\t"))
    return multi * 2 > len(tabbed)


def _read_block(lines: list[str], starts: list[int], first: int) -> tuple[Grid | None, int]:
    row_mode = _row_per_line(lines, first)
    rows: list[list[_CellParts]] = []
    row: list[_CellParts] = []
    blank_before = False
    index = first
    while index < len(lines):
        line, offset = lines[index], starts[index]
        # A line holding only a tab is an empty cell, not a row break.
        if not line.strip() and "\t" not in line:
            if row and not row_mode:
                rows.append(row)
                row = []
            blank_before = True
            index += 1
            continue
        if "\t" in line:
            if row_mode:
                if row:
                    rows.append(row)
                row = []
                position = offset
                for piece in line.split("\t"):
                    cell = _CellParts()
                    cell.add(position, piece)
                    row.append(cell)
                    position += len(piece) + 1
            else:
                cell = _CellParts()
                tab = line.index("\t")
                cell.add(offset + tab + 1, line[tab + 1 :])
                if tab and line[:tab].strip() and row:
                    # Text before the tab wraps the previous cell's text.
                    row[-1].add(offset, line[:tab])
                row.append(cell)
            blank_before = False
            index += 1
            continue
        current = row or (rows[-1] if rows else [])
        previous_width = len(rows[-1]) if rows and row else (len(rows[-2]) if len(rows) > 1 else 0)
        if blank_before or not current or _ends_table(line, current, previous_width):
            break
        current[-1].add(offset, line)
        index += 1
    if row:
        rows.append(row)
    if len(rows) < 2:
        return None, max(index, first + 1)
    built = [[cell.build(starts[first]) for cell in cells] for cells in rows]
    start = starts[first]
    end = max(cell.end for cells in built for cell in cells)
    caption = "\n".join(line.strip() for line in lines[max(0, first - 2) : first] if line.strip())
    return Grid(rows=built, start=start, end=end, caption=caption), index


# --- the other separators ------------------------------------------------------

_ROW_END = re.compile(r"^\s*\|{2,}\s*$")
_CELL_LINE = re.compile(r"^[^|]*\|\s*$")
_PIPE_ROW = re.compile(r"^\s*\|(?=.*[^|\s]).*\|\s*$")
_RULE_ROW = re.compile(r"^[\s|:：-]*-{3,}[\s|:：-]*$")
_GAP = re.compile(r"[ \u3000]{2,}")
_SEPARATED = re.compile(r"\t|\|")
# What a form writes in a cell that has nothing: no figure, but no text either.
_NONE = re.compile(r"^[/／—\-–]+$")
# The header block's labels that a value follows in the same row (项目名称 | …).
_PAIRED_LABELS = {"project_name", "supervisor", "implementer"}
# Cell-per-line rows hold short cells; a line longer than this is prose.
_SHORT_CELL = 40


def _read_pipe_cells(text: _Lines, first: int) -> tuple[Grid | None, int]:
    """Cells each on its own line ending with `` |``, a line of ``|`` ending a row.
    A cell's text may wrap onto lines before the one carrying its pipe."""
    rows: list[list[_CellParts]] = []
    row: list[_CellParts] = []
    pending = _CellParts()
    index = first
    complete = first
    while index < len(text.lines):
        line, offset = text.lines[index], text.starts[index]
        if _ROW_END.match(line):
            if pending.parts:
                break
            rows.append(row)
            row = []
            complete = index + 1
        elif _CELL_LINE.match(line):
            pending.add(offset, line[: line.rindex("|")])
            row.append(pending)
            pending = _CellParts()
        elif line.strip() and len(pending.parts) < 4:
            pending.add(offset, line)
        else:
            break
        index += 1
    if row and not pending.parts:
        rows.append(row)
        complete = index
    return _grid(text, first, rows), max(complete, first + 1)


def _split_line(text: _Lines, index: int, separator: re.Pattern[str], inner: tuple[int, int]):
    """The cells of ``lines[index][inner]`` between the separator's matches."""
    left, right = inner
    line = text.lines[index]
    cells, position = [], left
    for gap in separator.finditer(line, left, right):
        cells.append(text.cell(index, position, gap.start()))
        position = gap.end()
    cells.append(text.cell(index, position, right))
    return cells


def _read_pipe_rows(text: _Lines, first: int) -> tuple[Grid | None, int]:
    """``| a | b | c |`` rows, one a line; ``|---|---|`` rules skipped."""
    rows: list[list[Cell]] = []
    index = first
    while index < len(text.lines) and _PIPE_ROW.match(text.lines[index]):
        line = text.lines[index]
        if not _RULE_ROW.match(line):
            inner = (line.index("|") + 1, line.rindex("|"))
            rows.append(_split_line(text, index, re.compile(r"\|"), inner))
        index += 1
    return _dropping(_built_grid(text, first, rows)), index


def _space_cells(text: _Lines, index: int) -> list[Cell]:
    line = text.lines[index]
    stripped = line.strip()
    if not stripped:
        return []
    left = line.index(stripped[0])
    return _split_line(text, index, _GAP, (left, left + len(stripped)))


def _read_space_columns(text: _Lines, first: int) -> tuple[Grid | None, int]:
    """Columns aligned by runs of two or more spaces, as a PDF's text laid out
    gives them. A row of titles (the first row, and any later one) sets where
    each column starts; a cell belongs to the column it starts in, so that a
    merged cell leaves its column empty; a line whose every cell can be the end
    of the text above it continues those cells (a wrapped name), and a blank
    line ends the table."""
    anchors: list[int] = []
    rows: list[list[_CellParts]] = []
    index = first
    while index < len(text.lines):
        line = text.lines[index]
        cells = _space_cells(text, index)
        if not cells or (rows and looks_like_heading(line)):
            break
        positions = [_display_column(text, index, cell) for cell in cells]
        if not rows or _titles_row(cells) or form_field(cells[0].text) in _PAIRED_LABELS:
            # A project's header block pairs labels and values in columns of its own.
            anchors = positions
        columns = [_column(position, anchors) for position in positions]
        if rows and all(
            _continues(cell, column, anchors, rows[-1]) for cell, column in zip(cells, columns)
        ):
            for cell, column in zip(cells, columns):
                rows[-1][column].add(cell.start, cell.text)
        elif len(cells) >= 2 or find_quantities(line):
            row = [_CellParts() for _ in anchors]
            for cell, column in zip(cells, columns):
                row[column].add(cell.start, cell.text)
            rows.append(row)
        else:
            break
        index += 1
    return _grid(text, first, rows), max(index, first + 1)


def _titles_row(cells: list[Cell]) -> bool:
    """A row of column titles, which sets the columns of the rows below it."""
    named = {column_field(cell.text) for cell in cells} - {None, "group", "serial"}
    return len(named) >= 2 and not any(find_quantities(cell.text) for cell in cells)


def _display_column(text: _Lines, index: int, cell: Cell) -> int:
    """Where a cell starts on screen: a Chinese character is two columns wide, as
    text laid out by position counts it."""
    before = text.lines[index][: cell.start - text.starts[index]]
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in before)


def _column(position: int, anchors: list[int]) -> int:
    """The column a cell starting at `position` stands in: the last one starting
    at or before it (a cell may start a little right of its column's title)."""
    return max((i for i, anchor in enumerate(anchors) if anchor <= position + 1), default=0)


def _continues(cell: Cell, column: int, anchors: list[int], above: list[_CellParts]) -> bool:
    """Whether a cell is the wrapped end of the cell above it: that cell holds
    text but no title, this one no figure, no mark of none (/ —) and no label
    of its own, and it is no wider than its column."""
    width = anchors[column + 1] - anchors[column] if column + 1 < len(anchors) else _SHORT_CELL
    if column >= len(above) or not above[column].parts or len(cell.text) > width:
        return False
    above_text = "".join(text for _, text in above[column].parts)
    return not (
        find_quantities(cell.text)
        or _NONE.match(cell.text)
        or _labelled(cell.text)
        or _labelled(above_text)
    )


def _labelled(text: str) -> bool:
    return any(field(text) for field in (column_field, form_field, row_field))


def _block(text: _Lines, first: int) -> int:
    """The index after the run of non-blank lines starting at `first` that use no
    separator of another layout."""
    index = first
    while (
        index < len(text.lines)
        and text.lines[index].strip()
        and not _SEPARATED.search(text.lines[index])
    ):
        index += 1
    return index


def _is_header_block(lines: list[str]) -> bool:
    """Whether a block of lines is a row of column titles: two fields or more, and
    nothing but titles."""
    if len(lines) < 2 or any(len(line.strip()) > 20 for line in lines):
        return False
    fields = [column_field(line) for line in lines]
    named = set(fields) - {None, "group", "serial"}
    return (
        len(named) >= 2
        and sum(1 for field in fields if field) * 2 >= len(lines)
        and all(field or is_title(line) for field, line in zip(fields, lines))
    )


def _is_form_block(lines: list[str]) -> bool:
    """Whether a block is a row of a project table's header block: label, value,
    label, value (项目名称 / 某某项目), or the titles of its 年度总体目标."""
    return 2 <= len(lines) <= 6 and form_field(lines[0]) is not None


def _read_cell_lines(text: _Lines, first: int) -> tuple[Grid | None, int]:
    """One cell per line and no separator, rows between blank lines: recognised by
    a first row of column titles the vocabulary knows, or by a project table's
    header block, whose rows may run longer (its 年度总体目标 in sentences)."""
    end = _block(text, first)
    lines = text.lines[first:end]
    if not (_is_header_block(lines) or _is_form_block(lines)):
        return None, first + 1
    rows: list[list[Cell]] = []
    index = first
    long_allowed = False
    while index < len(text.lines):
        end = _block(text, index)
        lines = text.lines[index:end]
        form = _is_form_block(lines)
        if (
            len(lines) < 2
            or (
                not (form or long_allowed)
                and any(len(line.strip()) > _SHORT_CELL for line in lines)
            )
            or (rows and any(looks_like_heading(line) for line in lines))
        ):
            break
        rows.append([text.cell(i, 0, len(text.lines[i])) for i in range(index, end)])
        # The goal's titles (年度总体目标 / 预期目标 / 实际完成情况) head a row of sentences.
        long_allowed = form and form_field(lines[0]) == "goal"
        index = end
        while index < len(text.lines) and not text.lines[index].strip():
            index += 1
    return _dropping(_built_grid(text, first, rows)), index


def _dropping(grid: Grid | None) -> Grid | None:
    if grid is not None:
        grid.dropped_merges = True
    return grid


def _grid(text: _Lines, first: int, rows: list[list[_CellParts]]) -> Grid | None:
    at = text.starts[first]
    return _built_grid(text, first, [[cell.build(at) for cell in row] for row in rows])


def _built_grid(text: _Lines, first: int, rows: list[list[Cell]]) -> Grid | None:
    rows = [row for row in rows if row]
    if len(rows) < 2:
        return None
    cells = [cell for row in rows for cell in row if cell.end > cell.start]
    if not cells:
        return None
    caption = "\n".join(
        line.strip() for line in text.lines[max(0, first - 2) : first] if line.strip()
    )
    return Grid(
        rows=rows,
        start=min(cell.start for cell in cells),
        end=max(cell.end for cell in cells),
        caption=caption,
    )


def _reader(text: _Lines, index: int):
    """The reader of the layout the line at `index` starts, or None."""
    line = text.lines[index]
    if "\t" in line:
        return lambda text, index: _read_block(text.lines, text.starts, index)
    if _ROW_END.match(line) or (_CELL_LINE.match(line) and line.strip() != "|"):
        return _read_pipe_cells
    if _PIPE_ROW.match(line):
        return _read_pipe_rows
    pieces = _space_cells_of(line)
    if len(pieces) >= 3 or (len(pieces) == 2 and form_field(pieces[0]) is not None):
        return _read_space_columns
    # A cell-per-line table starts a block: after a blank line or a heading.
    previous = text.lines[index - 1] if index else ""
    if (not previous.strip() or looks_like_heading(previous)) and 0 < len(line.strip()) <= 20:
        return _read_cell_lines
    return None


def _space_cells_of(line: str) -> list[str]:
    return [piece for piece in _GAP.split(line.strip()) if piece] if line.strip() else []


def find_text_grids(text: str) -> list[Grid]:
    """Every table of `text` in a layout it can cut into cells, as grids with cell offsets."""
    lines = _Lines.of(text)
    grids: list[Grid] = []
    index = 0
    while index < len(lines.lines):
        reader = _reader(lines, index)
        if reader is None:
            index += 1
            continue
        grid, following = reader(lines, index)
        if grid is not None:
            grids.append(grid)
            index = max(following, index + 1)
        else:
            index += 1
    return grids


# --- what reads like a table but gave no grid ------------------------------------

_PROSE = re.compile(r"[，。；,;]")


def _is_prose(line: str) -> bool:
    """Sentences break every dozen characters or so and a paragraph ends one; a
    table flattened onto a line holds a comma only where a cell does, and ends
    with a cell."""
    marks = len(_PROSE.findall(line))
    ends_sentence = line.rstrip()[-1:] in ("。", "；", ";", "：", ":")
    return ends_sentence or marks * 20 > len(line) or (len(line) < 60 and marks > 1)


def _tabular(line: str) -> Message | None:
    """Why a line reads like part of a table, or None: prose (a sentence with
    its commas) does not, however many titles or figures it names."""
    if not line.strip():
        return None
    if _starts_project_form(line):
        # A project form flattened onto a line holds its goals' sentences.
        return TABULAR_TEXT
    if _is_prose(line):
        return None
    if len(title_fields(line) - {"group", "serial"}) >= 3:
        return TABULAR_TEXT
    if len(find_quantities(line)) >= 4:
        return FIGURES_IN_A_ROW
    return None


def _starts_project_form(line: str) -> bool:
    """项目名称 X 主管部门 Y … 年初预算数 …: a project's form, cells between spaces."""
    first = line.split(maxsplit=1)[0]
    return form_synonym(first) == "project_name" and len(find_quantities(line)) >= 3


def find_unread_regions(text: str, grids: list[Grid]) -> list[UnreadRegion]:
    """Runs of lines outside every grid that read like a table: the regions no
    layout could cut into cells. A row of titles takes in the lines below it
    that hold a figure and end no sentence (rows whose cells ran together),
    up to a blank line."""
    lines = _Lines.of(text)
    regions: list[UnreadRegion] = []
    taken = iter(sorted((grid.start, grid.end) for grid in grids))
    grid = next(taken, None)
    for index, line in enumerate(lines.lines):
        start = lines.starts[index]
        end = start + len(line)
        # Lines and grids both run down the text: skip the grids above this line.
        while grid is not None and grid[1] <= start:
            grid = next(taken, None)
        if grid is not None and grid[0] < end:
            continue
        adjoining = (
            bool(regions)
            and text[regions[-1].end : start].strip() == ""
            and ("\n\n" not in text[regions[-1].end : start + 1])
        )
        reason = _tabular(line)
        if reason is None and adjoining and regions[-1].reason == TABULAR_TEXT:
            reason = _row_of(line)
        if reason is None:
            continue
        if adjoining:
            regions[-1] = UnreadRegion(regions[-1].start, end, regions[-1].reason)
        else:
            regions.append(UnreadRegion(start, end, reason))
    return regions


def _row_of(line: str) -> Message | None:
    """Whether a line under a row of titles is a row of its table: a figure, and
    no sentence ended."""
    if "。" in line or looks_like_heading(line) or not find_quantities(line):
        return None
    return TABULAR_TEXT
