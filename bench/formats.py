"""Every format the loader reads, against the text version of the same reports.

    python bench/formats.py [--only NAME ...] [--keep DIR]

Each report of the development corpus (tests/corpus/specs*.py) is written as
text (tab-separated rows: the text version) and in every format of `FORMATS`,
by the corpus renderers and other programs (LibreOffice, chromium); each file
goes through the pipeline up to the tables, which give its indicator rows and
budget and project figures with no model (tests/corpus/compare.py). A format
whose program is missing is named and skipped.

Prints a line per format, `FORMAT: rows R, figures F, seconds per page T`: R and
F are the shares of the text version's indicator rows and figures the format
gives alike, T the seconds reading takes per page (for a format without pages,
per 1,500 characters of text, about a printed page). Last,
`formats: worst rows R`. Issue 13's goal: every format at 0.98 or more.
Scans, which take OCR's 10–20 s a page, are measured by `bench/scans.py`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from jixiao.read import load
from tests.corpus.build import localise
from tests.corpus.compare import Facts, facts
from tests.corpus.model import Report
from tests.corpus.render import render_docx, render_text
from tests.corpus.render_html import render_html
from tests.corpus.render_ofd import render_ofd
from tests.corpus.render_pdf import render_chromium_pdf, render_pdfs
from tests.corpus.render_xlsx import render_xlsx
from tests.corpus.soffice import INSTALL, convert
from tests.corpus.specs import reports

Renderer = Callable[[list[Report], Path], dict[str, Path]]


def _each(suffix: str, write: Callable[[Report, Path], object]) -> Renderer:
    """A renderer that writes each report into `out` as ``<key><suffix>``."""

    def render(reports: list[Report], out: Path) -> dict[str, Path]:
        out.mkdir(parents=True, exist_ok=True)
        made = {report.key: out / f"{report.key}{suffix}" for report in reports}
        for report in reports:
            write(report, made[report.key])
        return made

    return render


_text = _each(".txt", lambda r, path: path.write_text(render_text(r, "tab_rows"), encoding="utf-8"))
_docx = _each(".docx", render_docx)
_ofd = _each(".ofd", lambda r, path: path.write_bytes(render_ofd(r)))
_xlsx = _each(".xlsx", render_xlsx)


def _html(style: str) -> Renderer:
    return _each(".html", lambda r, path: render_html(r, path, style))


def _converted(render: Renderer, target: str) -> Renderer:
    """Files another renderer writes, converted by LibreOffice (``xls:MS Excel 97``)."""

    def converted(reports: list[Report], out: Path) -> dict[str, Path]:
        sources = render(reports, out / "source")
        made = convert(list(sources.values()), target, out)
        return dict(zip(sources, made, strict=True))

    return converted


def _chromium_pdf(ruled: bool) -> Renderer:
    def render(reports: list[Report], out: Path) -> dict[str, Path]:
        return {
            report.key: render_chromium_pdf(report, out / f"{report.key}.pdf", ruled=ruled)
            for report in reports
        }

    return render


@dataclass(frozen=True)
class Format:
    """A format and damage the loader reads, and how a report is written in it."""

    name: str
    render: Renderer
    programs: tuple[str, ...] = ()  # system programs the renderer runs
    install: str = ""


# Adding a format is adding its entry.
FORMATS = [
    Format("txt", _text),
    Format("docx", _docx),
    Format("doc", _converted(_docx, "doc"), ("soffice",), INSTALL),
    Format("odt", _converted(_docx, "odt"), ("soffice",), INSTALL),
    Format("rtf", _converted(_docx, "rtf"), ("soffice",), INSTALL),
    Format("html", _html("modern")),
    Format("html-old-portal", _html("old_portal")),
    Format("xlsx", _xlsx),
    Format("xls", _converted(_xlsx, "xls:MS Excel 97"), ("soffice",), INSTALL),
    Format("ods", _converted(_xlsx, "ods"), ("soffice",), INSTALL),
    Format("ofd", _ofd),
    Format("pdf", render_pdfs, ("soffice",), INSTALL),
    Format("pdf-html", _chromium_pdf(ruled=True), ("chromium",), "apt-get install chromium"),
    # Tables printed with no ruling line: read only where their text is spaced.
    Format("pdf-unruled", _chromium_pdf(ruled=False), ("chromium",), "apt-get install chromium"),
]
TEXT_VERSION = FORMATS[0]

_CHARS_PER_PAGE = 1500


@dataclass
class Result:
    rows: float
    figures: float
    seconds_per_page: float


def measure(form: Format, specs: list[Report], expected: dict[str, Facts], out: Path) -> Result:
    folder = out / form.name
    folder.mkdir(parents=True, exist_ok=True)
    made = form.render(specs, folder)
    rows = figures = 0.0
    seconds = pages = 0.0
    for report in specs:
        started = time.perf_counter()
        found = facts(made[report.key])
        seconds += time.perf_counter() - started
        loaded = load(made[report.key])
        pages += len(loaded.pages) or max(1, len(loaded.text) / _CHARS_PER_PAGE)
        row_share, figure_share = found.share_of(expected[report.key])
        rows += row_share * sum(expected[report.key].rows.values())
        figures += figure_share * len(expected[report.key].figures)
    all_rows = sum(sum(f.rows.values()) for f in expected.values())
    all_figures = sum(len(f.figures) for f in expected.values())
    return Result(rows / all_rows, figures / all_figures, seconds / pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="these formats only")
    parser.add_argument("--keep", type=Path, help="write the rendered files here and keep them")
    args = parser.parse_args()
    specs = list(map(localise, reports()))
    forms = [form for form in FORMATS if not args.only or form.name in args.only]
    # pymupdf's import (a second or more) is no part of reading a page
    import pymupdf  # noqa: F401

    with tempfile.TemporaryDirectory(prefix="formats-") as work:
        out = args.keep or Path(work)
        (out / "text-version").mkdir(parents=True, exist_ok=True)
        text_files = TEXT_VERSION.render(specs, out / "text-version")
        expected = {report.key: facts(text_files[report.key]) for report in specs}
        worst: float | None = None
        for form in forms:
            missing = [program for program in form.programs if shutil.which(program) is None]
            if missing:
                print(f"{form.name}: skipped, {', '.join(missing)} missing ({form.install})")
                continue
            result = measure(form, specs, expected, out)
            print(
                f"{form.name}: rows {result.rows:.3f}, figures {result.figures:.3f}, "
                f"seconds per page {result.seconds_per_page:.3f}",
                flush=True,
            )
            worst = result.rows if worst is None else min(worst, result.rows)
    print(f"formats: worst rows {'n/a' if worst is None else f'{worst:.3f}'}")


if __name__ == "__main__":
    main()
