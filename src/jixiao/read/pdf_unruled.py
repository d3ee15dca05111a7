"""Tables printed with no ruling line, rebuilt from where their glyphs stand.

A web page printed to PDF, or a Word table whose borders were switched off,
gives text whose cells are only told apart by space. Read as lines, such a
table falls apart: a cell that wraps puts its second line under the row, and a
cell set in the middle of a tall row has a line of its own between the two.

Here the table is found as a run of lines broken by wide gaps, and rebuilt as
a reader sees it:

- columns are the vertical bands of white that run down the whole table;
- rows are the horizontal bands of white across the columns that have a cell
  in almost every row; a cell's wrapped lines stand closer together than
  rows do, or a cell set in the middle of the row fills the space between them;
- the grouping columns on the left, whose one label stands for several rows
  (a merged cell, drawn without its borders), give that label to each row it
  stands for: the rows around it when labels are set in the middle of their
  cell, the rows down to the next label when they are set at its top.

A table that page breaks cut is read as one, its pages' rows set one under the
other: its columns are those all its rows show, and a merged label the break
cut, printed on one page only, stands for its rows on both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from statistics import median

from jixiao.read.pdf_layout import (
    CONTINUED,
    Glyph,
    PageLayout,
    PageTable,
    TableCell,
    TextLine,
    build_lines,
    cell_text,
    glyph_box,
    wide,
)

# Cells of a row stand at least this far apart (in ems); words of one cell closer.
_CELL_GAP = 1.0
# Cells of a table squeezed to the page's width may stand only this far apart.
_NARROW_GAP = 0.5
# A table has at least this many lines broken into cells.
_MIN_ROWS = 3
# A column with a cell in no more than this share of the rows is a grouping
# column (on the left) or a column of notes left blank.
_ROW_FILL = 0.75
# Lines of a run closer than this (in ems) are one paragraph of a table.
_NEAR = 0.6
# A cell spanning a form's columns is a name or a sentence: this many characters at least.
_SPANNING_WORDS = 4
# A label set in the middle of its rows stands this close (in ems) to their middle.
_MIDDLE = 0.5
# Lines overlapping by this much (in ems) stand at the same height: one row's.
_LEVEL = 0.25
# Cells of one column start this close (in points) to each other.
_SAME_START = 1.0
# The resolution, in points, of the white bands that part columns.
_STEP = 0.5

# A figure, or the mark a form puts where it has none (/, —).
_FIGURE = re.compile(r"[<>≤≥=＝≈约]?\s*[-+]?\d[\d,.]*\s*%?|[/／—–-]+")


@dataclass
class _Block:
    lines: list[TextLine]
    parted: int = 0  # how many of its lines stand in rows of cells

    @property
    def glyphs(self) -> list[Glyph]:
        return [g for line in self.lines for g in line.glyphs]

    @property
    def top(self) -> float:
        return min(line.box[1] for line in self.lines)

    @property
    def bottom(self) -> float:
        return max(line.box[3] for line in self.lines)


@dataclass
class _Read:
    table: PageTable
    tops: list[float]  # each row's top: where a page break parts the rows


def unruled_tables(layouts: Sequence[PageLayout | None]) -> None:
    """Move the tables among each page's free glyphs into its tables.

    A table a page break cut (the last thing on its page, and the first on the
    next) is read as one, so that its columns are those all its rows show and a
    merged label the break cut stands for its rows on both pages; each page
    keeps the rows printed on it, the later ones continuing the first."""
    chain: list[tuple[PageLayout, _Block]] = []
    for layout in layouts:
        if layout is None:
            _take(chain)
            chain = []
            continue
        lines = build_lines(layout.free)
        blocks = _blocks(lines)
        if chain and blocks and _opens(layout, lines, blocks[0]):
            chain.append((layout, blocks.pop(0)))
            if not blocks and _closes(layout, lines, chain[-1][1]):
                continue
        _take(chain)
        chain = []
        for index, block in enumerate(blocks):
            if block.parted < _MIN_ROWS:
                continue
            if index == len(blocks) - 1 and _closes(layout, lines, block):
                chain = [(layout, block)]
            else:
                _take([(layout, block)])
    _take(chain)


def _opens(layout: PageLayout, lines: list[TextLine], block: _Block) -> bool:
    """Whether nothing stands above the block on its page but a 续表 line."""
    return not any(
        line.box[3] <= block.top and not CONTINUED.fullmatch(line.text.strip()) for line in lines
    ) and not any(table.box[3] <= block.top for table in layout.tables)


def _closes(layout: PageLayout, lines: list[TextLine], block: _Block) -> bool:
    """Whether nothing stands below the block on its page."""
    return not any(line.box[1] >= block.bottom for line in lines) and not any(
        table.box[1] >= block.bottom for table in layout.tables
    )


def _take(chain: list[tuple[PageLayout, _Block]]) -> None:
    """Read the blocks of one table, one a page, into their pages' tables."""
    if not chain:
        return
    head = chain[0][1]
    lines = list(head.lines)
    starts: list[float | None] = [None]  # where each page's rows start in the joint block
    gap = _row_gap(head)
    for _, block in chain[1:]:
        rest = block.lines[_repeats(block.lines, head.lines) :]
        if not rest:  # the page repeats the header only
            starts.append(None)
            continue
        offset = max(line.box[3] for line in lines) + gap - min(line.box[1] for line in rest)
        shifted = build_lines(_lowered(g, offset) for line in rest for g in line.glyphs)
        starts.append(shifted[0].box[1])
        lines += shifted
    breaks = [start for start in starts if start is not None]
    read = _table(_Block(lines), breaks)
    if read is None:
        return
    first: PageTable | None = None
    for index, ((layout, block), start) in enumerate(zip(chain, starts, strict=True)):
        taken = {id(g) for g in block.glyphs}
        layout.free = [g for g in layout.free if id(g) not in taken]
        if index and start is None:
            continue
        low = start if start is not None else float("-inf")
        high = min((b for b in breaks if b > low), default=float("inf"))
        rows = [
            row for row, top in zip(read.table.rows, read.tops, strict=True) if low <= top < high
        ]
        if rows:
            part = PageTable(
                glyph_box(block.glyphs), read.table.columns, rows, first_part=first, ruled=False
            )
            layout.tables.append(part)
            first = first or part


def _row_gap(block: _Block) -> float:
    """The white between two rows of the block: the wider half of the gaps
    between its lines (the narrower are between a cell's wrapped lines)."""
    bands = _bands(block.lines)
    gaps = sorted(b[0] - a[1] for a, b in pairwise(bands))
    return gaps[len(gaps) // 2] if gaps else block.lines[0].glyphs[0].size


def _repeats(lines: list[TextLine], head: list[TextLine]) -> int:
    """How many of the lines repeat the table's first lines (a header printed on
    each page), in the same place across the page."""
    count = 0
    for line, first in zip(lines, head, strict=False):
        same_place = abs(line.box[0] - first.box[0]) <= line.glyphs[0].size
        if line.text.strip() != first.text.strip() or not same_place:
            break
        count += 1
    return count


def _lowered(glyph: Glyph, offset: float) -> Glyph:
    return replace(
        glyph, y0=glyph.y0 + offset, y1=glyph.y1 + offset, baseline=glyph.baseline + offset
    )


# --- where a table stands ------------------------------------------------------


def _in_cells(lines: list[TextLine]) -> set[int]:
    """The lines (their ids) that stand in a row of cells: whose text, with that
    of the lines beside them at the same height, is parted by a gap between
    cells. A row's cells may stand at different heights: a label wrapped on
    two lines beside a name set in their middle."""
    found: set[int] = set()
    rows: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda line: line.box[1]):
        size = line.glyphs[0].size
        if rows and max(other.box[3] for other in rows[-1]) - line.box[1] >= _LEVEL * size:
            rows[-1].append(line)
        else:
            rows.append([line])
    for row in rows:
        spans = sorted((g.x0, g.x1, g.size) for line in row for g in line.glyphs)
        end = spans[0][1]
        for x0, x1, size in spans[1:]:
            if x0 - end >= _CELL_GAP * size:
                found.update(id(line) for line in row)
                break
            end = max(end, x1)
    return found


def _blocks(lines: list[TextLine]) -> list[_Block]:
    """Runs of lines broken into cells, with the lines of a cell's wrapped text
    that stand among them; a line as wide as a paragraph ends a run."""
    blocks: list[_Block] = []
    current: list[TextLine] = []
    pending: list[TextLine] = []  # lines of one run of text, kept if cells follow
    in_cells = _in_cells(lines)

    def close() -> None:
        if current:
            parted = sum(1 for line in current if id(line) in in_cells)
            blocks.append(_Block(current + _close_below(current, pending), parted))

    for line in lines:
        size = line.glyphs[0].size
        last = (pending or current)[-1] if (pending or current) else None
        if last is not None and line.box[1] - last.box[3] > 2 * size:
            close()
            current, pending = [], []
        if id(line) in in_cells:
            if not current:
                pending = _close_below([line], list(reversed(pending)))[::-1]
            current += pending + [line]
            pending = []
        elif current and (_narrow(line, current) or _inside(line, current, in_cells)):
            pending.append(line)
        else:
            close()
            current, pending = [], [line]
    close()
    return blocks


def _narrow(line: TextLine, block: list[TextLine]) -> bool:
    left = min(b.box[0] for b in block)
    right = max(b.box[2] for b in block)
    return line.box[2] - line.box[0] <= (right - left) / 3


def _inside(line: TextLine, block: list[TextLine], in_cells: set[int]) -> bool:
    """Whether a line however wide starts where cells of the block's rows do,
    right of its first column: a wrapped line of a cell spanning columns (a
    form's goals), not a paragraph of the page, which starts at its margin."""
    size = line.glyphs[0].size
    if line.box[0] - min(b.box[0] for b in block) < size:
        return False
    starts = {run[0].x0 for row in block if id(row) in in_cells for run in _runs(row.glyphs)}
    return any(abs(line.box[0] - start) <= _SAME_START for start in starts)


def _close_below(block: list[TextLine], after: list[TextLine]) -> list[TextLine]:
    """The lines of `after` (nearest first) that stand right against the block,
    as the wrapped lines of a cell do: a caption or the next paragraph is further."""
    kept: list[TextLine] = []
    edge = block[-1] if after and after[0].box[1] >= block[-1].box[1] else block[0]
    for line in after:
        reference = kept[-1] if kept else edge
        size = line.glyphs[0].size
        gap = max(line.box[1] - reference.box[3], reference.box[1] - line.box[3])
        if gap > _NEAR * size or not _narrow(line, block):
            break
        kept.append(line)
    return kept


# --- columns and rows -----------------------------------------------------------


def _columns(block: _Block) -> list[tuple[float, float]]:
    """The x-ranges of the columns: parted by bands of white that every line
    leaves, and in a longer table by bands one line crosses (a title over
    several columns, or a total row's label) where no band every line leaves
    stands."""
    left = min(line.box[0] for line in block.lines)
    right = max(line.box[2] for line in block.lines)
    steps = int((right - left) / _STEP) + 1
    crossing = [0] * steps
    for line in block.lines:
        covered: set[int] = set()
        for glyph in line.glyphs:
            first = int((glyph.x0 - left) / _STEP)
            last = int((glyph.x1 - left) / _STEP)
            covered.update(range(max(first, 0), min(last, steps - 1) + 1))
        for step in covered:
            crossing[step] += 1
    white = _white(crossing, 0)
    if len(block.lines) >= 2 * _MIN_ROWS:
        white += [
            band
            for band in _white(crossing, 1)
            if not any(band[0] <= other[1] and other[0] <= band[1] for other in white)
        ]
    edges = [-1, *(step for band in sorted(white) for step in band), steps]
    columns = [
        (left + (after + 1) * _STEP, min(left + before * _STEP, right))
        for after, before in zip(edges[::2], edges[1::2], strict=True)
    ]
    return _parted(columns, block.lines)


def _white(crossing: list[int], allowed: int) -> list[tuple[int, int]]:
    """The runs of steps (at least 1.5 points wide) that at most `allowed` lines cross."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for step, count in enumerate([*crossing, allowed + 1]):
        if count <= allowed:
            start = step if start is None else start
            continue
        if (
            start is not None
            and (step - start) * _STEP >= 1.5
            and start > 0
            and step < len(crossing)
        ):
            runs.append((start, step - 1))
        start = None
    return runs


def _parted(columns: list[tuple[float, float]], lines: list[TextLine]) -> list[tuple[float, float]]:
    """The columns without the bands of white that no row parts cells at: a
    band some cell's words happen to leave is no column's edge."""
    glyphs = [g for line in lines for g in line.glyphs]
    kept = columns[:1]
    for column in columns[1:]:
        if _parts(glyphs, kept[-1], column):
            kept.append(column)
        else:
            kept[-1] = (kept[-1][0], column[1])
    return kept


def _parts(glyphs: list[Glyph], left: tuple[float, float], right: tuple[float, float]) -> bool:
    """Whether some row has a cell in both columns, apart by a gap between cells
    (the two need not share a baseline: one may be set in the middle of the row),
    or two rows do by the narrower gap a squeezed table leaves between them."""
    after = [g for g in glyphs if right[0] <= (g.x0 + g.x1) / 2 <= right[1]]
    support = 0
    for line in build_lines(after):
        level = [
            g
            for g in glyphs
            if g.x1 <= line.box[0] and min(g.y1, line.box[3]) - max(g.y0, line.box[1]) > 0
        ]
        if not level:
            continue
        nearest = max(level, key=lambda g: g.x1)
        gap = (line.box[0] - nearest.x1) / line.glyphs[0].size
        if nearest.x0 >= left[0] and gap >= _NARROW_GAP:
            support += 1 if gap < _CELL_GAP else 2
    return support >= 2


def _column_of(glyph: Glyph, columns: list[tuple[float, float]]) -> int:
    centre = (glyph.x0 + glyph.x1) / 2
    return min(
        range(len(columns)),
        key=lambda c: (
            0
            if columns[c][0] <= centre <= columns[c][1]
            else min(abs(centre - columns[c][0]), abs(centre - columns[c][1]))
        ),
    )


def _bands(lines: Sequence[TextLine]) -> list[tuple[float, float]]:
    """The y-ranges the lines cover, overlapping ones joined."""
    bands: list[tuple[float, float]] = []
    for line in sorted(lines, key=lambda line: line.box[1]):
        top, bottom = line.box[1], line.box[3]
        if bands and top <= bands[-1][1]:
            bands[-1] = (bands[-1][0], max(bands[-1][1], bottom))
        else:
            bands.append((top, bottom))
    return bands


def _overlap(line: TextLine, band: tuple[float, float]) -> float:
    return min(line.box[3], band[1]) - max(line.box[1], band[0])


def _band_of(line: TextLine, bands: list[tuple[float, float]]) -> int:
    return max(range(len(bands)), key=lambda b: _overlap(line, bands[b]))


def _figure(text: str) -> bool:
    return bool(_FIGURE.fullmatch(text.strip()))


# --- the table -------------------------------------------------------------------


def _table(
    block: _Block,
    breaks: Sequence[float] = (),
    columns: list[tuple[float, float]] | None = None,
) -> _Read | None:
    """The block read as a table, or None if it is none; `breaks` are where the
    rows of each page after the first start, when a page break cut it, and
    `columns` those of the table above it that the block goes on."""
    columns = columns or _columns(block)
    if len(columns) < 2:
        return None
    by_column: list[list[Glyph]] = [[] for _ in columns]
    for glyph in block.glyphs:
        by_column[_column_of(glyph, columns)].append(glyph)
    lines = [build_lines(glyphs) for glyphs in by_column]
    if _prose(lines, columns):
        return None
    form = _form(lines, columns, breaks)
    if form is not None:
        return form
    keys = [c for c, column in enumerate(lines) if _mostly_figures(column)]
    # How many rows each column has a cell in, a cell's wrapped lines counted
    # once: in a table of narrow columns a figure stands level with the middle
    # line of the words beside it.
    whole_cells = [_cells_of(column) for column in lines]
    everything = _bands([cell for column in whole_cells for cell in column])
    fill = [
        len({_band_of(cell, everything) for cell in column}) / len(everything)
        for column in whole_cells
    ]
    # The rows as the columns of figures (a score, an amount) show them: one
    # line a row. A label that stands across two of them is a merged cell's.
    figures = _bands([line for c in keys for line in lines[c] if _figure(line.text)])
    defining = [
        c for c, share in enumerate(fill) if share > _ROW_FILL and not _straddles(lines[c], figures)
    ] or list(range(len(columns)))
    bands = _rows(_bands([line for c in defining for line in lines[c]]), lines, defining, keys)
    grouping = [c for c in range(min(defining)) if lines[c]]
    rows: list[list[TableCell]] = [[TableCell("") for _ in columns] for _ in bands]
    for c, column in enumerate(lines):
        if c in grouping:
            continue
        cells: dict[int, list[Glyph]] = {}
        for line in column:
            cells.setdefault(_band_of(line, bands), []).extend(line.glyphs)
        for b, glyphs in cells.items():
            rows[b][c] = _read(glyphs, columns[c], bands[b])
    if grouping:
        labels = {c: lines[c] for c in grouping}
        _spread_labels(rows, bands, labels, columns, lines, defining, _after(bands, breaks))
    table = PageTable(glyph_box(block.glyphs), [left for left, _ in columns], rows, ruled=False)
    return _Read(table, [top for top, _ in bands])


def _form(
    lines: list[list[TextLine]], columns: list[tuple[float, float]], breaks: Sequence[float]
) -> _Read | None:
    """A form: labels down the left (项目名称, 项目资金, 绩效指标), each standing
    for a part of its own, whose columns are not the other parts' (a line of
    text, a table of funds, a table of indicators). Each part is read as a
    table of its own, its label in front of each of its rows. A table whose
    left column groups its rows has no part that is a line of text across
    the columns of the others."""
    labels, rest = lines[0], [line for column in lines[1:] for line in column]
    if len(labels) < 2 or not rest:
        return None
    bands = _bands(rest)
    paragraphs = _paragraphs(labels, _NEAR * labels[0].glyphs[0].size)
    middle = any(_set_in_middle(label, bands) for label in paragraphs) or _first_row_blank(
        paragraphs, bands
    )
    spans = _middle_spans(paragraphs, bands) if middle else _top_spans(paragraphs, bands)
    spans = _over_breaks(spans, _after(bands, breaks), len(bands))
    # Rows above the first label are the rest of a part a page break cut: a part
    # of no label. Rows below the last are its part's: a page break cut the part,
    # and the label stands in the middle of what this page printed.
    labelled: list[tuple[list[TextLine], tuple[int, int]]] = []
    start = 0
    for label, (first, last) in zip(paragraphs, spans, strict=True):
        if first > start:
            labelled.append(([], (start, first - 1)))
        labelled.append((label, (first, last)))
        start = last + 1
    labelled[-1] = (labelled[-1][0], (labelled[-1][1][0], len(bands) - 1))
    parts: list[list[list[TableCell]]] = []
    tops: list[list[float]] = []
    tables: list[PageTable] = []
    texts: list[list[Glyph]] = []  # the glyphs of each part that is no table
    for _, (first, last) in labelled:
        top, bottom = bands[first][0], bands[last][1]
        glyphs = [
            g for line in rest if top <= line.box[1] and line.box[3] <= bottom for g in line.glyphs
        ]
        read = _table(_Block(build_lines(glyphs)), breaks) if glyphs else None
        if read is None and tables and _only_figures(glyphs):
            # A row of totals under the part above, its figures set too close
            # to part columns of their own: they stand in the columns above.
            read = _table(_Block(build_lines(glyphs)), breaks, _ranges(tables[-1]))
        if read is None:
            lines_of_text = build_lines(glyphs)
            parts.append(
                [[TableCell(line.text.strip())] for line in lines_of_text] or [[TableCell("")]]
            )
            tops.append([line.box[1] for line in lines_of_text] or [top])
            texts.append(glyphs)
        else:
            parts.append(read.table.rows)
            tops.append(read.tops)
            tables.append(read.table)
    if not any(
        _across(run, table) for glyphs in texts for run in _runs(glyphs) for table in tables
    ):
        return None  # one table, its groups labelled on the left
    width = max(len(row) for part in parts for row in part) + 1
    rows = []
    for (label, (first, last)), part in zip(labelled, parts, strict=True):
        cell = _read(
            [g for line in label for g in line.glyphs],
            columns[0],
            (bands[first][0], bands[last][1]),
        )
        for index, row in enumerate(part):
            padded = row + [TableCell("") for _ in range(width - 1 - len(row))]
            # A part of no label goes on the one a page break cut on the page before.
            rows.append([replace(cell, merged_above=index > 0 or not label), *padded])
    lefts = [columns[0][0]] + [columns[min(c, len(columns) - 1)][0] for c in range(1, width)]
    box = glyph_box([g for column in lines for line in column for g in line.glyphs])
    return _Read(PageTable(box, lefts, rows, ruled=False), [top for part in tops for top in part])


def _only_figures(glyphs: list[Glyph]) -> bool:
    words = [word for line in build_lines(glyphs) for word in line.text.split()]
    return len(words) > 1 and all(map(_figure, words))


def _ranges(table: PageTable) -> list[tuple[float, float]]:
    """The x-ranges of a table's columns."""
    return list(pairwise([*table.columns, table.box[2]]))


def _runs(glyphs: list[Glyph]) -> list[list[Glyph]]:
    """Each line's runs of text between gaps as wide as those between cells."""
    runs = []
    for line in build_lines(glyphs):
        runs.append([line.glyphs[0]])
        for before, after in pairwise(line.glyphs):
            if after.x0 - before.x1 >= _CELL_GAP * max(before.size, after.size):
                runs.append([])
            runs[-1].append(after)
    return runs


def _across(run: list[Glyph], table: PageTable) -> bool:
    """Whether a run of text stands over three of a table's columns, or over two
    by two characters or more in each: a cell spanning them (a wide figure may
    cross a little into the white of the next column)."""
    if sum(1 for glyph in run if wide(glyph.text)) < _SPANNING_WORDS:
        return False  # figures set close together, not a sentence or a name
    edges = [*table.columns, table.box[2]]
    left, right = run[0].x0, run[-1].x1
    covered = [min(right, b) - max(left, a) for a, b in pairwise(edges)]
    least = 2 * max(glyph.size for glyph in run)
    return (
        sum(1 for width in covered if width > 0) > 2
        or sum(1 for width in covered if width >= least) >= 2
    )


def _straddles(column: list[TextLine], rows: list[tuple[float, float]]) -> bool:
    """Whether a paragraph of the column stands across two rows: it touches two,
    or it stands between them, level with neither (a cell's text is set at the
    top of its row or in its middle, where the row's figures are)."""
    if not column or not rows:
        return False
    size = column[0].glyphs[0].size
    for paragraph in _paragraphs(column, _NEAR * size):
        top, bottom = _extent(paragraph)
        if sum(1 for row in rows if min(bottom, row[1]) - max(top, row[0]) > 0) > 1:
            return True
        middle = (top + bottom) / 2
        level = any(
            abs(middle - (row[0] + row[1]) / 2) <= _MIDDLE * size
            or abs(top - row[0]) <= _MIDDLE * size
            for row in rows
        )
        if not level and rows[0][0] <= middle <= rows[-1][1]:
            return True
    return False


def _prose(lines: list[list[TextLine]], columns: list[tuple[float, float]]) -> bool:
    """Whether the columns are a page's columns of text rather than a table's:
    two, each filled by long lines."""
    if len(columns) != 2:
        return False
    return all(median(len(line.text) for line in column) >= 20 for column in lines if column)


def _read(glyphs: list[Glyph], column: tuple[float, float], band: tuple[float, float]) -> TableCell:
    return cell_text(glyphs, (column[0], band[0], column[1], band[1]))


def _rows(
    bands: list[tuple[float, float]],
    lines: list[list[TextLine]],
    defining: list[int],
    keys: list[int],
) -> list[tuple[float, float]]:
    """The table's rows from the bands its row-defining columns cover.

    Where a row's cells are told apart from its wrapped lines by the columns of
    figures (a weight, a score) having one line a row: a band with no figure
    there is a wrapped cell's line, and goes with the nearest band that has
    one (the one above when they tie). Bands above the first figures that
    have words in those columns are the header, one row."""
    keys = [c for c in keys if c in defining]
    if not keys:
        return bands

    def has(band: tuple[float, float], figure: bool) -> bool:
        return any(
            _figure(line.text) == figure and _overlap(line, band) > 0
            for c in keys
            for line in lines[c]
        )

    with_figures = [b for b, band in enumerate(bands) if has(band, figure=True)]
    if not with_figures:
        return bands
    header = max((b for b in range(with_figures[0]) if has(bands[b], figure=False)), default=-1)
    rows = {b: bands[b] for b in with_figures}
    for b in range(header + 1, len(bands)):
        if b in rows:
            continue
        nearest = min(with_figures, key=lambda f: (_distance(bands[b], bands[f]), -f))
        top, bottom = rows[nearest]
        rows[nearest] = (min(top, bands[b][0]), max(bottom, bands[b][1]))
    body = [rows[b] for b in with_figures]
    return [(bands[0][0], bands[header][1]), *body] if header >= 0 else body


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(a[0] - b[1], b[0] - a[1], 0.0)


def _mostly_figures(column: list[TextLine]) -> bool:
    return bool(column) and sum(map(_figure, (line.text for line in column))) * 2 > len(column)


def _spread_labels(
    rows: list[list[TableCell]],
    bands: list[tuple[float, float]],
    grouping: dict[int, list[TextLine]],
    columns: list[tuple[float, float]],
    lines: list[list[TextLine]],
    defining: list[int],
    breaks: set[int],
) -> None:
    """Give each grouping label to the rows it stands for."""
    gap = _paragraph_gap(lines, defining, bands)
    labels = {c: _paragraphs(column, gap) for c, column in grouping.items()}
    middle = any(
        _set_in_middle(label, bands) for column in labels.values() for label in column
    ) or any(_first_row_blank(column, bands) for column in labels.values())
    for c, column in labels.items():
        spans = _middle_spans(column, bands) if middle else _top_spans(column, bands)
        spans = _over_breaks(spans, breaks, len(bands))
        # Rows under the header that no label stands for go on a label a page
        # break cut, printed on the page before: merged from above, empty here.
        for b in range(1, spans[0][0] if spans else 0):
            rows[b][c] = TableCell("", merged_above=True)
        for label, (first, last) in zip(column, spans, strict=True):
            cell = _read(
                [g for line in label for g in line.glyphs],
                columns[c],
                (bands[first][0], bands[last][1]),
            )
            for b in range(first, last + 1):
                rows[b][c] = replace(cell, merged_above=b > first)


def _paragraph_gap(
    lines: list[list[TextLine]], defining: list[int], bands: list[tuple[float, float]]
) -> float:
    """Where the white between two lines of one column stops being a wrapped
    cell's and becomes the one between rows: midway between the two, as the
    row-defining columns show them. Rows of one line stand closer together
    than rows whose cells wrap, so the narrower rows count."""
    inside: list[float] = []
    for c in defining:
        for above, below in pairwise(lines[c]):
            if _band_of(above, bands) == _band_of(below, bands):
                inside.append(below.box[1] - above.box[3])
    between = [b[0] - a[1] for a, b in pairwise(bands)]
    size = lines[defining[0]][0].glyphs[0].size if lines[defining[0]] else 10.0
    wrapped = median(inside) if inside else 0.0
    rows = sorted(between)[len(between) // 4] if between else _NEAR * size
    return (wrapped + rows) / 2


def _cells_of(column: list[TextLine]) -> list[TextLine]:
    """A column's cells, each one line over its wrapped lines."""
    if not column:
        return []
    cells = []
    for paragraph in _paragraphs(column, _NEAR * column[0].glyphs[0].size):
        glyphs = [g for line in paragraph for g in line.glyphs]
        cells.append(TextLine(" ".join(line.text for line in paragraph), glyph_box(glyphs), glyphs))
    return cells


def _paragraphs(column: list[TextLine], gap: float) -> list[list[TextLine]]:
    paragraphs: list[list[TextLine]] = []
    for line in column:
        if paragraphs and line.box[1] - paragraphs[-1][-1].box[3] < gap:
            paragraphs[-1].append(line)
        else:
            paragraphs.append([line])
    return paragraphs


def _extent(label: list[TextLine]) -> tuple[float, float]:
    return label[0].box[1], label[-1].box[3]


def _set_in_middle(label: list[TextLine], bands: list[tuple[float, float]]) -> bool:
    """Whether a label stands lower than the top of the row it starts in, or
    across two rows: set in the middle of a merged cell."""
    top, bottom = _extent(label)
    touched = [b for b, band in enumerate(bands) if min(bottom, band[1]) > max(top, band[0])]
    if len(touched) > 1:
        return True
    if not touched:
        return False
    size = label[0].glyphs[0].size
    return top - bands[touched[0]][0] > 0.5 * size


def _first_row_blank(labels: list[list[TextLine]], bands: list[tuple[float, float]]) -> bool:
    """Whether the first row under the header has no label of its own, which a
    label set at the top of its rows would give it."""
    below = [_nearest(bands, _extent(label)[0]) for label in labels]
    return bool(below) and min((b for b in below if b > 0), default=1) > 1


def _middle_spans(
    labels: list[list[TextLine]], bands: list[tuple[float, float]]
) -> list[tuple[int, int]]:
    """Each label's rows when it is set in the middle of them: the widest run
    of rows, between the rows labels above took and the next label, that has
    the label in its middle. Rows above it that no label stands for stay
    without one: a label a page break cut was printed on the page before."""
    spans = []
    start = 0
    for index, label in enumerate(labels):
        top, bottom = _extent(label)
        centre = (top + bottom) / 2
        touched = _touched(label, bands)
        first_touch = touched[0] if touched else _nearest(bands, centre)
        last_touch = touched[-1] if touched else first_touch
        start = min(start, first_touch)
        limit = len(bands) - 1
        if index + 1 < len(labels):
            following = labels[index + 1]
            after = _touched(following, bands)
            limit = (after[0] if after else _nearest(bands, sum(_extent(following)) / 2)) - 1
        limit = max(limit, last_touch)
        tolerance = _MIDDLE * label[0].glyphs[0].size
        errors = {
            (first, last): abs((bands[first][0] + bands[last][1]) / 2 - centre)
            for first in range(start, first_touch + 1)
            for last in range(last_touch, limit + 1)
        }
        fitting = [span for span, error in errors.items() if error <= tolerance]
        span = (
            max(fitting, key=lambda span: span[1] - span[0])
            if fitting
            else min(errors, key=errors.__getitem__)
        )
        spans.append(span)
        start = span[1] + 1
    return spans


def _touched(label: list[TextLine], bands: list[tuple[float, float]]) -> list[int]:
    top, bottom = _extent(label)
    return [b for b, band in enumerate(bands) if band[0] < bottom and band[1] > top]


def _top_spans(
    labels: list[list[TextLine]], bands: list[tuple[float, float]]
) -> list[tuple[int, int]]:
    """Each label's rows when it is set at the top of them: down to the next label."""
    firsts = [_nearest(bands, _extent(label)[0]) for label in labels]
    ends = [b - 1 for b in firsts[1:]] + [len(bands) - 1]
    return [(first, max(first, end)) for first, end in zip(firsts, ends, strict=True)]


def _nearest(bands: list[tuple[float, float]], y: float) -> int:
    return min(
        range(len(bands)),
        key=lambda b: (
            0
            if bands[b][0] <= y <= bands[b][1]
            else min(abs(y - bands[b][0]), abs(y - bands[b][1]))
        ),
    )


def _after(bands: list[tuple[float, float]], breaks: Sequence[float]) -> set[int]:
    """The first band of each page after a page break."""
    return {
        first
        for y in breaks
        if (first := next((b for b, band in enumerate(bands) if band[0] >= y), None)) is not None
    }


def _over_breaks(
    spans: list[tuple[int, int]], breaks: set[int], count: int
) -> list[tuple[int, int]]:
    """The labels' spans grown over the rows next to a page break that no label
    stands for: a merged cell the break cut prints its label on one of the two
    pages only, the one before unless all its rows there come before the break."""
    grown = list(spans)
    for first in sorted(breaks):
        before = max((i for i, span in enumerate(grown) if span[0] < first), default=None)
        if before is None:
            continue
        following = before + 1 if before + 1 < len(grown) else None
        start = grown[before][1] + 1
        end = grown[following][0] - 1 if following is not None else count - 1
        if start > end or not start <= first <= end + 1:
            continue
        if following is not None and end < first:
            grown[following] = (start, grown[following][1])
        else:
            grown[before] = (grown[before][0], end)
    return grown
