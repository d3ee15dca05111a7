"""What a reviewer does to a fact: confirm it, correct it, reject it, or confirm
every verified fact of a report at once.

Each action is one transaction: the fact changes and a `Review` row records who,
when, and the fact before and after. The reviewer sends the version of the fact
they were shown; if the fact has changed since (another reviewer got there
first), the action is refused with a `Conflict` rather than overwriting that
work. The version is checked twice: against the one the page showed, and by the
database itself (the UPDATE matches only the version read, through SQLAlchemy's
version_id_col), so that two reviewers acting in the same instant cannot both win.

A correction is read the way the pipeline reads a figure (`jixiao.extract`):
money to 元, percentages in percent, dates to ISO. It must be found in the
source, and then points at it, or be marked as entered by the reviewer: then it
keeps the raw text and offsets of the value it replaces, so that
``text[start:end] == raw`` still holds, and its note says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from jixiao.errors import JixiaoError
from jixiao.extract import FIELD_KINDS, find_date, quantity_fact
from jixiao.messages import M_, N_, Message
from jixiao.records import Fact, Report
from jixiao.store import Store, models
from jixiao.store.current import recheck
from jixiao.store.reviewing import audit, confirmed, corrected, event, rejected, snapshot
from jixiao.store.summary import refresh
from jixiao.structure.numbers import UNITS, Quantity, find_quantities, parse_quantity

# How the pipeline reads each field: the model-read fields as `extract` routes
# them, and the fields of list items as it builds them.
_KINDS = {
    **{
        f"{group}.{name}" if group in Report.model_fields else name: kind
        for group, fields in FIELD_KINDS.items()
        for name, kind in fields.items()
    },
    "region.named.province": "text",
    "region.named.city": "text",
    "region.named.county": "text",
    "projects[].name": "text",
    "projects[].budget": "money",
    "projects[].actual": "money",
    "projects[].supervisor": "text",
    "projects[].implementer": "text",
    "projects[].initial_budget": "money",
    "projects[].execution_rate": "percent",
    "projects[].goal": "text",
    "projects[].goal_result": "text",
    "projects[].self_score": "score",
    "indicators[].target": "text",
    "indicators[].actual": "text",
    "indicators[].weight": "score",
    "indicators[].score": "score",
    "problems[]": "text",
    "measures[]": "text",
}
_MONEY = {unit: multiplier for unit, (multiplier, base) in UNITS.items() if base == "元"}
_HOW_TO_WRITE = {
    "money": N_("a sum of money with its unit, e.g. 352.60万元"),
    "percent": N_("a percentage, e.g. 96.40%%"),
    "count": N_("a number of people, e.g. 41人"),
    "score": N_("a score, e.g. 9.5"),
    "year": N_("a year, e.g. 2024"),
}


class ReviewError(JixiaoError):
    """A reviewer's change that cannot be taken as it stands."""


class Conflict(ReviewError):
    """The fact is no longer the version the reviewer saw: someone else changed it."""

    def __init__(self, fact_ids: Iterable[int]) -> None:
        self.fact_ids = sorted(fact_ids)
        super().__init__(f"facts changed meanwhile: {self.fact_ids}")


class Refused(ReviewError):
    """A correction that cannot be taken as it stands; the message says what to do
    (in English as ``str()``, translated on the pages)."""

    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.message = message


class NotFound(ReviewError):
    pass


def field_kind(path: str) -> str:
    """``money``, ``percent``, ``count``, ``score``, ``year``, ``date`` or ``text``."""
    return _KINDS[re.sub(r"\[\d+\]", "[]", path)]


def apply(
    session: Session,
    fact: models.Fact,
    seen: int,
    reviewer: str,
    action: str,
    change: Callable[[models.Fact], None],
) -> None:
    """Change a fact the reviewer saw at version `seen` and record the action."""
    fact_id = fact.id  # a failed flush leaves the fact unreadable
    if fact.version != seen:
        raise Conflict([fact_id])
    before = snapshot(fact)
    change(fact)
    # Written even when nothing changed (a confirmed fact confirmed again), so
    # that every action takes the version check and moves the version on.
    flag_modified(fact, "review")
    try:
        session.flush()  # the guarded UPDATE: it bumps the version the review records
    except StaleDataError:
        raise Conflict([fact_id]) from None
    audit(session, fact, reviewer, action, before)


@dataclass
class Acted:
    """What an action on a fact did: the fact, and the event saying what running
    the report's checks again changed (after a correction or a rejection)."""

    fact: models.Fact
    rechecked: int | None = None


def _act(
    store: Store,
    fact_id: int,
    seen: int,
    reviewer: str,
    action: str,
    change: Callable[[Session, models.Fact], Callable[[models.Fact], None]],
) -> Acted:
    with store.sessions.begin() as session:
        fact = session.get(models.Fact, fact_id)
        if fact is None:
            raise NotFound(fact_id)
        apply(session, fact, seen, reviewer, action, change(session, fact))
        document = session.get_one(models.Document, fact.document_id)
        rechecked = None
        # A confirmation changes no value, so no verdict: only these run the checks.
        if action in ("correct", "reject"):
            changes = recheck(session, document)
            detail = {"after": action, "fact": fact.path, **changes.as_json()}
            rechecked = event(session, document.id, reviewer, "recheck", detail).id
        refresh(session, document)
        return Acted(fact, rechecked)


def confirm(store: Store, fact_id: int, seen: int, reviewer: str) -> Acted:
    """The fact is right as it stands."""
    return _act(store, fact_id, seen, reviewer, "confirm", lambda _session, _fact: confirmed)


def reject(store: Store, fact_id: int, seen: int, reviewer: str) -> Acted:
    """The fact is wrong and nothing in the source is right for it: an export
    leaves it out and lists it under `rejected`."""
    return _act(store, fact_id, seen, reviewer, "reject", lambda _session, _fact: rejected)


def correct(
    store: Store, fact_id: int, seen: int, reviewer: str, typed: str, entered: bool
) -> Acted:
    """The right value is `typed`: found in the source, or `entered` by the reviewer."""

    def change(session: Session, fact: models.Fact) -> Callable[[models.Fact], None]:
        if fact.version != seen:  # a conflict says more than a complaint about the value
            raise Conflict([fact.id])
        record = session.scalar(
            select(models.Document.record).where(models.Document.id == fact.document_id)
        )
        assert record is not None  # a fact's document, which holds the record, exists
        fields = correction(fact, typed, record["document"]["text"], reviewer, entered)
        return lambda fact: corrected(fact, fields)

    return _act(store, fact_id, seen, reviewer, "correct", change)


def confirm_verified(store: Store, document_id: int, seen: dict[int, int], reviewer: str) -> int:
    """Confirm the report's facts that every check passed and nobody has reviewed,
    as the reviewer saw them (fact id → version); returns how many. Any of them
    changed meanwhile: nothing is confirmed, and `Conflict` names those."""
    with store.sessions.begin() as session:
        facts = session.scalars(
            select(models.Fact)
            .where(
                models.Fact.document_id == document_id,
                models.Fact.id.in_(seen),
                models.Fact.status == "verified",
                models.Fact.review == "unreviewed",
            )
            .order_by(models.Fact.id)
        ).all()
        changed = {fact.id for fact in facts if fact.version != seen[fact.id]}
        # A fact the page showed that is no longer verified and unreviewed was
        # reviewed by someone else meanwhile.
        changed |= set(seen) - {fact.id for fact in facts}
        if changed:
            raise Conflict(changed)
        for fact in facts:
            apply(session, fact, seen[fact.id], reviewer, "confirm", confirmed)
        refresh(session, session.get_one(models.Document, document_id))
        return len(facts)


# --- many reports at once ---------------------------------------------------------------


def confirm_verified_of(store: Store, document_ids: Iterable[int], reviewer: str) -> int:
    """Confirm every fact of these reports that every check passed and nobody has
    reviewed, as they stand now, each with its `Review` row as one by one; returns
    how many. In one transaction: all of them or, if another reviewer changes one
    meanwhile, none."""
    ids = sorted(set(document_ids))
    with store.sessions.begin() as session:
        facts = session.scalars(
            select(models.Fact)
            .where(
                models.Fact.document_id.in_(ids),
                models.Fact.status == "verified",
                models.Fact.review == "unreviewed",
            )
            .order_by(models.Fact.id)
        ).all()
        for fact in facts:
            apply(session, fact, fact.version, reviewer, "confirm", confirmed)
        for document in _documents(session, ids):
            refresh(session, document)
        return len(facts)


def assign(store: Store, document_ids: Iterable[int], assignee: str, reviewer: str) -> int:
    """Give these reports to `assignee` (nobody, when empty); returns how many."""
    assignee = assignee.strip()
    with store.sessions.begin() as session:
        entries = session.scalars(
            select(models.QueueEntry).where(models.QueueEntry.document_id.in_(set(document_ids)))
        ).all()
        for entry in entries:
            event(session, entry.document_id, reviewer, "assign", {"to": assignee or None})
            entry.assignee = assignee or None
        return len(entries)


def mark_done(store: Store, document_id: int, reviewer: str, done: bool = True) -> None:
    """Mark a report done (its confirmed and corrected facts become gold for
    `jixiao eval --reviewed`), or open it again."""
    with store.sessions.begin() as session:
        entry = session.get(models.QueueEntry, document_id)
        if entry is None:
            raise NotFound(document_id)
        event(session, document_id, reviewer, "done" if done else "reopen", {})
        entry.done_by = reviewer if done else None
        entry.done_at = datetime.now(UTC) if done else None


def _documents(session: Session, ids: Sequence[int]) -> Sequence[models.Document]:
    return session.scalars(select(models.Document).where(models.Document.id.in_(ids))).all()


def last_reviews(session: Session, fact_ids: Iterable[int]) -> dict[int, models.Review]:
    """Each fact's latest review."""
    reviews: dict[int, models.Review] = {}
    query = (
        select(models.Review)
        .where(models.Review.fact_id.in_(list(fact_ids)))
        .order_by(models.Review.id)
    )
    for review in session.scalars(query):
        reviews[review.fact_id] = review
    return reviews


# --- corrections ------------------------------------------------------------------


def correction(
    fact: models.Fact, typed: str, text: str, reviewer: str, entered: bool
) -> dict[str, Any]:
    """The fields a correction sets: the value read from what the reviewer typed,
    and where the source says it (or the fact's old place, if `entered`)."""
    typed = typed.strip()
    if not typed:
        raise Refused(M_("type the right value, as the report writes it"))
    kind = field_kind(fact.path)
    found = _in_source(kind, typed, fact, text)
    if found is not None:
        return found | {
            "note": f"corrected by {reviewer}: was “{fact.raw}” at {fact.start}–{fact.end}"
        }
    if not entered:
        raise Refused(
            M_(
                "“%(typed)s” is not in the source: type it as the report writes it, so that"
                " it is found and pointed at, or tick “not in the source” to enter it yourself",
                typed=typed,
            )
        )
    return _read(kind, typed, fact) | {
        "note": f"entered by {reviewer}, not found in the source: “{typed}”; raw and offsets"
        " are those of the value it replaced"
    }


def _in_source(kind: str, typed: str, fact: models.Fact, text: str) -> dict[str, Any] | None:
    """The value at the place in the source nearest the fact (where the reviewer
    was looking) that says what the reviewer typed."""
    if kind in ("text", "date"):
        places = [(m.start(), m.end()) for m in re.finditer(re.escape(typed), text)]
        if not places:
            return None
        start, end = min(places, key=lambda place: abs(place[0] - fact.start))
        value = _read(kind, typed, fact)["value"]
        if kind == "date":  # as the pipeline does, the raw text is the date alone
            found = find_date(typed)
            assert found is not None  # _read read a date from it
            _, match = found
            start, end = start + match.start(), start + match.end()
        return _place(text, start, end) | {"value": value, "unit": None}
    written = _written(kind, typed)
    unit = written.unit or _implied_unit(fact)
    figures: list[tuple[int, int, Fact]] = []
    for quantity in find_quantities(text):
        if quantity.number_to is not None or not _same(quantity, written):
            continue
        read = quantity_fact(quantity, kind, unit)
        if read is not None:
            figures.append((quantity.start, quantity.end, read))
    if not figures:
        return None
    start, end, read = min(figures, key=lambda place: abs(place[0] - fact.start))
    return _place(text, start, end) | {"value": read.value, "unit": read.unit}


def _read(kind: str, typed: str, fact: models.Fact) -> dict[str, Any]:
    """The value and unit of what the reviewer typed, read as the pipeline reads
    this field."""
    if kind == "text":
        return {"value": typed, "unit": None}
    if kind == "date":
        found = find_date(typed)
        if found is None or found[0] is None:
            raise Refused(
                M_("“%(typed)s” is not a date: type it as 2025年5月12日 or 2025-05-12", typed=typed)
            )
        return {"value": found[0], "unit": None}
    written = _written(kind, typed)
    read = quantity_fact(written, kind, written.unit or _implied_unit(fact))
    if read is None:
        raise Refused(
            M_("“%(typed)s” does not read as %(how)s", typed=typed, how=M_(_HOW_TO_WRITE[kind]))
        )
    return {"value": read.value, "unit": read.unit}


def _written(kind: str, typed: str) -> Quantity:
    written = parse_quantity(typed)
    if written is None or written.number_to is not None:
        raise Refused(
            M_(
                "“%(typed)s” is not one figure: type %(how)s",
                typed=typed,
                how=M_(_HOW_TO_WRITE[kind]),
            )
        )
    return written


def _place(text: str, start: int, end: int) -> dict[str, Any]:
    return {"raw": text[start:end], "start": start, "end": end}


def _implied_unit(fact: models.Fact) -> str | None:
    """The unit a bare figure is read in where this fact stands: the 万元 of a
    table headed 单位：万元 that made a bare ``352.60`` worth 3526000 元, or the
    % of a column of rates."""
    written = parse_quantity(fact.raw)
    if written is None or written.unit is not None or not written.number:
        return None
    if fact.unit == "%":
        return "%"
    if fact.unit == "元" and isinstance(fact.value, int | float):
        scale = Decimal(str(fact.value)) / written.number
        return next((unit for unit, factor in _MONEY.items() if factor == scale), None)
    return None


def _same(found: Quantity, written: Quantity) -> bool:
    if found.unit is None or written.unit is None:
        return found.number == written.number
    return found.base_unit == written.base_unit and found.base_value == written.base_value
