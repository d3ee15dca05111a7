"""Read scanned pages with OCR: lines in reading order, tables rebuilt as rows.

RapidOCR (its models ship in the wheel: nothing is downloaded at run time)
finds the text boxes of a page image and reads each character with a
probability. The page is first turned level (up to 6° askew) and upright
(a page scanned upside down or turned a quarter either way), and the ruling
lines of its tables are found (and erased, so that they are not read as
text). This module then puts the boxes in the order a reader takes them and
writes the page as the text the later stages already read:

- boxes on one visual row make one line, left to right;
- a table becomes one row per line, cells separated by tabs, as tables
  flattened from Word files come (see `jixiao.structure.tables.find_text_grids`). Its
  rows and columns are taken from its ruling lines where it has them: a cell
  merged down over several rows is written in its first row and left empty
  below, a cell merged across columns is one cell, and a cell's wrapped lines
  are joined. A table without ruling lines is recognised by boxes standing in
  the same columns on consecutive lines, one line a row.

Every box keeps its confidence and, once the page is written, its span in the
text (a `Reading`), so that facts read from doubtful text can be flagged.
Not handled: pages in two text columns, and borderless tables whose rows stand as close as the wrapped lines of a cell.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache

import cv2
import numpy as np

from jixiao.document import Grid, Loaded, Page, Reading
from jixiao.read.base import LoadError

# Punctuation whose width or form the recogniser hesitates over (（ or (, ；
# or ;) while it changes no figure: it does not count against a box. The
# decimal point and the thousands comma do.
_UNWEIGHED = frozenset("，。、；：？！（）“”‘’《》【】()[];:!?\"'")


@dataclass(frozen=True)
class Box:
    """A stretch of one line of print that the engine read: its characters, where
    each stands across the page and how sure the engine was of it, and the top
    and bottom of the line (pixels)."""

    text: str
    top: float
    bottom: float
    edges: tuple[tuple[float, float], ...]  # each character's left and right
    probabilities: tuple[float, ...]  # each character's

    @property
    def left(self) -> float:
        return self.edges[0][0]

    @property
    def right(self) -> float:
        return self.edges[-1][1]

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def centre(self) -> float:
        return (self.left + self.right) / 2

    @property
    def confidence(self) -> float:
        """The probability of its least certain character, punctuation aside."""
        weighed = [p for ch, p in zip(self.text, self.probabilities) if ch not in _UNWEIGHED]
        return min(weighed or self.probabilities)

    def cut(self, bounds: Sequence[float]) -> list[Box]:
        """The box in pieces where `bounds` (positions across the page) fall
        between the middles of two of its characters."""
        middles = [(left + right) / 2 for left, right in self.edges]
        starts = [0] + [
            i
            for i in range(1, len(middles))
            if any(middles[i - 1] < bound <= middles[i] for bound in bounds)
        ]
        pieces = [
            self._part(start, end) for start, end in zip(starts, [*starts[1:], len(self.text)])
        ]
        return [piece for piece in pieces if piece is not None]

    def _part(self, start: int, end: int) -> Box | None:
        """Characters `start` to `end`, spaces at either end left out; None if blank."""
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        if start == end:
            return None
        return Box(
            self.text[start:end],
            self.top,
            self.bottom,
            self.edges[start:end],
            self.probabilities[start:end],
        )


@dataclass(frozen=True)
class Line:
    """A line of the page's text: prose is one cell; a table row has a cell per
    column, each the boxes read in it (none where the cell is empty)."""

    cells: tuple[tuple[Box, ...], ...]
    table: bool = False

    @property
    def boxes(self) -> list[Box]:
        return [box for cell in self.cells for box in cell]

    @property
    def box(self) -> tuple[float, float, float, float]:
        """Left, top, right and bottom of the line's boxes."""
        boxes = self.boxes
        return (
            min(b.left for b in boxes),
            min(b.top for b in boxes),
            max(b.right for b in boxes),
            max(b.bottom for b in boxes),
        )

    @property
    def confidence(self) -> float:
        """The confidence of the line's least certain box."""
        return min(box.confidence for box in self.boxes)

    @property
    def text(self) -> str:
        return page_text([self])[0]


@cache
def _engine():
    # Imported here: onnxruntime is slow to load, and only scans need it.
    from rapidocr_onnxruntime import RapidOCR

    # No angle classifier: it turns short upright boxes upside down ("90%" read
    # as "%06"), and flipping single boxes would not put a page scanned upside
    # down in reading order anyway.
    return RapidOCR(use_cls=False)


def read_image(image: bytes) -> list[Line]:
    """The lines of a page image (PNG or JPEG bytes) in reading order.

    Raises ValueError when the bytes are not an image OpenCV can decode.
    """
    pixels = cv2.imdecode(np.frombuffer(image, np.uint8), cv2.IMREAD_COLOR)
    if pixels is None:
        raise ValueError("not an image OpenCV can decode")
    pixels = _readable(_level(pixels))
    grids, rules = _ruled_grids(cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY))
    # The detector takes a character next to a rule for part of it and leaves
    # it out (一级指标 read as 级指标), and reads what is left of a rule as 丨:
    # the tables' rules are erased first, with the grey at their edges.
    edge = max(3, min(pixels.shape[:2]) // 300)
    pixels[cv2.dilate(rules, np.ones((edge, edge), np.uint8)) > 0] = 255
    found, _ = _engine()(pixels, return_word_box=True)
    boxes = [
        box
        for points, text, _, characters, _, probabilities in found or []
        if (box := _box(points, text, characters, probabilities)) is not None
    ]
    return _layout(boxes, grids) if boxes else []


def lay_out(boxes: list[Box], rules: np.ndarray) -> list[Line]:
    """The lines of a page's text boxes in reading order, its ruled tables
    rebuilt from `rules`: a grey image of the page's ruling lines (dark on
    white), in the boxes' pixel units. For pages whose text and rules are known
    without OCR (an OFD file's)."""
    grids, _ = _ruled_grids(rules)
    return _layout(boxes, grids) if boxes else []


# How far askew a scanned page is looked for, in degrees either way: pages are
# fed to scanners up to 5° askew, and the search goes a little beyond.
_MAX_SKEW = 6.0


def _level(pixels: np.ndarray) -> np.ndarray:
    """The page turned so that its lines run level.

    Rows and columns are found by position, and across an A4 page one degree
    of skew lowers the far end of a rule by the height of a line of text. The
    angle is the one that makes the ink's row profile sharpest (lines of text
    and rules each falling on as few pixel rows as they can), tried in tenths
    of a degree on a quarter-size copy (0.1 s for a page at 150 dpi). A page turned by a
    quarter is levelled as well: its text columns and rules then make the
    profile sharp.
    """
    gray = cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY)
    small = cv2.resize(255 - gray, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    centre = (small.shape[1] / 2, small.shape[0] / 2)

    def sharpness(angle: float) -> float:
        turn = cv2.getRotationMatrix2D(centre, angle, 1.0)
        turned = cv2.warpAffine(small, turn, small.shape[::-1])
        profile = turned.sum(axis=1, dtype=np.float64)
        return float(np.square(np.diff(profile)).sum())

    angles = np.arange(-_MAX_SKEW, _MAX_SKEW + 0.05, 0.1)
    angle = float(max(angles, key=sharpness))
    if abs(angle) < 0.05:
        return pixels
    height, width = gray.shape
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    return cv2.warpAffine(
        pixels, turn, (width, height), flags=cv2.INTER_LINEAR, borderValue=(255, 255, 255)
    )


# The turns that put a page upright, by how it lies: its lines across (upright
# or upside down) or down the page (turned a quarter either way).
_ACROSS = (None, cv2.ROTATE_180)
_DOWN = (cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE)
# The long side of the copy on which the page's text lines are found: at 150 dpi
# and more, a line of 10.5 pt text is still 8 pixels high or more.
_GLANCE_SIDE = 960
# How many of the page's longest text lines are read both ways up, and the
# average confidence that settles the first way tried without the other: print
# upside down reads at 0.4 or less, upright at 0.9 and more.
_PROBES = 6
_SURE = 0.9


def _readable(pixels: np.ndarray) -> np.ndarray:
    """The level page turned by the quarters that make its text read upright.

    The engine's text-line classifier only tells upright from upside down, one
    box at a time. The page's lie is decided once: the detector finds the text
    lines of a small copy (under a second), whose boxes are wide on a page lying
    across and tall on one turned a quarter; then the longest lines are read
    turned the likelier of the two ways that fit (upright, or a quarter
    clockwise) and, unless they read surely so, the other way too, and the way
    read with the higher confidence wins. This costs about a tenth of reading
    the page (bench/scans.py).
    """
    height, width = pixels.shape[:2]
    scale = min(1.0, _GLANCE_SIDE / max(height, width))
    small = cv2.resize(pixels, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    found, _ = _engine()(small, use_det=True, use_cls=False, use_rec=False)
    boxes = [np.asarray(quad, dtype=np.float64) / scale for quad in found or []]
    spans = [(quad.min(axis=0), quad.max(axis=0)) for quad in boxes]
    across = sum(
        right - left for (left, top), (right, bottom) in spans if right - left > 2 * (bottom - top)
    )
    down = sum(
        bottom - top for (left, top), (right, bottom) in spans if bottom - top > 2 * (right - left)
    )
    if not across and not down:
        return pixels
    longest = sorted(spans, key=lambda span: -max(span[1] - span[0]))[:_PROBES]
    # The detector's corners may stand a little outside the page.
    crops = [
        pixels[max(0, int(top)) : int(bottom) + 1, max(0, int(left)) : int(right) + 1]
        for (left, top), (right, bottom) in longest
    ]
    likely, other = _ACROSS if across >= down else _DOWN
    legible = _legibility(crops, likely)
    best = likely if legible >= _SURE or legible >= _legibility(crops, other) else other
    return pixels if best is None else cv2.rotate(pixels, best)


def _legibility(crops: list[np.ndarray], turn: int | None) -> float:
    """How sure the recogniser is, on average, of text lines turned by `turn`."""
    scores = []
    for crop in crops:
        found, _ = _engine()(
            crop if turn is None else cv2.rotate(crop, turn),
            use_det=False,
            use_cls=False,
            use_rec=True,
        )
        scores.append(float(found[0][1]) if found else 0.0)
    return sum(scores) / len(scores)


def _box(
    points: list[list[float]],
    text: str,
    characters: list[list[list[float]]],
    probabilities: list[float],
) -> Box | None:
    """A box from the engine's answer: its corners, its text, and each character's
    corners and probability."""
    edges = tuple(
        (float(min(x for x, _ in corners)), float(max(x for x, _ in corners)))
        for corners in characters
    )
    top, bottom = min(y for _, y in points), max(y for _, y in points)
    whole = Box(text, float(top), float(bottom), edges, tuple(map(float, probabilities)))
    return whole._part(0, len(text))


def read_pages(loaded: Loaded) -> Loaded:
    """`loaded` with the text of its scanned pages read by OCR.

    A PDF's or an image's text is its pages' texts joined by line ends (see
    `jixiao.read`); the scanned pages' texts take their places among them, and
    the grids of the other pages move with their text.
    Raises `LoadError` when OCR finds no text in a file that has no other.
    """
    if not loaded.ocr_pending:
        return loaded
    pieces: list[str] = []
    length = 0
    pages: list[Page] = []
    readings: list[Reading] = []
    moves: list[tuple[int, int, int]] = []  # a text page's old span, and how far it moved
    spans: list[tuple[int, int, Box]]
    for page in loaded.pages:
        if page.image is None:
            text, spans = loaded.text[page.start : page.end], []
        else:
            try:
                lines = read_image(page.image)
            except ValueError as error:
                raise LoadError(
                    loaded.path,
                    f"page {page.number} is not a readable image",
                    "re-export or re-scan it as PNG or JPEG",
                ) from error
            text, spans = page_text(lines)
        if text and length:
            previous = next(p for p in reversed(pages) if p.end > p.start)
            if page.image is None and not previous.ocr:
                # Between two text pages, the loader's own joint: a table it
                # joined over the page break stays one grid.
                joint = loaded.text[loaded.pages[previous.number - 1].end : page.start]
            else:
                joint = page_joint(next(piece for piece in reversed(pieces) if piece))
            pieces.append(joint)
            length += len(joint)
        readings += [
            Reading(length + start, length + end, box.confidence, page.number)
            for start, end, box in spans
        ]
        scanned = page.image is not None
        if not scanned:
            moves.append((page.start, page.end, length - page.start))
        pages.append(replace(page, start=length, end=length + len(text), image=None, ocr=scanned))
        pieces.append(text)
        length += len(text)
    text = "".join(pieces)
    if not text.strip():
        count = len(loaded.ocr_pending)
        where = "the image" if loaded.format == "image" else f"its {count} scanned page(s)"
        raise LoadError(
            loaded.path,
            f"no text found by OCR in {where}",
            "check that the scan is not blank, faint or rotated; rescan it upright at "
            "200–300 dpi, or convert the report to text",
        )
    grids = [_moved(grid, moves) for grid in loaded.grids]
    return replace(loaded, text=text, pages=pages, readings=readings, grids=grids)


def _moved(grid: Grid, moves: Sequence[tuple[int, int, int]]) -> Grid:
    """A grid of a text page, at its page's new place."""

    def at(offset: int) -> int:
        return offset + next((delta for start, end, delta in moves if start <= offset <= end), 0)

    rows = [
        [replace(cell, start=at(cell.start), end=at(cell.end)) for cell in row] for row in grid.rows
    ]
    return replace(grid, rows=rows, start=at(grid.start), end=at(grid.end))


# --- writing lines as text ------------------------------------------------------


def page_text(lines: Sequence[Line]) -> tuple[str, list[tuple[int, int, Box]]]:
    """The text of a page's lines, and the span each box's text took in it.

    A table ends with a blank line, so that the prose after it is not read as
    the wrapped text of its last cell.
    """
    out: list[str] = []
    spans: list[tuple[int, int, Box]] = []
    length = 0
    for number, line in enumerate(lines):
        if number:
            ending = "\n\n" if lines[number - 1].table and not line.table else "\n"
            out.append(ending)
            length += len(ending)
        for column, cell in enumerate(line.cells):
            if column:
                out.append("\t")
                length += 1
            previous: Box | None = None
            for box in cell:
                joint = _joint(previous, box) if previous else ""
                out.append(joint + box.text)
                spans.append((length + len(joint), length + len(joint) + len(box.text), box))
                length += len(joint) + len(box.text)
                previous = box
        if line.table and len(line.cells) == 1:
            # A row merged across the whole table is still a row, not a wrapped cell.
            out.append("\t")
            length += 1
    return "".join(out), spans


def page_joint(before: str) -> str:
    """What stands between a page's text and the next page's: a line end, and a
    blank line after a page that ends in a table row, which would otherwise take
    the next page's first line for the wrapped text of its last cell."""
    return "\n\n" if "\t" in before[before.rfind("\n") + 1 :] else "\n"


def _joint(before: Box, after: Box) -> str:
    """What stands between two boxes of a cell: a space where they are far apart
    on one row or where a wrap split two Latin words, else nothing (a wrap inside
    Chinese text or a number: ``≤186.47`` / ``万元``, ``2024年12月3`` / ``1日前``)."""
    if _overlap(before, after) > 0:
        return " " if after.left - before.right > 0.5 * min(before.height, after.height) else ""
    ends = before.text[-1], after.text[0]
    return " " if all(ch.isascii() and ch.isalpha() for ch in ends) else ""


# --- layout -------------------------------------------------------------------------


def _layout(boxes: list[Box], grids: list[_Grid]) -> list[Line]:
    unit = statistics.median(box.height for box in boxes)
    blocks: list[tuple[float, list[Line]]] = []
    rest = boxes
    for grid in grids:
        inside = [box for box in rest if grid.holds(box)]
        if not inside:
            continue
        rest = [box for box in rest if not grid.holds(box)]
        blocks.append((grid.ys[0], grid.lines(inside)))
    rows = _rows(rest)
    blocks += [(min(box.top for box in row), lines) for row, lines in _aligned(rows, unit)]
    return [line for _, lines in sorted(blocks, key=lambda block: block[0]) for line in lines]


def _overlap(a: Box, b: Box) -> float:
    """How much of the lower of two boxes their vertical extents share."""
    shared = min(a.bottom, b.bottom) - max(a.top, b.top)
    return shared / max(min(a.height, b.height), 1)


def _rows(boxes: Iterable[Box]) -> list[list[Box]]:
    """Boxes grouped into visual rows, top to bottom, each left to right: a box
    joins a row it shares half its height with."""
    rows: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: b.middle):
        row = rows[-1] if rows else None
        if row is not None and max(_overlap(box, other) for other in row) >= 0.5:
            row.append(box)
        else:
            rows.append([box])
    return [sorted(row, key=lambda b: b.left) for row in rows]


# --- tables with ruling lines ------------------------------------------------------


@dataclass
class _Grid:
    """A ruled table: the positions of its rules, and which cells merge."""

    ys: list[float]  # row boundaries, top to bottom
    xs: list[float]  # column boundaries, left to right
    region: list[list[int]]  # the merged cell each (row, column) belongs to

    def holds(self, box: Box) -> bool:
        return self.xs[0] <= box.centre < self.xs[-1] and self.ys[0] <= box.middle < self.ys[-1]

    def lines(self, boxes: list[Box]) -> list[Line]:
        """One line per row of the grid: each merged cell once, its text in its
        first row (the rows below leave it empty, as flattening does)."""
        texts: dict[int, list[Box]] = {}
        # With the rules erased, the detector may read across two cells at once.
        for piece in (piece for box in boxes for piece in box.cut(self.xs[1:-1])):
            row = _index(self.ys, piece.middle)
            column = _index(self.xs, piece.centre)
            texts.setdefault(self.region[row][column], []).append(piece)
        lines = []
        seen: set[int] = set()
        for regions in self.region:
            cells = []
            for index, region in enumerate(regions):
                if index and region == regions[index - 1]:
                    continue
                first = region not in seen
                seen.add(region)
                cells.append(tuple(_reading_order(texts.get(region, []))) if first else ())
            lines.append(Line(tuple(cells), table=True))
        return [line for line in lines if line.boxes]


def _index(bounds: list[float], position: float) -> int:
    return max(0, min(len(bounds) - 2, int(np.searchsorted(bounds, position, side="right")) - 1))


def _reading_order(boxes: list[Box]) -> list[Box]:
    return [box for row in _rows(boxes) for box in row]


def _ruled_grids(gray: np.ndarray) -> tuple[list[_Grid], np.ndarray]:
    """The ruled tables of a page, and the ink of their rules.

    Rules are runs of ink longer than any stroke of body text: across, a
    twenty-fifth of the page's width; down, a fortieth of its height (at
    200 dpi on A4, 66 and 58 pixels, where a 10.5 pt character is 29). A table
    is a connected set of rules, at least three of each direction (two rows
    and two columns) once its open sides are closed.
    """
    height, width = gray.shape
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    horizontal = _runs(ink, (max(width // 25, 15), 1))
    vertical = _runs(ink, (1, max(height // 40, 15)))
    # Rules closer than this are one (a thick or a doubled rule).
    near = max(3, min(height, width) // 200)
    lines = horizontal | vertical
    joined = cv2.dilate(lines, np.ones((2 * near + 1, 2 * near + 1), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined)
    grids = []
    rules = np.zeros_like(ink)
    for label in range(1, count):
        left, top, across, down, _ = stats[label]
        area = (slice(top, top + down), slice(left, left + across))
        ys = _bounded(_positions(horizontal[area], 0, near), down - 1, near)
        xs = _bounded(_positions(vertical[area], 1, near), across - 1, near)
        if len(ys) < 3 or len(xs) < 3:
            continue
        region = _merges(horizontal[area], vertical[area], ys, xs, near)
        grids.append(_Grid([top + y for y in ys], [left + x for x in xs], region))
        rules[area][labels[area] == label] = lines[area][labels[area] == label]
    return grids, rules


def _runs(ink: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Ink in runs at least `size` long, small breaks in the scanned rules closed."""
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, size)
    runs = cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)
    bridge = (max(3, size[0] // 6), 1) if size[0] > 1 else (1, max(3, size[1] // 6))
    return cv2.morphologyEx(
        runs, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, bridge)
    )


def _positions(rules: np.ndarray, axis: int, near: int) -> list[float]:
    """Where the rules of one direction stand (rows for axis 0), rules `near`
    each other taken as one."""
    merged: list[list[int]] = []
    for position in np.flatnonzero(rules.any(axis=1 - axis)):
        if merged and position - merged[-1][-1] <= near:
            merged[-1].append(int(position))
        else:
            merged.append([int(position)])
    return [sum(group) / len(group) for group in merged]


def _bounded(positions: list[float], last: float, near: int) -> list[float]:
    """Rule positions with the table's extent added where a side is open (the
    extent reaches `near` past a closed side: the rules were thickened by that
    to connect them)."""
    if not positions or positions[0] > 2 * near:
        positions = [0.0, *positions]
    if last - positions[-1] > 2 * near:
        positions = [*positions, last]
    return positions


def _merges(
    horizontal: np.ndarray, vertical: np.ndarray, ys: list[float], xs: list[float], near: int
) -> list[list[int]]:
    """The merged cell of each grid position: neighbours with no rule between them
    are one cell. A rule counts where it covers most of the middle of the side
    the two cells share."""
    rows, columns = len(ys) - 1, len(xs) - 1
    parent = list(range(rows * columns))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def ruled(rules: np.ndarray, across: float, start: float, end: float, axis: int) -> bool:
        middle = slice(int(start + (end - start) / 4), int(end - (end - start) / 4) + 1)
        band = slice(max(0, int(across) - near), int(across) + near + 1)
        window = rules[band, middle] if axis == 0 else rules[middle, band]
        return window.size > 0 and window.any(axis=axis).mean() > 0.5

    for row in range(rows):
        for column in range(columns):
            here = row * columns + column
            if column + 1 < columns and not ruled(
                vertical, xs[column + 1], ys[row], ys[row + 1], axis=1
            ):
                parent[find(here + 1)] = find(here)
            if row + 1 < rows and not ruled(
                horizontal, ys[row + 1], xs[column], xs[column + 1], axis=0
            ):
                parent[find(here + columns)] = find(here)
    return [[find(row * columns + column) for column in range(columns)] for row in range(rows)]


# --- tables without ruling lines -----------------------------------------------------


def _aligned(rows: list[list[Box]], unit: float) -> list[tuple[list[Box], list[Line]]]:
    """Visual rows as lines, runs of rows whose cells stand in the same columns
    written as table rows. Boxes more than a text height apart are in different
    cells."""
    cells = [_cells(row, unit) for row in rows]
    blocks: list[tuple[list[Box], list[Line]]] = []
    index = 0
    while index < len(rows):
        table = _table_at(cells, index, unit)
        if table is None:
            line = Line((tuple(box for cell in cells[index] for box in cell),))
            blocks.append((rows[index], [line]))
            index += 1
        else:
            lines, end = table
            blocks.append((rows[index], lines))
            index = end
    return blocks


def _cells(row: list[Box], unit: float) -> list[tuple[Box, ...]]:
    cells: list[list[Box]] = []
    for box in row:
        if cells and box.left - cells[-1][-1].right < unit:
            cells[-1].append(box)
        else:
            cells.append([box])
    return [tuple(cell) for cell in cells]


def _table_at(
    cells: list[list[tuple[Box, ...]]], first: int, unit: float
) -> tuple[list[Line], int] | None:
    """The table whose first row is row `first`, and the row after it; None unless
    three rows of two cells or more start there with their cells in common columns.

    A row that nearly touches the row above and has text only under its filled
    cells holds their wrapped ends: the lines of a cell are set close, while
    the rows of a table stand apart by their cells' padding.
    """
    end = first
    while end < len(cells) and len(cells[end]) >= 2:
        end += 1
    columns = _columns(cells[first:end], unit) if end - first >= 3 else None
    if columns is None:
        return None
    table: list[list[list[Box]]] = []
    index = first
    while index < len(cells):
        row = cells[index]
        found = [_column_of(columns, cell, unit) for cell in row]
        slots = [slot for slot in found if slot is not None]
        if len(set(slots)) < len(row):
            break
        if table and _wraps(cells[index - 1], row, unit) and all(table[-1][s] for s in slots):
            for slot, cell in zip(slots, row, strict=True):
                table[-1][slot] += cell
        elif len(row) >= 2:
            placed: list[list[Box]] = [[] for _ in columns]
            for slot, cell in zip(slots, row, strict=True):
                placed[slot] = list(cell)
            table.append(placed)
        else:
            break
        index += 1
    return [Line(tuple(tuple(cell) for cell in row), table=True) for row in table], index


def _wraps(above: list[tuple[Box, ...]], row: list[tuple[Box, ...]], unit: float) -> bool:
    bottom = max(box.bottom for cell in above for box in cell)
    top = min(box.top for cell in row for box in cell)
    return top - bottom < unit / 4


def _columns(rows: list[list[tuple[Box, ...]]], unit: float) -> list[tuple[float, float]] | None:
    """The columns the cells of some rows stand in (their horizontal extents,
    overlapping ones merged), or None when a row puts two cells in one column:
    the boxes then do not line up as a table."""
    extents = sorted((cell[0].left, cell[-1].right) for row in rows for cell in row)
    columns: list[tuple[float, float]] = []
    for left, right in extents:
        if columns and left <= columns[-1][1]:
            columns[-1] = (columns[-1][0], max(right, columns[-1][1]))
        else:
            columns.append((left, right))
    for row in rows:
        used = [_column_of(columns, cell, unit) for cell in row]
        if len(set(used)) < len(used):
            return None
    return columns if len(columns) >= 2 else None


def _column_of(
    columns: list[tuple[float, float]], cell: tuple[Box, ...], unit: float
) -> int | None:
    """The column a cell stands in, or None if it reaches across into the next."""
    left, right = cell[0].left, cell[-1].right
    for index, (start, end) in enumerate(columns):
        if start - unit / 2 <= left <= end:
            following = columns[index + 1][0] if index + 1 < len(columns) else float("inf")
            return index if right < following else None
    return None
