"""The review queue's row of a report (`models.QueueEntry`), derived from its
facts, checks and reviews. `refresh` runs in the transaction of every change to
them, so the queue never disagrees with the report; `summarise` is the
arithmetic alone, for whoever already holds the counts (`bench/review.py`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from jixiao.store import models
from jixiao.store.current import FLAGGED, review_state
from jixiao.structure.numbers import parse_quantity

# The verdicts a queue counts, by the column that counts each.
VERDICT_COLUMNS = {
    "hallucination": "hallucinations",
    "source_inconsistency": "inconsistencies",
    "unit_anomaly": "anomalies",
    "unverifiable": "unverifiable",
}
# The report's main figures the queue keeps, by their facts' paths.
FIGURES = {
    "full_year_budget": "budget.full_year_budget",
    "total_expenditure": "budget.total_expenditure",
    "execution_rate": "budget.execution_rate",
    "self_score": "self_score",
}
# The facts the queue's row reads, besides the counts.
HEADER = ["unit_name", "fiscal_year", "grade", *FIGURES.values()]
COMPARE = {
    "≥": float.__ge__,
    "≤": float.__le__,
    ">": float.__gt__,
    "<": float.__lt__,
    "=": float.__eq__,
}


def met(
    target_op: str | None,
    target_value: float | None,
    target_unit: str | None,
    actual_value: float | None,
    actual_unit: str | None,
) -> int | None:
    """Whether an indicator's actual meets its target: only where both are numbers
    in the same unit and the target says how to compare; else None, never a guess."""
    if target_value is None or actual_value is None or target_op not in COMPARE:
        return None
    if (target_unit or "") != (actual_unit or ""):
        return None
    return int(COMPARE[target_op](float(actual_value), float(target_value)))


def indicators(
    record: dict[str, Any], texts: dict[str, tuple[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The rows of `models.Indicator` of a stored record (without its document's
    id). `texts` maps a target's or actual's fact path to its (review, value): a
    corrected one is read again from its text, as `jixiao.store.current` reads
    it; a rejected one has no number."""
    texts = texts or {}
    rows = []
    for position, item in enumerate(record.get("indicators") or []):
        item = item or {}
        parsed = {
            name: item.get(name)
            for name in (
                "target_op",
                "target_value",
                "target_unit",
                "actual_value",
                "actual_unit",
            )
        }
        for role in ("target", "actual"):
            review, value = texts.get(f"indicators[{position}].{role}", ("unreviewed", None))
            if review in ("corrected", "rejected"):
                quantity = parse_quantity(str(value)) if review == "corrected" else None
                if role == "target":
                    parsed["target_op"] = quantity.comparator if quantity else None
                parsed[f"{role}_value"] = float(quantity.value) if quantity else None
                parsed[f"{role}_unit"] = quantity.unit if quantity else None
        rows.append(
            {
                "position": position,
                "project": item.get("project"),
                "level1": item.get("level1"),
                "level2": item.get("level2"),
                "level3": item.get("level3"),
                **parsed,
                "note": item.get("note"),
                "met": met(**parsed),
            }
        )
    return rows


def summarise(
    record: dict[str, Any],
    facts: Iterable[tuple[str, str, int]],
    checks: Iterable[tuple[str, int]],
    unit_name: Any = None,
    fiscal_year: Any = None,
    last: tuple[str, datetime] | None = None,
    header: dict[str, Any] | None = None,
    judged: Iterable[int | None] = (),
) -> dict[str, Any]:
    """The queue's columns of a report: `facts` counts its facts by (review,
    status), `checks` its checks by verdict; the unit's name and the year as the
    reviewers left them, as are the other facts of `header` (by path, rejected
    ones left out); `judged` is each indicator's `met`."""
    header = header or {}
    judged = list(judged)
    known = [value for value in judged if value is not None]
    grade = header.get("grade")
    reviews: Counter[str] = Counter()
    flagged = 0
    for review, status, count in facts:
        reviews[review] += count
        if review == "unreviewed" and status in FLAGGED:
            flagged += count
    verdicts = Counter(dict(checks))
    region = record.get("region") or {}
    return {
        "kind": record.get("kind"),
        "unit_name": None if unit_name is None else str(unit_name),
        "fiscal_year": int(fiscal_year) if isinstance(fiscal_year, int | float) else None,
        "region": " ".join(
            place for part in ("province", "city", "county") if (place := region.get(part))
        ),
        "province": region.get("province"),
        "city": region.get("city"),
        "county": region.get("county"),
        "facts": sum(reviews.values()),
        "to_review": reviews["unreviewed"],
        "cleared": reviews["unreviewed"] == 0,
        "flagged": flagged,
        "failed": sum(verdicts[verdict] for verdict in VERDICT_COLUMNS),
        **{column: verdicts[verdict] for verdict, column in VERDICT_COLUMNS.items()},
        "rejected": len(record.get("rejected") or []) + reviews["rejected"],
        "state": review_state(reviews.elements()),
        "last_reviewer": last[0] if last else None,
        "last_at": last[1] if last else None,
        **{
            name: float(value) if isinstance(value := header.get(path), int | float) else None
            for name, path in FIGURES.items()
        },
        "grade": None if grade is None else str(grade),
        "indicators": len(judged),
        "indicators_met": sum(known),
        "indicator_completion": 100.0 * sum(known) / len(known) if known else None,
    }


def refresh(session: Session, document: models.Document) -> models.QueueEntry:
    """Bring the queue's row of this ingestion up to date (made on its first
    save, taking over the row of an earlier ingestion of the same report)."""
    assert document.record is not None
    facts = session.execute(
        select(models.Fact.review, models.Fact.status, func.count())
        .where(models.Fact.document_id == document.id)
        .group_by(models.Fact.review, models.Fact.status)
    ).all()
    checks = session.execute(
        select(models.Check.status, func.count())
        .where(models.Check.document_id == document.id)
        .group_by(models.Check.status)
    ).all()
    # The name and year as the reviewers left them, corrections included.
    header: dict[str, Any] = dict(
        session.execute(
            select(models.Fact.path, models.Fact.value).where(
                models.Fact.document_id == document.id,
                models.Fact.path.in_(HEADER),
                models.Fact.review != "rejected",
            )
        ).all()
    )
    # The indicators' targets and actuals a reviewer changed.
    texts = {
        path: (review, value)
        for path, review, value in session.execute(
            select(models.Fact.path, models.Fact.review, models.Fact.value).where(
                models.Fact.document_id == document.id,
                models.Fact.path.like("indicators[%]._%"),
                models.Fact.review.in_(["corrected", "rejected"]),
            )
        )
    }
    rows = indicators(document.record, texts)
    session.execute(delete(models.Indicator).where(models.Indicator.document_id == document.id))
    if rows:
        session.execute(
            insert(models.Indicator), [{"document_id": document.id, **row} for row in rows]
        )
    last = session.execute(
        select(models.Review.reviewer, models.Review.at)
        .join(models.Fact, models.Fact.id == models.Review.fact_id)
        .where(models.Fact.document_id == document.id)
        .order_by(models.Review.id.desc())
        .limit(1)
    ).first()
    values = summarise(
        document.record,
        [(review, status, count) for review, status, count in facts],
        [(status, count) for status, count in checks],
        header.get("unit_name"),
        header.get("fiscal_year"),
        None if last is None else (last[0], last[1]),
        header,
        [row["met"] for row in rows],
    )
    entry = session.get(models.QueueEntry, document.id)
    if entry is None:
        earlier = session.scalar(
            select(models.QueueEntry).where(models.QueueEntry.sha256 == document.sha256)
        )
        # A new ingestion of a report stays with the reviewer it was assigned to;
        # it is not done, since nobody has reviewed its facts.
        assignee = None
        if earlier is not None:
            assignee = earlier.assignee
            session.delete(earlier)
            session.flush()  # its sha256 is unique: gone before the new row comes
        entry = models.QueueEntry(
            document_id=document.id, sha256=document.sha256, assignee=assignee
        )
        session.add(entry)
    entry.path = document.path
    for name, value in values.items():
        setattr(entry, name, value)
    return entry
