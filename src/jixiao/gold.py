"""Reviewed reports are gold: the facts reviewers confirmed or corrected in the
reports they marked done, as gold files (`jixiao gold export`) and as what
`jixiao eval --reviewed` scores against."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from jixiao.evaluate import PROJECT_FIELDS, SCALARS, EvaluationError, Score, score_report
from jixiao.records import facts_of
from jixiao.store import Store, models, safe_url
from jixiao.store.current import Current, current

REVIEWED = ("confirmed", "corrected")
_INDICATOR_SCORED = ("target", "actual", "weight", "score")


def gold_of(reviewed: Current) -> dict[str, Any]:
    """A gold file of a reviewed report: every fact a reviewer confirmed or
    corrected, with its value; every other scalar field skipped (nobody vouched
    for it). Indicators are found by `level3`, projects by a reviewed name."""
    report = reviewed.report
    vouched = {path for path, review in reviewed.reviews.items() if review in REVIEWED}
    facts = dict(facts_of(report))
    gold: dict[str, Any] = {
        "file": Path(report.document.path).name,
        "sha256": report.document.sha256,
    }
    skip = []
    for path in SCALARS:
        if path not in vouched:
            skip.append(path)
            continue
        holder, _, name = path.rpartition(".")
        (gold.setdefault(holder, {}) if holder else gold)[name] = facts[path].value
    gold["indicators"] = [
        {"level3": indicator.level3}
        | {key: facts[f"indicators[{index}].{key}"].value for key in keys}
        for index, indicator in enumerate(report.indicators)
        if indicator.level3
        and (keys := [k for k in _INDICATOR_SCORED if f"indicators[{index}].{k}" in vouched])
    ]
    gold["projects"] = [
        {key: facts[f"projects[{index}].{key}"].value for key in keys}
        for index in range(len(report.projects))
        if f"projects[{index}].name" in vouched
        and (keys := [k for k in PROJECT_FIELDS if f"projects[{index}].{k}" in vouched])
    ]
    gold["skip"] = skip
    return gold


def reviewed_gold(store: Store) -> list[dict[str, Any]]:
    """A gold file per report a reviewer marked done: its latest ingestion marked
    done (and not opened again) that holds facts reviewers vouched for. One that
    a later ingestion replaced in the queue still counts: it is what a new
    model or new prompts are scored against."""
    event = models.Event
    last = (
        select(func.max(event.id))
        .where(event.action.in_(["done", "reopen"]))
        .group_by(event.document_id)
    )
    done = (
        select(models.Document)
        .join(event, event.document_id == models.Document.id)
        .where(event.id.in_(last), event.action == "done")
        .order_by(models.Document.id.desc())
    )
    golds: dict[str, dict[str, Any]] = {}
    with store.session() as session:
        for document in session.scalars(done):
            if document.sha256 not in golds:
                golds[document.sha256] = gold_of(current(session, document))
    return list(golds.values())


def evaluate_reviewed(store: Store, out_dir: Path | None = None) -> tuple[Score, list[str]]:
    """Score against the reviewers' gold: the records in `out_dir` (as `ingest
    --out` wrote them), or else each report's latest ingestion in the store as
    the pipeline made it, before any reviewer changed it."""
    golds = reviewed_gold(store)
    if not golds:
        raise EvaluationError(
            f"{safe_url(store.url)}: no report marked done — mark reports done on their review"
            " page (jixiao review), then their confirmed and corrected facts are scored"
        )
    total, missing = Score(), []
    with store.session() as session:
        for gold in golds:
            if out_dir is not None:
                path = out_dir / f"{Path(gold['file']).stem}.json"
                if not path.exists():
                    missing.append(str(path))
                    continue
                record = json.loads(path.read_text(encoding="utf-8"))
            else:
                latest = session.scalar(
                    select(models.Document)
                    .join(models.QueueEntry, models.QueueEntry.document_id == models.Document.id)
                    .where(models.QueueEntry.sha256 == gold["sha256"])
                )
                assert latest is not None  # a reviewed report is in the queue
                record = current(session, latest, extracted=True).report.model_dump(mode="json")
            total.add(score_report(gold, record))
    return total, missing


def write_gold(golds: list[dict[str, Any]], out: Path) -> list[Path]:
    """One gold file per report, named after its file (and its digest, where two
    reports share a name)."""
    out.mkdir(parents=True, exist_ok=True)
    stems = Counter(Path(gold["file"]).stem for gold in golds)
    written = []
    for gold in golds:
        stem = Path(gold["file"]).stem
        name = stem if stems[stem] == 1 else f"{stem}_{gold['sha256'][:12]}"
        path = out / f"{name}.json"
        path.write_text(json.dumps(gold, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written
