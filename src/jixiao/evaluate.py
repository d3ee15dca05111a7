"""Score exported report records against hand-checked gold files (`jixiao.gold`
makes them of reviewers' work).

A gold file (see docs/commands.md, `jixiao eval`) names the report (`file`), the expected scalar
values (money in 元, percentages in percent, dates ISO), the indicator rows,
`alternatives` (other values accepted for a field, where the source states it
twice), `skip` (fields not scored) and minimum counts of problems and measures.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jixiao.errors import JixiaoError

SCALARS = [
    "unit_name",
    "fiscal_year",
    "report_date",
    "doc_number",
    "staffing.authorized",
    "staffing.actual",
    *(
        f"budget.{name}"
        for name in (
            "initial_budget",
            "full_year_budget",
            "total_expenditure",
            "basic_expenditure",
            "personnel_expenditure",
            "public_expenditure",
            "project_expenditure",
            "execution_rate",
        )
    ),
    "three_public.budget",
    "three_public.actual",
    "self_score",
    "grade",
]
INDICATOR_FIELDS = ["level1", "level2", "level3", "target", "actual", "weight", "score", "project"]
PROJECT_FIELDS = [
    "name",
    "budget",
    "actual",
    "supervisor",
    "implementer",
    "initial_budget",
    "execution_rate",
    "self_score",
]


@dataclass
class Score:
    """Counts of one report, or of several added up."""

    scalars_right: int = 0
    scalars: int = 0
    rows_found: int = 0
    rows: int = 0
    fields_right: int = 0
    fields: int = 0
    project_fields_right: int = 0
    project_fields: int = 0
    facts: int = 0
    facts_not_in_source: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name in (
            "scalars_right",
            "scalars",
            "rows_found",
            "rows",
            "fields_right",
            "fields",
            "project_fields_right",
            "project_fields",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.facts += other.facts
        self.facts_not_in_source += other.facts_not_in_source
        self.misses += other.misses

    def ratios(self) -> dict[str, float]:
        def share(right: int, total: int) -> float:
            return right / total if total else 1.0

        return {
            "scalar fields right": share(self.scalars_right, self.scalars),
            "indicator rows found": share(self.rows_found, self.rows),
            "indicator fields right": share(self.fields_right, self.fields),
            "project fields right": share(self.project_fields_right, self.project_fields),
        }


# Signs a source writes in another form than the normalised text shows them.
_SIGNS = str.maketrans({"≧": "≥", "≦": "≤", "═": "="})


def comparable(value: Any) -> Any:
    """Gold and records compared as readers would: width, spacing and number
    type do not matter."""
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return round(float(value), 4)
    text = unicodedata.normalize("NFKC", str(value)).translate(_SIGNS)
    return "".join(text.split())


def _get(record: dict, path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def score_report(gold: dict, record: dict) -> Score:
    score = Score()
    name = gold.get("file", "?")
    skipped = set(gold.get("skip", []))
    for path in SCALARS:
        if path in skipped:
            continue
        expected = _get(gold, path)
        accepted = [comparable(expected)] + [
            comparable(v) for v in gold.get("alternatives", {}).get(path, [])
        ]
        got = comparable(_get(record, path))
        score.scalars += 1
        if got in accepted:
            score.scalars_right += 1
        else:
            score.misses.append(f"{name}: {path} is {got!r}, expected {accepted[0]!r}")
    unmatched = list(record.get("indicators", []))
    for row in gold.get("indicators", []):
        score.rows += 1
        match = next(
            (r for r in unmatched if comparable(r.get("level3")) == comparable(row.get("level3"))),
            None,
        )
        if match is None:
            score.misses.append(f"{name}: indicator {row.get('level3')!r} not found")
            continue
        unmatched.remove(match)
        score.rows_found += 1
        for key in INDICATOR_FIELDS:
            if key not in row:
                continue
            score.fields += 1
            if comparable(match.get(key)) == comparable(row[key]):
                score.fields_right += 1
            else:
                score.misses.append(f"{name}: {row.get('level3')} {key} is {match.get(key)!r}")
    _score_projects(gold, record, score, name)
    text = record.get("document", {}).get("text", "")
    for fact in iter_facts(record):
        score.facts += 1
        if text[fact["start"] : fact["end"]] != fact["raw"]:
            score.facts_not_in_source += 1
            score.misses.append(f"{name}: fact {fact['raw']!r} is not at its offsets")
    return score


def _score_projects(gold: dict, record: dict, score: Score, name: str) -> None:
    """Each gold project's fields, the project found by its name (a field the gold
    does not give is not scored)."""
    unmatched = list(record.get("projects", []))
    for project in gold.get("projects", []):
        match = next(
            (p for p in unmatched if comparable(p.get("name")) == comparable(project.get("name"))),
            None,
        )
        if match is not None:
            unmatched.remove(match)
        for key in PROJECT_FIELDS:
            if key not in project:
                continue
            score.project_fields += 1
            got = comparable((match or {}).get(key))
            if got == comparable(project[key]):
                score.project_fields_right += 1
            else:
                score.misses.append(f"{name}: project {project.get('name')!r} {key} is {got!r}")


def iter_facts(value: Any):
    """Every fact in a record, wherever it sits."""
    if isinstance(value, dict):
        if {"raw", "start", "end", "value"} <= value.keys():
            yield value
            return
        for key, inner in value.items():
            if key != "document":
                yield from iter_facts(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from iter_facts(inner)


def evaluate(gold_dir: Path, out_dir: Path) -> tuple[Score, list[str]]:
    """The summed score of every gold file that has a record in `out_dir`, and
    the gold files that have none."""
    total = Score()
    missing = []
    scored = 0
    for gold_path in sorted(gold_dir.glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        if isinstance(gold, dict) and "schema_version" in gold and "document" in gold:
            raise EvaluationError(
                f"{gold_path}: an exported record, not a gold file — give the gold folder"
                " first, then the folder of records (jixiao eval GOLD OUT)"
            )
        record_path = out_dir / f"{Path(gold.get('file', gold_path.name)).stem}.json"
        if not record_path.exists():
            missing.append(str(record_path))
            continue
        total.add(score_report(gold, json.loads(record_path.read_text(encoding="utf-8"))))
        scored += 1
    if not scored:
        raise EvaluationError(
            f"{out_dir}: no record for any gold file of {gold_dir} — give the folder that"
            " `jixiao ingest --out` wrote, holding <name>.json for each gold file's report"
        )
    return total, missing


class EvaluationError(JixiaoError):
    """Folders that cannot be scored against each other."""
