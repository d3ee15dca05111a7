"""What a review does to a stored fact, and the rows it leaves (a fact's review,
a report's event): shared by the review app's actions and by the reviews
carried over to a report ingested again (`carry`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from jixiao.store import models

# What a review changes, and so what `Review.before` and `after` hold.
SNAPSHOT = ("value", "unit", "raw", "start", "end", "status", "note", "review", "version")


def snapshot(fact: models.Fact) -> dict[str, Any]:
    return {name: getattr(fact, name) for name in SNAPSHOT}


def confirmed(fact: models.Fact) -> None:
    fact.status = fact.review = "confirmed"


def rejected(fact: models.Fact) -> None:
    fact.review = "rejected"


def corrected(fact: models.Fact, fields: dict[str, Any]) -> None:
    """The fact set to the reviewer's value (`value`, `unit`, `raw`, `start`,
    `end`, `note`)."""
    for name, value in fields.items():
        setattr(fact, name, value)
    fact.number = fact.value if isinstance(fact.value, int | float) else None
    fact.status = fact.review = "corrected"


def audit(
    session: Session, fact: models.Fact, reviewer: str, action: str, before: dict[str, Any]
) -> None:
    """The review row of a change already flushed (so `after` holds its version)."""
    session.add(
        models.Review(
            fact_id=fact.id,
            reviewer=reviewer,
            at=datetime.now(UTC),
            action=action,
            before=before,
            after=snapshot(fact),
        )
    )


def event(
    session: Session, document_id: int, reviewer: str, action: str, detail: dict[str, Any]
) -> models.Event:
    """Record what a reviewer did to a report as a whole."""
    row = models.Event(
        document_id=document_id,
        reviewer=reviewer,
        at=datetime.now(UTC),
        action=action,
        detail=detail,
    )
    session.add(row)
    session.flush()  # its id, for the page that shows it
    return row
