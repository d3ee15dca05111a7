"""Small helpers for writing a spec's prose."""

from __future__ import annotations

from .model import Cell, Indicator, Table


def paras(text: str) -> list[str]:
    """One paragraph per non-blank line of a triple-quoted block."""
    return [line.strip() for line in text.strip().splitlines() if line.strip()]


def grid(text: str, merged: dict[str, Cell] | None = None) -> Table:
    """A plain table written as lines of cells separated by ` | `.

    `^` marks a cell merged into the one above, `<` one merged into the cell
    to its left, and `_` an empty cell; used for budget tables, whose figures
    the gold states in the spec itself.
    """
    from .model import LEFT, UP

    marks: dict[str, Cell] = {"^": UP, "<": LEFT, "_": ""} | (merged or {})
    rows = []
    for line in text.strip().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        rows.append([marks.get(cell, cell) for cell in cells])
    return Table(rows)


def rows(text: str) -> list[Indicator]:
    """Indicator rows, one a line, as the table reads them:

        一级 | 二级 | 三级 | 目标 | 实际 | 分值 | 得分 | 偏差原因

    `_` marks an empty cell (a blank name, no level, no reason); the reason
    may be left off.
    """
    out = []
    for line in text.strip().splitlines():
        cells = [cell.strip() for cell in line.split(" | ")]
        cells += [""] * (8 - len(cells))
        level1, level2, name, target, actual, weight, score, reason = (
            "" if cell == "_" else cell for cell in cells
        )
        out.append(
            Indicator(
                name, target, actual or None, float(weight), float(score),
                level1 or None, level2 or None, reason,
            )
        )  # fmt: skip
    return out
