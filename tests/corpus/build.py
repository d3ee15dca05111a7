"""Write the development corpus: for every spec and each of its layouts,
`<key>__<layout>.txt` (or `.docx`) and `<key>__<layout>.json`, its gold.

    python -m tests.corpus.build            # from the repository root
    python tests/corpus/build.py [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import fields, is_dataclass, replace
from pathlib import Path
from typing import Any

if not __package__:  # run as a script: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    __package__ = "tests.corpus"

from .hant import convert, with_pinyin
from .model import Indicator, ProjectGold, Report, Table
from .render import render_docx, render_text
from .specs import reports

CORPUS = Path(__file__).resolve().parent
SUFFIXES = {".txt", ".json", ".docx"}

# Fields that say something about the spec rather than quote the report: a
# converted document leaves them alone. (Notes are converted too, so that the
# Chinese they quote reads as in the text; their English has nothing to convert.)
_NOT_TEXT = {"key", "kind", "layouts", "script", "report_date", "alternatives", "skip"}


def _convert(value: Any, fn) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list | tuple):
        return type(value)(_convert(item, fn) for item in value)
    if is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: _convert(getattr(value, f.name), fn)
            for f in fields(value)
            if f.init and f.name not in _NOT_TEXT
        }
        return replace(value, **changes)
    return value


def localise(report: Report) -> Report:
    """The report as its publisher shows it: converted to traditional
    characters where the spec says so, pinyin in the prose only."""
    if report.script == "hans":
        return report
    report = _convert(report, convert)
    if report.script == "hant_pinyin":
        body = [with_pinyin(block) if isinstance(block, str) else block for block in report.body]
        report = replace(report, body=body)
    return report


def _n(value: float | None) -> float | int | None:
    """A figure for JSON: whole numbers without a decimal point."""
    if value is None:
        return None
    value = round(float(value), 4)
    return int(value) if value.is_integer() else value


def _tables(report: Report) -> list[Table]:
    return [block for block in report.body if isinstance(block, Table)]


def _project(project: ProjectGold) -> dict:
    return {
        "name": project.name,
        "budget": _n(project.budget),
        "actual": _n(project.actual),
        "supervisor": project.supervisor,
        "implementer": project.implementer,
        "initial_budget": _n(project.initial_budget),
        "execution_rate": _n(project.execution_rate),
        "goal": project.goal,
        "self_score": _n(project.self_score),
    }


def _indicator(row: Indicator, project: int | None) -> dict:
    return {
        "level1": row.level1,
        "level2": row.level2,
        "level3": row.level3 or None,
        "target": row.target,
        "actual": row.actual,
        "weight": _n(row.weight),
        "score": _n(row.score),
        "project": project,
    }


def _family_notes(report: Report, family: str) -> list[str]:
    notes = []
    if report.script == "hant":
        notes.append(
            "Traditional characters throughout (a mirror site's conversion); gold text "
            "values keep them."
        )
    if report.script == "hant_pinyin":
        notes.append(
            "Traditional characters, with pinyin after some converted characters in "
            "the prose (項(xiàng)目); table cells have none, and gold text values are "
            "as in the cells."
        )
    if family == "run_together":
        for old, new in report.glitches:
            notes.append(
                f"Cells run together; one stray Latin letter as OCR leaves it: {old} is "
                f"written {new} once, and the gold reads it as {old}."
            )
    if family == "one_line":
        notes.append(
            "Each table is flattened onto a few lines with single spaces between "
            "cells; empty cells are gone, so cell boundaries are read from meaning."
        )
    if family == "one_cell_per_line":
        notes.append("Tables have one cell per line; empty and merged cells are gone.")
    return notes


def gold(report: Report, family: str) -> dict:
    """The gold record of one rendering, in the shape of ../shared/gold."""
    projects = list(report.projects)
    indicators = []
    for table in _tables(report):
        base = len(projects)
        projects += table.projects
        owner = None if table.indicator_project is None else base + table.indicator_project
        indicators += [_indicator(row, owner) for row in table.indicators]
    budget = {f.name: _n(getattr(report.budget, f.name)) for f in fields(report.budget)}
    notes = report.notes + _family_notes(report, family)
    suffix = "docx" if family == "docx" else "txt"
    return {
        "file": f"{report.key}__{family}.{suffix}",
        "family": family,
        "kind": report.kind,
        "unit_name": report.unit_name,
        "fiscal_year": report.fiscal_year,
        "report_date": report.report_date,
        "doc_number": report.doc_number,
        "staffing": {"authorized": report.staffing[0], "actual": report.staffing[1]},
        "budget": budget,
        "three_public": {
            "budget": _n(report.three_public[0]),
            "actual": _n(report.three_public[1]),
        },
        "self_score": _n(report.self_score),
        "grade": report.grade,
        "projects": [_project(project) for project in projects],
        "indicators": indicators,
        "problems_min": report.problems_min,
        "measures_min": report.measures_min,
        "alternatives": report.alternatives,
        "skip": report.skip,
        "source_inconsistencies": report.inconsistencies,
        "notes": " ".join(notes) or None,
    }


def score_gaps(report: Report) -> list[str]:
    """Tables whose stated total is not the sum of their scores: each must be
    one of the spec's deliberate inconsistencies. Named by project, or
    "indicator table"."""
    gaps = []
    for table in _tables(report):
        if table.stated_total is None:
            continue
        added = sum(row.score for row in table.indicators) + table.added_score
        if abs(added - table.stated_total) > 0.005:
            gaps.append(table.projects[0].name if table.projects else "indicator table")
    return gaps


def outputs(folder: Path) -> list[Path]:
    """The generated files in a folder (not the generator's own files)."""
    return sorted(
        path
        for path in folder.iterdir()
        if path.suffix in SUFFIXES and "__" in path.stem and path.name[0] != "_"
    )


def build(out: Path = CORPUS) -> list[Path]:
    """Write every rendering and its gold into `out`, removing stale ones."""
    out.mkdir(parents=True, exist_ok=True)
    for path in outputs(out):
        path.unlink()
    written = []
    for report in map(localise, reports()):
        for family in report.layouts:
            record = gold(report, family)
            target = out / record["file"]
            if family == "docx":
                render_docx(report, target)
            else:
                target.write_text(render_text(report, family), encoding="utf-8", newline="\n")
            answer = out / f"{report.key}__{family}.json"
            answer.write_text(
                json.dumps(record, ensure_ascii=False, indent=2) + "\n",
                encoding="utf-8",
                newline="\n",
            )
            written += [target, answer]
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=CORPUS, help="folder to write into")
    args = parser.parse_args(argv)
    written = build(args.out)
    families = Counter(path.stem.split("__")[1] for path in written if path.suffix != ".json")
    print(
        f"{len(written)} files in {args.out}: "
        + ", ".join(f"{family} {count}" for family, count in sorted(families.items()))
    )


if __name__ == "__main__":
    main()
