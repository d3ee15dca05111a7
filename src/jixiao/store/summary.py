"""The review queue's row of a report (`models.QueueEntry`), derived from its
facts, checks and reviews. `refresh` runs in the transaction of every change to
them, so the queue never disagrees with the report; `summarise` is the
arithmetic alone, for whoever already holds the counts (`bench/review.py`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jixiao.store import models
from jixiao.store.current import FLAGGED, review_state

# The verdicts a queue counts, by the column that counts each.
VERDICT_COLUMNS = {
    "hallucination": "hallucinations",
    "source_inconsistency": "inconsistencies",
    "unit_anomaly": "anomalies",
    "unverifiable": "unverifiable",
}


def summarise(
    record: dict[str, Any],
    facts: Iterable[tuple[str, str, int]],
    checks: Iterable[tuple[str, int]],
    unit_name: Any = None,
    fiscal_year: Any = None,
    last: tuple[str, datetime] | None = None,
) -> dict[str, Any]:
    """The queue's columns of a report: `facts` counts its facts by (review,
    status), `checks` its checks by verdict; the unit's name and the year as the
    reviewers left them."""
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
                models.Fact.path.in_(["unit_name", "fiscal_year"]),
                models.Fact.review != "rejected",
            )
        ).all()
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
