"""Time the front half of the pipeline on each sample, against jieba.

Each stage's time is printed as a ratio to one `jieba.lcut` pass over the same
text, so that the figures mean the same on a slow machine and a fast one. The
last line is the worst total ratio (goal: at most 0.5).

    python bench/parse.py [FILE...]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import jieba

from jixiao.read import load
from jixiao.read.normalise import normalise
from jixiao.structure.chunks import build_chunks
from jixiao.structure.labels import clear_caches
from jixiao.structure.numbers import parse_quantity
from jixiao.structure.sections import build_sections
from jixiao.structure.tables import build_tables, find_grids

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 20


def best_of(function: Callable[[], object]) -> float:
    """The fastest of several runs: the least disturbed by the machine."""
    times = []
    for _ in range(REPEATS):
        # Each run reads its numbers and labels cold, as a new report would.
        parse_quantity.cache_clear()
        clear_caches()
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def _tables_and_unread(document) -> None:
    # find_grids reads the regions no separator cuts, and says what stays unread.
    grids, _ = find_grids(document)
    build_tables(grids)


def time_sample(path: Path) -> tuple[int, dict[str, float]]:
    """The text's length, and each stage's time as a ratio to one jieba pass."""
    loaded = load(path)
    document = normalise(loaded)
    grids, _ = find_grids(document)
    tables = build_tables(grids)
    skip = [(grid.start, grid.end) for grid in grids]
    sections = build_sections(document.text, skip)
    jieba_time = best_of(lambda: jieba.lcut(document.text))
    stages = {
        "load": best_of(lambda: load(path)),
        "norm": best_of(lambda: normalise(loaded)),
        "sect": best_of(lambda: build_sections(document.text, skip)),
        "table": best_of(lambda: _tables_and_unread(document)),
        "chunk": best_of(lambda: build_chunks(document.text, sections, tables)),
    }
    return len(document.text), {name: seconds / jieba_time for name, seconds in stages.items()}


def main(paths: list[Path]) -> None:
    jieba.setLogLevel(60)
    jieba.initialize()  # its dictionary loads once, not inside the timing
    worst = 0.0
    names = ["load", "norm", "sect", "table", "chunk", "total"]
    print(f"{'sample':<30} {'chars':>6} " + " ".join(f"{name:>6}" for name in names))
    for path in paths:
        chars, ratios = time_sample(path)
        total = sum(ratios.values())
        worst = max(worst, total)
        cells = " ".join(f"{ratio:>6.3f}" for ratio in [*ratios.values(), total])
        print(f"{path.name:<30} {chars:>6} {cells}")
    print(f"worst ratio to jieba: {worst:.3f}")


if __name__ == "__main__":
    arguments = [Path(argument) for argument in sys.argv[1:]]
    main(arguments or sorted((ROOT / "samples").iterdir()))
