"""Reviewers' work carried over to a report ingested again.

The queue and the export follow each report's latest ingestion: a run with
another model or other prompts would otherwise hide every confirmation,
correction and rejection made on the one before. A review is carried over
where the new run extracted what the reviewer saw; where it extracted
something else, a person looks again. Carried reviews are audit rows like any
other, under the reviewer who made them, and an event on the report says where
they came from.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jixiao.store import models
from jixiao.store.current import recheck
from jixiao.store.reviewing import audit, confirmed, corrected, event, rejected, snapshot

# What makes two extractions of a fact the same: the figure and where it stands.
_SAME = ("value", "unit", "raw", "start", "end")
# The pipeline, as who did what an event records.
PIPELINE = "jixiao"


def carry_reviews(session: Session, document: models.Document) -> int:
    """Apply to `document`'s new facts the reviews of the ingestion of the same
    report the queue showed until now; how many were carried. Called before the
    queue moves on to `document`."""
    earlier = session.scalar(
        select(models.QueueEntry.document_id).where(models.QueueEntry.sha256 == document.sha256)
    )
    if earlier is None or earlier == document.id:
        return 0
    reviewed = {
        fact.path: (fact, review)
        for fact, review in session.execute(
            select(models.Fact, models.Review)
            .join(models.Review, models.Review.fact_id == models.Fact.id)
            .where(models.Fact.document_id == earlier, models.Fact.review != "unreviewed")
            .order_by(models.Review.id)  # the last review of each fact wins
        )
    }
    carried: list[str] = []
    for fact in document.facts:
        if fact.path not in reviewed:
            continue
        old, review = reviewed[fact.path]
        action = _carried(fact, old, review)
        if action is None:
            continue
        before = snapshot(fact)
        _apply(fact, old, action)
        session.flush()  # the version the review row records
        audit(session, fact, review.reviewer, action, before)
        carried.append(action)
    if not carried:
        return 0
    detail: dict[str, Any] = {"from": earlier, "facts": len(carried)}
    if {"correct", "reject"} & set(carried):
        detail |= recheck(session, document).as_json()
    event(session, document.id, PIPELINE, "carry", detail)
    return len(carried)


def _carried(fact: models.Fact, old: models.Fact, review: models.Review) -> str | None:
    """The action a reviewer's last review of `old` stands for on `fact`, or None
    where the new run extracted what the reviewer never saw."""
    if _same(fact, snapshot(old)):
        # What they confirmed or corrected it to is right; what they rejected is not.
        return "reject" if old.review == "rejected" else "confirm"
    if old.review == "corrected" and _same(fact, review.before):
        return "correct"  # the same mistake as before, corrected as before
    return None


def _same(fact: models.Fact, seen: dict[str, Any]) -> bool:
    return all(getattr(fact, name) == seen.get(name) for name in _SAME)


def _apply(fact: models.Fact, old: models.Fact, action: str) -> None:
    if action == "reject":
        rejected(fact)
    elif action == "confirm":
        confirmed(fact)
    else:
        corrected(fact, {name: getattr(old, name) for name in _SAME + ("note",)})
