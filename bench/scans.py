"""Scanned reports read by OCR, against the text version of the same report.

    python bench/scans.py [--damage NAME ...]

Two reports of the development corpus were rendered as printed pages
(tests/fixtures/scans/, 150 dpi). Each damage of `tests/corpus/render_scan.py`
(turned by quarters, askew, blurred, JPEG at low quality, 300 dpi) is applied
to every page, the pages written as one multi-page TIFF and read through the
pipeline; the tables alone give the record (no model). Prints, per damage,
`scan DAMAGE: rows R, figures F, seconds per page T (CPU C)` (R and F are the
shares of the text version's indicator rows and table figures the scan gives;
T is wall-clock time, C the CPU time of all the process's threads, which
depends less on what else the machine runs) and last
`scans: worst rows R, worst figures F`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from jixiao.extract import from_tables
from jixiao.structure import prepare
from tests.corpus.render_scan import (
    DAMAGES,
    TEXT_VERSIONS,
    figures,
    indicator_rows,
    scan,
    shares,
)

CORPUS = ROOT / "tests" / "corpus"


def record(path: Path) -> dict:
    return from_tables(prepare(path)).model_dump(mode="json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--damage", action="append", choices=sorted(DAMAGES))
    args = parser.parse_args()
    expected = {key: record(CORPUS / name) for key, name in TEXT_VERSIONS.items()}
    worst = [1.0, 1.0]
    with tempfile.TemporaryDirectory() as tmp:
        for damage in args.damage or list(DAMAGES):
            # Over both reports: rows and figures of the text versions, and how many the scans give.
            total = [0, 0]
            right = [0.0, 0.0]
            pages = 0
            seconds = cpu = 0.0
            for key, want in expected.items():
                path = scan(key, damage, Path(tmp) / f"{key}.tiff")
                start, start_cpu = time.perf_counter(), time.process_time()
                prepared = prepare(path)
                seconds += time.perf_counter() - start
                cpu += time.process_time() - start_cpu
                pages += len(prepared.document.pages)
                got = from_tables(prepared).model_dump(mode="json")
                counts = (sum(indicator_rows(want).values()), sum(figures(want).values()))
                for n, (count, share) in enumerate(zip(counts, shares(want, got), strict=True)):
                    total[n] += count
                    right[n] += share * count
            rows, figs = (r / t for r, t in zip(right, total, strict=True))
            worst = [min(worst[0], rows), min(worst[1], figs)]
            print(
                f"scan {damage}: rows {rows:.3f}, figures {figs:.3f},"
                f" seconds per page {seconds / pages:.1f} (CPU {cpu / pages:.1f})",
                flush=True,
            )
    print(f"scans: worst rows {worst[0]:.3f}, worst figures {worst[1]:.3f}")


if __name__ == "__main__":
    main()
