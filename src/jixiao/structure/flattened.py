"""Tables whose cell separators were lost before the text reached us.

Bad extraction of a form leaves two shapes that no separator cuts:

- spaced: cells between single spaces, rows running on into one another, the
  whole table on a few long lines (a spreadsheet saved as text):
  ``一级指标 二级指标 三级指标 … 产出指标 数量指标 发放人数 ≥3600人 3712人 10 10 …``;
- run together: a row a line and no separator at all (a PDF or scan read
  without its layout): ``发放人数≥3600人3712人1010``.

Both are read from what their row of column titles says each column holds. A
row is its level labels (the standard template's names, ``levels.txt``), its
name, one cell for each column of figures, and a note; each cell must read as
what its column holds: a weight or score is a bare number, a rate a
percentage, the sums of a row are written with as many decimals. Where a row
still reads more than one way, the reading that needs fewest coincidences wins
(a note holding figures, a target and actual in different units, a score above
its weight); a row read two ways at that cost, or none, is not guessed: it
stays unread, for the model to read and the record to name.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache

from jixiao.document import Cell, Grid
from jixiao.messages import M_
from jixiao.structure.labels import (
    FORM_VALUES,
    column_field,
    column_roles,
    cut_words,
    form_field,
    form_synonym,
    level_of,
    row_field,
    simplified,
    standard_levels,
    title_fields,
)
from jixiao.structure.segment import UnreadRegion

# Why a row of such a table was left to the model.
ROW_NOT_TOLD_APART = M_("a row of a table with no separator, read more than one way or none")

_COMPARATORS = "≥≤=<>≧≦＞＜≠"
_NUMBER = r"(?:0|[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d*)(?:\.\d+)?"
_BARE = re.compile(rf"^{_NUMBER}$")
_RATE = re.compile(rf"^{_NUMBER}%$")
_DASHES = "—–-－/"
_DASH = re.compile(rf"^(?:[{re.escape(_DASHES)}]{{1,2}}|无)$")
_UNIT = rf"[^\d{_COMPARATORS}\s]{{1,8}}"
_MEASURE = re.compile(rf"^[{_COMPARATORS}]?\s*{_NUMBER}\s*(?P<unit>{_UNIT})?$")
_WORDS = re.compile(rf"^[{_COMPARATORS}]?[^\d{_COMPARATORS}]+$")
_OP = re.compile(rf"^(?:[{_COMPARATORS}]{{1,2}}|定性|定量)$")
_DIGIT_LIKE = re.compile(r"[\d.,%]")
# A row's number in a 序号 column.
_SERIAL = re.compile(r"^\d{1,3}$")
_MISREAD_DIGIT = re.compile(r"\d[OoIl]|[OoIl]\d")
# A note starts with a word, never with what ends a figure.
_NOTE_START = re.compile(rf"[^\d{_COMPARATORS}%.,，。、]")

_LEVEL_ROLES = ("level1", "level2")
_SKIPPED_ROLES = {"group", "serial"}
_MONEY_ROLES = {"initial_budget", "full_year_budget", "spent", "balance", "budget"}
# Columns a flattening may drop when their cell is empty: a split target's
# comparator and unit (a target in words has neither).
_MAY_BE_EMPTY = {"op", "unit"}
# The highest weight a row of a self-evaluation form carries.
_MOST_WEIGHT = 100
# A parse that needs this many coincidences is no reading.
_IMPLAUSIBLE = 100
# A run-together row read only by this many coincidences besides where its
# figures were cut is not trusted: it is left to the model.
_DOUBTFUL = 3


@dataclass(frozen=True)
class Flattened:
    """What was read from regions no separator could cut."""

    grids: list[Grid]
    unread: list[UnreadRegion]


def read_flattened(text: str, regions: Sequence[UnreadRegion]) -> Flattened:
    """The tables of `regions` read as spaced or run-together forms, and what of
    them stays unread."""
    grids: list[Grid] = []
    unread: list[UnreadRegion] = []
    for region in regions:
        read, left = _read_region(text, region)
        grids += read
        unread += left
    return Flattened(grids, [_titled(text, region) for region in unread])


def _titled(text: str, region: UnreadRegion) -> UnreadRegion:
    """The region with the column fields its row of titles names: the row that
    stands apart from it, or its first line."""
    line_end = text.find("\n", region.start, region.end)
    start, end = region.titles or (region.start, region.end if line_end < 0 else line_end)
    return replace(region, fields=title_fields(text[start:end]))


# --- the region's lines and its tables ----------------------------------------


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, position = [], start
    for line in text[start:end].split("\n"):
        if line.strip():
            spans.append((position, position + len(line)))
        position += len(line) + 1
    return spans


def _read_region(text: str, region: UnreadRegion) -> tuple[list[Grid], list[UnreadRegion]]:
    """The tables a region holds, and the rest of it, still unread as it was."""
    lines = _lines(text, region.start, region.end)
    # Each line's rows of titles, longest first; the first is cut once, to see
    # where tables start, the others only if it reads no table.
    headers = [_headers(text, *line) for line in lines]
    firsts = [next(candidates, None) for candidates in headers]
    grids: list[Grid] = []
    unread: list[UnreadRegion] = []
    index = 0
    form: list[list[Cell]] = []  # a project form's rows, for the table below it
    while index < len(lines):
        if not form and (form := _spaced_form(text, *lines[index])):
            index += 1
            if index == len(lines) or firsts[index] is None:
                grids.append(_grid_of(text, form))
                form = []
            continue
        first = firsts[index]
        if first is None:
            if (
                unread
                and unread[-1].reason == region.reason
                and unread[-1].end == lines[index - 1][1]
            ):
                unread[-1] = UnreadRegion(unread[-1].start, lines[index][1], region.reason)
            else:
                unread.append(UnreadRegion(*lines[index], region.reason))
            index += 1
            continue
        following = index + 1
        while following < len(lines) and firsts[following] is None:
            following += 1
        body = lines[index:following]
        read = next(
            (
                found
                for header in itertools.chain([first], headers[index])
                if (found := _read_table(text, header, body)) is not None
            ),
            None,
        )
        if read is None:
            unread.append(UnreadRegion(body[0][0], body[-1][1], region.reason))
            if form:
                grids.append(_grid_of(text, form))
        else:
            grid, left = read
            # A project form above a table is one grid with it, as in the sheet.
            grids.append(_grid_of(text, [*form, *grid.rows]) if form else grid)
            unread += left
        form = []
        index = following
    return (grids, unread) if grids else ([], [region])


def _read_table(
    text: str, header: _Header, lines: list[tuple[int, int]]
) -> tuple[Grid, list[UnreadRegion]] | None:
    return (_read_spaced if header.spaced else _read_run_together)(text, header, lines)


@dataclass(frozen=True)
class _Header:
    cells: list[Cell]
    roles: list[str | None]
    kind: str  # indicators or budget
    end: int  # where the first row begins
    spaced: bool


def _is_data(token: str) -> bool:
    """Whether a token of a spaced table starts its rows: a figure, a level of the
    standard template, or a row label (合计, 基本支出)."""
    if any(ch.isdigit() for ch in token):
        return True
    if column_field(token) is not None:
        return False
    return level_of(token) != "level3" or row_field(token) is not None


def _headers(text: str, start: int, end: int) -> Iterator[_Header]:
    """The rows of column titles a line may start with, longest first: a spaced
    table's first row label may itself read as a title (预算执行率 beside 执行率).
    Each is cut only when asked for: most lines start no table at all."""
    tokens = [
        Cell(m.group(), start + m.start(), start + m.end())
        for m in re.finditer(r"\S+", text[start:end])
    ]
    titles = []
    for token in tokens:
        if _is_data(token.text):
            break
        titles.append(token)
    if len(titles) >= 3:
        candidates = [titles[:size] for size in range(len(titles), 2, -1)]
    else:
        line = text[start:end]
        if any(ch.isdigit() for ch in line) or len(title_fields(line)) < 2:
            return
        candidates = [tokens]
    for candidate in candidates:
        cells = _title_cells(text, candidate)
        roles = column_roles([cell.text for cell in cells])
        if "level3" in roles:
            kind = "indicators"
        elif len(set(roles) & (_MONEY_ROLES | {"execution_rate"})) >= 2:
            kind = "budget"
        else:
            continue
        yield _Header(cells, roles, kind, candidate[-1].end, len(titles) >= 3)


def _title_cells(text: str, tokens: Sequence[Cell]) -> list[Cell]:
    """Column titles cut from their words, whatever spaces the flattening left
    inside one (``实际 完成值``) or between two (none at all)."""
    chars = [(position, text[position]) for t in tokens for position in range(t.start, t.end)]
    joined = "".join(_simple_char(ch) for _, ch in chars)
    token_starts = {
        index
        for index, _ in enumerate(chars)
        if index == 0 or chars[index - 1][0] + 1 < chars[index][0]
    }
    words: list[list[int]] = []  # start, end, brackets left open
    at = 0
    for word in cut_words(joined):
        depth = _brackets(word)
        # Brackets and what they hold belong to the title before them: 执行率(%).
        if words and (_ASIDE_WORD.fullmatch(word) or words[-1][2] > 0):
            words[-1][1:] = [at + len(word), max(words[-1][2] + depth, 0)]
        else:
            words.append([at, at + len(word), max(depth, 0)])
        at += len(word)
    spans = _TitleGroups(joined, [(a, b) for a, b, _ in words], token_starts).best()
    return [
        Cell(text[chars[a][0] : chars[b - 1][0] + 1], chars[a][0], chars[b - 1][0] + 1)
        for a, b in spans
    ]


_ASIDE_WORD = re.compile(r"[(（)）%％]+|[^\w]+")


def _brackets(word: str) -> int:
    return word.count("(") + word.count("（") - word.count(")") - word.count("）")


class _TitleGroups:
    """The cut of a header's words into column titles that names most columns:
    each title the vocabulary knows counts one, one it does not costs one (the
    first, a row-label column such as 科目, is free), two neighbours naming the
    same field cost two (偏差原因分析 + 及改进措施 is one note), and a cut where
    the flattening put no space, or a space inside a title, costs half."""

    _LONGEST = 6  # words in one title

    def __init__(self, joined: str, words: list[tuple[int, int]], token_starts: set[int]):
        self.joined = joined
        self.words = words
        self.token_starts = token_starts
        self.spaced = len(token_starts) > 1
        self.memo: dict[tuple[int, str | None], tuple[float, list[tuple[int, int]]]] = {}

    def best(self) -> list[tuple[int, int]]:
        return self._from(0, None)[1]

    def _from(self, index: int, last: str | None) -> tuple[float, list[tuple[int, int]]]:
        if index == len(self.words):
            return 0.0, []
        key = (index, last)
        if key in self.memo:
            return self.memo[key]
        best: tuple[float, list[tuple[int, int]]] | None = None
        for end in range(index + 1, min(index + self._LONGEST, len(self.words)) + 1):
            start, stop = self.words[index][0], self.words[end - 1][1]
            field = column_field(self.joined[start:stop])
            score = 1.0 if field else (0.0 if index == 0 else -1.0)
            if field and field == last and field != "level3":
                score -= 2
            if self.spaced:
                score -= 0.5 * (start not in self.token_starts)
                inner = (self.words[k][0] for k in range(index + 1, end))
                score -= 0.5 * sum(1 for position in inner if position in self.token_starts)
            rest = self._from(end, field)
            total = score + rest[0]
            if best is None or total > best[0]:
                best = (total, [(start, stop), *rest[1]])
        assert best is not None
        self.memo[key] = best
        return best


@cache
def _simple_char(ch: str) -> str:
    converted = simplified(ch)
    return converted if len(converted) == 1 else ch


def _grid(text: str, header: _Header, rows: list[list[Cell]]) -> Grid:
    form = _form_rows(text, header.cells[0].start) if header.kind == "budget" else []
    return _grid_of(text, [*form, header.cells, *rows])


def _grid_of(text: str, rows: list[list[Cell]]) -> Grid:
    cells = [cell for row in rows for cell in row if cell.end > cell.start]
    start = min(cell.start for cell in cells)
    return Grid(
        rows=rows,
        start=start,
        end=max(cell.end for cell in cells),
        caption=_caption(text, start),
    )


def _caption(text: str, start: int) -> str:
    """The lines above a table: its number, title and stated unit."""
    above = text[:start].rstrip("\n").split("\n")[-3:-1] if start else []
    return "\n".join(line.strip() for line in above if line.strip())


# --- a project form flattened onto one line -----------------------------------


def _spaced_form(text: str, start: int, end: int) -> list[list[Cell]]:
    """The rows of a project form whose cells a flattening put on one line between
    single spaces: its labels and values (项目名称 X 主管部门 Y …), its funds
    titles and rows, and its 年度总体目标 with the two texts under 预期目标 and
    实际完成情况. Empty unless the line starts with a project's name label."""
    tokens = [
        Cell(m.group(), start + m.start(), start + m.end())
        for m in re.finditer(r"\S+", text[start:end])
    ]
    label = _form_label(text, tokens, 0)
    if label is None or label[1] != "project_name":
        return []
    rows: list[list[Cell]] = []
    at = 0
    while at < len(tokens):
        found = _form_label(text, tokens, at)
        if found is None:
            return []
        cell, name, at = found
        if name == "funds":
            funds = _spaced_funds(text, tokens, at, cell)
            if funds is None:
                return []
            block, at = funds
            rows += block
        elif name == "goal":
            goal = _spaced_goal(text, tokens, at, cell)
            if goal is None:
                return []
            rows += goal
            at = len(tokens)
        else:
            following = at
            while following < len(tokens) and _form_label(text, tokens, following) is None:
                following += 1
            if following == at:
                return []
            rows.append([cell, _joined(text, tokens[at:following])])
            at = following
    return rows if len(rows) > 1 else []


# Tokens a flattening may break one label into: 年度 总体 目标.
_LABEL_PIECES = 3


def _form_label(text: str, tokens: list[Cell], at: int) -> tuple[Cell, str, int] | None:
    """The form label starting at token `at` (its cell, its field, the token after it)."""
    for size in range(min(_LABEL_PIECES, len(tokens) - at), 0, -1):
        cell = _joined(text, tokens[at : at + size])
        name = form_synonym(cell.text.replace(" ", ""))
        if name is not None:
            return cell, name, at + size
    return None


def _spaced_funds(
    text: str, tokens: list[Cell], at: int, label: Cell
) -> tuple[list[list[Cell]], int] | None:
    """A form's funds block: its titles after the label (项目资金（万元）), then
    rows of a label and sums, up to the next form label (年度总体目标)."""
    end = at
    while end < len(tokens) and not _is_data(tokens[end].text):
        end += 1
    titles = [label, *_title_cells(text, tokens[at:end])]
    roles = column_roles([cell.text for cell in titles])
    stop = end
    while stop < len(tokens) and _form_label(text, tokens, stop) is None:
        stop += 1
    rows = _budget_rows(text, tokens[end:stop], roles)
    if rows is None or len(set(roles) & _MONEY_ROLES) < 2:
        return None
    return [titles, *rows], stop


def _spaced_goal(text: str, tokens: list[Cell], at: int, label: Cell) -> list[list[Cell]] | None:
    """年度总体目标 预期目标 实际完成情况, then the two texts: the title row and the
    row under it, as the sheet has them."""
    titles = []
    for _ in range(2):
        found = _form_label(text, tokens, at)
        if found is None or found[1] not in ("goal_planned", "goal_actual"):
            return None
        titles.append(found[0])
        at = found[2]
    if len(tokens) - at != 2:
        return None
    empty = Cell("", label.start, label.start)
    return [[label, *titles], [empty, *tokens[at:]]]


# Lines of a project form above its funds table, at most.
_FORM_LINES = 4


def _form_rows(text: str, start: int) -> list[list[Cell]]:
    """The lines right above a funds table that fill in its project's form
    (项目名称, 主管部门, 实施单位), each cut into labels and what follows them."""
    rows: list[list[Cell]] = []
    end = text.rfind("\n", 0, start)
    while end > 0 and len(rows) < _FORM_LINES:
        line_start = text.rfind("\n", 0, end) + 1
        row = _form_row(text[line_start:end], line_start)
        if not row:
            break
        rows.insert(0, row)
        end = line_start - 1
    return rows


def _form_row(line: str, at: int) -> list[Cell]:
    labels, position = [], len(line) - len(line.lstrip())
    while position < len(line):
        size = next(
            (
                size
                for size in range(min(_LONGEST_FORM_LABEL, len(line) - position), 1, -1)
                if form_synonym(line[position : position + size]) in FORM_VALUES
            ),
            0,
        )
        if size:
            labels.append((position, position + size))
        elif not labels and not line[position].isspace():
            return []  # a form line starts with its label
        position += size or 1
    row = []
    for number, (start, end) in enumerate(labels):
        following = labels[number + 1][0] if number + 1 < len(labels) else len(line)
        value = line[end:following]
        left = end + len(value) - len(value.lstrip())
        right = following - (len(value) - len(value.rstrip()))
        if right <= left:
            return []
        row += [
            Cell(line[start:end], at + start, at + end),
            Cell(line[left:right], at + left, at + right),
        ]
    return row


_LONGEST_FORM_LABEL = 12


def _row(width: int, at: int, placed: dict[int, Cell]) -> list[Cell]:
    return [placed.get(column, Cell("", at, at)) for column in range(width)]


# --- spaced: cells known, rows to be found ------------------------------------


def _read_spaced(
    text: str, header: _Header, lines: list[tuple[int, int]]
) -> tuple[Grid, list[UnreadRegion]] | None:
    tokens = [
        piece
        for start, end in lines
        for m in re.finditer(r"\S+", text[start:end])
        if start + m.start() >= header.end
        for piece in _unglued(Cell(m.group(), start + m.start(), start + m.end()))
    ]
    if header.kind == "budget":
        rows = _budget_rows(text, tokens, header.roles)
        return None if rows is None else (_grid(text, header, rows), [])
    found = _Rows(text, tokens, header.roles).best()
    if found is None:
        return None
    rows, skipped = found
    titles = (header.cells[0].start, header.end)
    unread: list[UnreadRegion] = []
    for token in skipped:
        if unread and not text[unread[-1].end : token.start].strip():
            unread[-1] = UnreadRegion(unread[-1].start, token.end, ROW_NOT_TOLD_APART, titles)
        else:
            unread.append(UnreadRegion(token.start, token.end, ROW_NOT_TOLD_APART, titles))
    return _grid(text, header, rows), unread


_GLUED = re.compile(rf"({_NUMBER}%?)(\D.*)")


def _unglued(token: Cell) -> list[Cell]:
    """A figure and the next row's label that normalising closed up as figure
    and unit (``436.19 项目支出`` → ``436.19项目支出``), apart again."""
    match = _GLUED.fullmatch(token.text)
    if match is None or row_field(match.group(2)) is None:
        return [token]
    cut = token.start + match.end(1)
    return [Cell(match.group(1), token.start, cut), Cell(match.group(2), cut, token.end)]


def _is_value(token: str) -> bool:
    return bool(_BARE.match(token) or _RATE.match(token) or _DASH.match(token))


def _budget_rows(text: str, tokens: list[Cell], roles: list[str | None]) -> list[list[Cell]] | None:
    """Rows of a budget table: a label, then its sums from the left."""
    rows: list[list[Cell]] = []
    label: list[Cell] = []
    values: list[Cell] = []
    for token in [*tokens, None]:
        if token is None or (not _is_value(token.text) and values):
            if label and values and len(values) < len(roles):
                joined = _joined(text, label)
                placed = {0: joined} | {column + 1: cell for column, cell in enumerate(values)}
                rows.append(_row(len(roles), joined.start, placed))
            elif label or values:
                return None
            label, values = [], []
        if token is None:
            break
        (values if _is_value(token.text) else label).append(token)
    return rows or None


def _is_level(token: str, level: str) -> bool:
    return column_field(token) is None and level_of(token) == level


def _is_total(token: str) -> bool:
    return form_field(token) == "total_score"


def _plain(token: str) -> bool:
    """A token that can be part of a name or a note: no bare figure, no level."""
    return not (_BARE.match(token) or _is_total(token) or level_of(token) != "level3")


_FITS: dict[str, Callable[[str], bool]] = {
    "weight": lambda token: bool(_BARE.match(token)),
    "score": lambda token: bool(_BARE.match(token)),
    "op": lambda token: bool(_OP.match(token)),
    "unit": lambda token: bool(re.fullmatch(_UNIT, token)),
}


def _fits_any(token: str) -> bool:
    """A target, actual or unnamed column's cell: no level label, no 定性 (which
    says how a target is given, in a column of its own)."""
    return level_of(token) == "level3" and not _OP.match(token)


class _Rows:
    """The cheapest cut of a spaced table's cells into rows: each row its levels,
    a name, a cell for each figure column, and a note. A name or note of several
    tokens is a coincidence (the spaces fell inside one cell); a note takes the
    extra token first, since notes are sentences and names are labels."""

    _EXTRA_NAME = 1.5
    _EXTRA_NOTE = 1.0
    _EMPTY_CELL = 1.0
    _NO_NAME = 2.0
    _SKIP = 5.0  # a token passed over costs more than any reading of a row
    _LONGEST = 6  # tokens in one name or note

    def __init__(self, text: str, tokens: list[Cell], roles: list[str | None]) -> None:
        self.text = text
        self.tokens = tokens
        self.roles = roles
        self.column = {role: index for index, role in enumerate(roles) if role}
        name = self.column["level3"]
        self.figures = [
            (index, role)
            for index, role in enumerate(roles)
            if index > name and role != "note" and role not in _SKIPPED_ROLES
        ]
        self.memo: dict[int, tuple[float, list[list[Cell]], list[Cell]]] = {}

    def best(self) -> tuple[list[list[Cell]], list[Cell]] | None:
        """The rows, and the tokens no row could take (left to the model); None
        when rows are too few to make this a table of these columns."""
        cost, rows, skipped = self._from(0)
        if not rows or cost >= _IMPLAUSIBLE or len(skipped) * 2 > len(self.tokens):
            return None
        return rows, skipped

    def _from(self, at: int) -> tuple[float, list[list[Cell]], list[Cell]]:
        if at == len(self.tokens):
            return 0.0, [], []
        if at in self.memo:
            return self.memo[at]
        # A token no row can take (a row missing a cell) is passed over, dearly.
        cost, rows, skipped = self._from(at + 1)
        best = (cost + self._SKIP, rows, [self.tokens[at], *skipped])
        note = self.column.get("note")
        for cost, placed, following in self._rows_at(at):
            rest = self._from(following)
            # Before tokens no row takes, a note may be the start of their row:
            # the row above gives it up to them.
            if note in placed and rest[2] and rest[2][0] is self.tokens[following]:
                continue
            total = cost + rest[0]
            if total < best[0]:
                row = _row(len(self.roles), self.tokens[at].start, placed)
                best = (total, [row, *rest[1]], rest[2])
        self.memo[at] = best
        return best

    def _rows_at(self, at: int) -> Iterator[tuple[float, dict[int, Cell], int]]:
        tokens = self.tokens
        placed: dict[int, Cell] = {}
        if at < len(tokens) and "serial" in self.column and _SERIAL.match(tokens[at].text):
            placed[self.column["serial"]] = tokens[at]
            at += 1
        for level in _LEVEL_ROLES:
            if at < len(tokens) and level in self.column and _is_level(tokens[at].text, level):
                placed[self.column[level]] = tokens[at]
                at += 1
        if at < len(tokens) and _is_total(tokens[at].text):
            yield from self._total_row(at, placed)
            return
        if placed:
            # A row whose name cell was left empty: its levels, then its figures.
            for cost, figures, end in self._figures(at, 0):
                yield from self._notes(end, placed | figures, cost + self._NO_NAME)
        for name_end in range(at + 1, min(at + self._LONGEST, len(tokens)) + 1):
            if not _plain(tokens[name_end - 1].text) or (
                "op" in self.column and _OP.match(tokens[name_end - 1].text)
            ):
                break
            name = _joined(self.text, tokens[at:name_end])
            extra = (name_end - at - 1) * self._EXTRA_NAME
            for cost, figures, end in self._figures(name_end, 0):
                row = placed | {self.column["level3"]: name} | figures
                yield from self._notes(end, row, extra + cost)

    def _figures(self, at: int, number: int) -> Iterator[tuple[float, dict[int, Cell], int]]:
        if number == len(self.figures):
            yield 0.0, {}, at
            return
        column, role = self.figures[number]
        if at < len(self.tokens):
            token = self.tokens[at]
            if _FITS.get(role or "", _fits_any)(token.text):
                for cost, placed, end in self._figures(at + 1, number + 1):
                    yield cost, {column: token} | placed, end
        if role in _MAY_BE_EMPTY:
            for cost, placed, end in self._figures(at, number + 1):
                yield cost + self._EMPTY_CELL, placed, end

    def _notes(
        self, at: int, row: dict[int, Cell], cost: float
    ) -> Iterator[tuple[float, dict[int, Cell], int]]:
        yield cost, row, at
        if "note" not in self.column:
            return
        for end in range(at + 1, min(at + self._LONGEST, len(self.tokens)) + 1):
            if not _plain(self.tokens[end - 1].text):
                return
            extra = (end - at - 1) * self._EXTRA_NOTE
            yield (
                cost + extra,
                row | {self.column["note"]: _joined(self.text, self.tokens[at:end])},
                end,
            )

    def _total_row(
        self, at: int, placed: dict[int, Cell]
    ) -> Iterator[tuple[float, dict[int, Cell], int]]:
        """总分 100 95.5: the label, then the weights' and the scores' sums."""
        numbers: list[Cell] = []
        end = at + 1
        while end < len(self.tokens) and _BARE.match(self.tokens[end].text) and len(numbers) < 2:
            numbers.append(self.tokens[end])
            end += 1
        columns = [self.column[role] for role in ("weight", "score") if role in self.column]
        if not numbers or len(numbers) > len(columns):
            return
        row = placed | {0: self.tokens[at]} | dict(zip(columns[-len(numbers) :], numbers))
        yield 0.0, row, end


def _joined(text: str, tokens: Sequence[Cell]) -> Cell:
    """One cell of tokens that a flattening's spaces broke apart, as the source has it."""
    start, end = tokens[0].start, tokens[-1].end
    return Cell(text[start:end], start, end)


# --- run together: a row a line, cells to be found ----------------------------


def _read_run_together(
    text: str, header: _Header, lines: list[tuple[int, int]]
) -> tuple[Grid, list[UnreadRegion]] | None:
    rows: list[list[Cell]] = []
    unread: list[UnreadRegion] = []
    titles = lines[0]
    following_unread = False  # whether the row above was left unread too
    for number, (start, end) in enumerate(lines[1:], 1):
        line = text[start:end]
        left = len(line) - len(line.lstrip())
        read = _read_line(line.strip(), start + left, header.roles, header.kind, number)
        if read is not None:
            rows.append(read)
            following_unread = False
        elif following_unread:
            unread[-1] = UnreadRegion(unread[-1].start, end, ROW_NOT_TOLD_APART, titles)
        else:
            unread.append(UnreadRegion(start, end, ROW_NOT_TOLD_APART, titles))
            following_unread = True
    if not rows:
        return None
    return _grid(text, header, rows), unread


def _read_line(
    line: str, at: int, roles: list[str | None], kind: str, serial: int
) -> list[Cell] | None:
    simple = "".join(_simple_char(ch) for ch in line)
    column = {role: index for index, role in enumerate(roles) if role}
    placed: dict[int, Cell] = {}
    position = 0
    # A 序号 column: the row's number, the one after the row above's.
    if "serial" in column and line.startswith(str(serial)):
        position = len(str(serial))
        placed[column["serial"]] = Cell(line[:position], at, at + position)
    if kind == "indicators":
        for level in _LEVEL_ROLES:
            if level in column:
                size = _level_prefix(simple[position:], level, bool(placed))
                if size:
                    placed[column[level]] = Cell(
                        line[position : position + size], at + position, at + position + size
                    )
                    position += size
        name_column = column["level3"]
        value_roles = [
            (index, role)
            for index, role in enumerate(roles)
            if index > name_column and role not in _SKIPPED_ROLES
        ]
    else:
        name_column = 0
        value_roles = list(enumerate(roles))[1:]
    readings = _Cuts(line, position, value_roles, kind).readings()
    if not readings:
        return None
    readings.sort(key=lambda reading: reading[0][0])
    (cost, coincidences), cells = readings[0]
    if coincidences >= _DOUBTFUL or any(
        other[0][0] == cost and other[1] != cells for other in readings[1:]
    ):
        return None
    for index, (start, end) in cells.items():
        column_index = name_column if index is None else index
        placed[column_index] = Cell(line[start:end], at + start, at + end)
    return _row(len(roles), at, placed)


def _level_prefix(simple: str, level: str, under_family: bool) -> int:
    """How many leading characters name a level of the standard template."""
    families = standard_levels()
    names = (
        families if level == "level1" else {name for names in families.values() for name in names}
    )
    size = max((len(name) for name in names if simple.startswith(name)), default=0)
    if size or level == "level1" or not under_family:
        return size
    # Under a family, any short label ending in 指标 is its second level.
    match = re.match(rf"[^\d{_COMPARATORS}]{{2,8}}?指标", simple)
    return match.end() if match else 0


Cells = dict[int | None, tuple[int, int]]
Reading = tuple[tuple[float, float], Cells]


class _Cuts:
    """Every reading of a run-together row's cells after its levels: the name
    (key None), then a cell per value column, then a note."""

    _MAX_READINGS = 400

    def __init__(self, line: str, start: int, roles: list[tuple[int, str | None]], kind: str):
        self.line = line
        self.start = start
        label = re.match(rf"[^\d{_COMPARATORS}]+", line[start:])
        if kind == "indicators" and label and _is_total(label.group()):
            # 总分10095.68: its label, then the weights' and the scores' sums.
            roles = [(index, role) for index, role in roles if role in ("weight", "score")]
        self.roles = roles
        self.kind = kind
        self.cuts = _cut_points(line, start)
        self.found: list[Cells] = []

    def readings(self) -> list[Reading]:
        line = self.line
        for cut in sorted(self.cuts):
            name = line[self.start : cut]
            if cut <= self.start or any(ch in _COMPARATORS for ch in name) or name[0].isdigit():
                continue
            self._cells(cut, 0, {None: (self.start, cut)})
            if len(self.found) > self._MAX_READINGS:
                return []
        return [(self._cost(cells), cells) for cells in self.found]

    def _cells(self, at: int, number: int, cells: Cells, decimals: int | None = None) -> None:
        line = self.line
        if at == len(line):
            self.found.append(cells)
            return
        if number == len(self.roles) or len(self.found) > self._MAX_READINGS:
            return
        index, role = self.roles[number]
        if role == "note":
            if _NOTE_START.match(line[at:]):
                self.found.append(cells | {index: (at, len(line))})
            return
        if role in _MAY_BE_EMPTY:
            self._cells(at, number + 1, cells, decimals)
        money = self.kind == "budget" and role in _MONEY_ROLES
        for cut in sorted(self.cuts):
            cell = line[at:cut]
            if cut <= at or not _fits_run_together(role, cell, self.kind):
                continue
            places = len(cell.partition(".")[2]) if money and _BARE.match(cell) else None
            # With no separator, the sums of a row are told apart by their decimals.
            if places is not None and decimals is not None and places != decimals:
                continue
            following = decimals if places is None else places
            self._cells(cut, number + 1, cells | {index: (at, cut)}, following)

    def _cost(self, cells: Cells) -> tuple[float, float]:
        """What a reading costs: the cuts it makes inside runs of figures (a
        choice the text did not make), and the coincidences it needs besides."""
        line = self.line
        bounds = sorted(b for a, b in cells.values())[:-1]
        cuts = sum(
            1
            for b in bounds
            if 0 < b < len(line) and _DIGIT_LIKE.match(line[b - 1]) and _DIGIT_LIKE.match(line[b])
        )
        coincidences = self._coincidences(cells)
        return cuts + coincidences, coincidences

    def _coincidences(self, cells: Cells) -> float:
        line = self.line
        roles = dict(self.roles)
        texts = {
            roles.get(index) if index is not None else "name": line[a:b]
            for index, (a, b) in cells.items()
        }
        cost = 0.0
        # A target in words is met in words, one in figures in figures.
        if bool(re.search(r"\d", texts.get("target", "-"))) != bool(
            re.search(r"\d", texts.get("actual", texts.get("target", "-")))
        ):
            cost += _DOUBTFUL
        # A letter that looks like a digit, beside a digit, is a digit misread
        # (1O0, 10O%): no unit, and no reading of the row is safe.
        if any(_MISREAD_DIGIT.search(text) for text in texts.values()):
            cost += _IMPLAUSIBLE
        # A row shorter than its columns lost cells to no flattening but a blank;
        # a note is often left empty.
        missing = sum(1 for index, role in self.roles if index not in cells and role != "note")
        # (A budget's sub-rows often leave its rate blank; an indicator row
        # always has its weight and score.)
        cost += missing * (2 if self.kind == "budget" else _DOUBTFUL)
        name = texts.get("name", "")
        if re.search(r"\d", name):
            cost += 1
        if _DIGIT_LIKE.match(name[-1:]):
            cost += _DOUBTFUL  # a label ends in a word; a figure does not end a label
        if re.search(r"\d", texts.get("note", "")):
            cost += 2
        target, actual = (_MEASURE.match(texts.get(r, "")) for r in ("target", "actual"))
        if target and actual and target["unit"] != actual["unit"]:
            cost += 1
        weight, score = (texts.get(r) for r in ("weight", "score"))
        if weight and _BARE.match(weight) and float(weight.replace(",", "")) > _MOST_WEIGHT:
            cost += _IMPLAUSIBLE
        elif (
            weight
            and score
            and _BARE.match(weight)
            and _BARE.match(score)
            and float(score.replace(",", "")) > float(weight.replace(",", ""))
        ):
            cost += 5
        if weight and "." in weight:
            cost += 1  # weights are whole points, scores need not be
        cost += _rate_cost(texts)
        decimals = {
            len(text.partition(".")[2])
            for role, text in texts.items()
            if role in _MONEY_ROLES and _BARE.match(text)
        }
        cost += 3 * (len(decimals) - 1) if decimals else 0
        return cost


def _rate_cost(texts: dict[str | None, str]) -> float:
    """A rate far above any plan, or other than the row's own sums give."""
    rate = texts.get("execution_rate", "")
    if not _RATE.match(rate):
        return 0
    percent = float(rate[:-1].replace(",", ""))
    if percent > 300:
        return 4
    budget = texts.get("full_year_budget") or texts.get("initial_budget") or ""
    spent = texts.get("spent", "")
    if _BARE.match(budget) and _BARE.match(spent) and float(budget.replace(",", "")):
        given = float(spent.replace(",", "")) / float(budget.replace(",", "")) * 100
        return 0 if abs(given - percent) < 0.6 else 2
    return 0


def _fits_run_together(role: str | None, cell: str, kind: str) -> bool:
    if _DASH.match(cell):
        return role not in ("target", "actual", "op", "unit")
    if role in ("weight", "score") or (kind == "budget" and role in _MONEY_ROLES):
        return bool(_BARE.match(cell))
    if role == "execution_rate":
        return bool(_RATE.match(cell))
    if role == "op":
        return bool(_OP.match(cell))
    if role == "unit":
        return bool(re.fullmatch(_UNIT, cell))
    if role in ("target", "actual"):
        return bool(_MEASURE.match(cell) or _WORDS.match(cell))
    return bool(_BARE.match(cell) or _RATE.match(cell))


def _cut_points(line: str, start: int) -> set[int]:
    """Where a cell may end in a row with no separators: within and around runs of
    figures, before a comparator, at the line's end, and between the halves of
    a doubled phrase (a target in words that was met: 持续改善持续改善)."""
    cuts = {len(line)}
    for position in range(start + 1, len(line)):
        before, after = line[position - 1], line[position]
        if (
            _DIGIT_LIKE.match(before)
            or _DIGIT_LIKE.match(after)
            or after in _COMPARATORS
            or before in _DASHES
            or after in _DASHES
        ):
            cuts.add(position)
    for match in re.finditer(rf"[^\d{_COMPARATORS}%.,]+", line):
        if match.end() <= start:
            continue
        words = line[max(match.start(), start) : match.end()]
        for size in range(2, len(words) // 2 + 1):
            if words[-size:] == words[-2 * size : -size]:
                cuts.add(match.end() - size)
                cuts.add(match.end() - 2 * size)
    cuts.discard(start)
    return cuts
