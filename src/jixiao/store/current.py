"""A report as it stands: the one way every reader gets a stored record.

A stored record (`Document.record`) holds no facts and no checks: each fact is
null where it stands, so that lists keep their length. The facts are rows of
`facts`, which reviewers change, and the checks rows of `checks`, which the
checks rewrite after a correction or a rejection (`recheck`). The review pages,
the export, `jixiao eval` and `jixiao gold export` all read a report through
`current`, so none of them sees a value the others do not.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jixiao.check import run_checks
from jixiao.messages import M_, N_, Message
from jixiao.records import (
    Check,
    Fact,
    IndicatorRecord,
    Rejected,
    Report,
    drop_fact,
    fact_holder,
    facts_of,
    path_order,
)
from jixiao.store import models
from jixiao.structure.numbers import parse_quantity

REVIEWER_REJECTED = N_("rejected by a reviewer")
# Statuses the checks give (and take back); a reviewer's are never changed by them.
FLAGGED = ("source_inconsistent", "unit_anomaly")

_PART = re.compile(r"[^.\[\]]+|\[\d+\]")
_PROJECT_NAME = re.compile(r"projects\[\d+\]\.name")
_INDICATOR_TEXT = re.compile(r"indicators\[(\d+)\]\.(target|actual)")


def review_state(reviews: Iterable[str]) -> str:
    """A report's review state from its facts' (a rejection is a review too)."""
    states = set(reviews) or {"unreviewed"}
    if states == {"unreviewed"}:
        return "unreviewed"
    return "partly reviewed" if "unreviewed" in states else "reviewed"


def skeleton(report: Report) -> dict[str, Any]:
    """What `Document.record` stores of a report: all of it but its facts (null in
    their places) and its checks (empty)."""
    data = report.model_dump(mode="json")
    for path, _ in facts_of(report):
        _put(data, path, None)
    data["checks"] = []
    return data


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    parts = _PART.findall(path)
    holder: Any = data
    for part in parts[:-1]:
        holder = holder[int(part[1:-1])] if part.startswith("[") else holder[part]
    last = parts[-1]
    if last.startswith("["):
        holder[int(last[1:-1])] = value
    else:
        holder[last] = value


def fact_of(row: models.Fact) -> Fact:
    return Fact(
        value=row.value,
        unit=row.unit,
        raw=row.raw,
        start=row.start,
        end=row.end,
        status=row.status,  # type: ignore[arg-type]
        note=row.note,
    )


def filled(
    record: dict[str, Any],
    rows: Iterable[models.Fact],
    fact: Callable[[models.Fact], Fact] = fact_of,
) -> Report:
    """The stored record with every fact row in its place (rejected ones too), at
    the paths the rows were stored under."""
    data = copy.deepcopy(record)
    for row in rows:
        _put(data, row.path, fact(row).model_dump(mode="json"))
    return Report.model_validate(data)


@dataclass
class Current:
    """A report as it stands: its record, each fact's review state by path, and
    the report's."""

    report: Report
    reviews: dict[str, str]
    review_state: str = "unreviewed"

    @property
    def key(self) -> str:
        return self.report.document.sha256


def current(
    session: Session,
    document: models.Document,
    keep: Iterable[str] = (),
    extracted: bool = False,
) -> Current:
    """The report of a stored ingestion: its facts as reviewers left them (a
    rejected fact out of the record and listed in `rejected`), its checks as they
    last ran. `keep` keeps only facts of those statuses. `extracted` gives every
    fact as the pipeline made it, before any reviewer changed it (what
    `jixiao eval --reviewed` scores)."""
    if not extracted:
        report, rows = as_stored(session, document)
        return _reviewed(report, rows, set(keep))
    rows = _rows(session, document)
    originals = _originals(session, rows)

    def as_made(row: models.Fact) -> Fact:
        before = originals.get(row.id)
        if before is None:
            return fact_of(row)
        return Fact.model_validate({name: before[name] for name in Fact.model_fields})

    assert document.record is not None  # a done ingestion has its record
    report = filled(document.record, rows, as_made)
    report.checks = _checks(session, document)
    return Current(report, {path: "unreviewed" for path, _ in facts_of(report)})


def as_stored(session: Session, document: models.Document) -> tuple[Report, list[models.Fact]]:
    """The record with every fact row at the path it is stored under, rejected
    ones too (what the review page shows), its checks as they last ran; and the
    rows."""
    assert document.record is not None  # a done ingestion has its record
    rows = _rows(session, document)
    report = filled(document.record, rows)
    report.checks = _checks(session, document)
    return report, rows


def _rows(session: Session, document: models.Document) -> list[models.Fact]:
    query = select(models.Fact).where(models.Fact.document_id == document.id)
    return list(session.scalars(query.order_by(models.Fact.id)))


def _checks(session: Session, document: models.Document) -> list[Check]:
    query = select(models.Check).where(models.Check.document_id == document.id)
    return [
        Check(
            id=row.check_id,
            status=row.status,  # type: ignore[arg-type]
            message=row.message,
            facts=row.facts,
            template=None if row.template is None else Message.model_validate(row.template),
        )
        for row in session.scalars(query.order_by(models.Check.id))
    ]


def check_row(check: Check) -> models.Check:
    """The row that stores a check's verdict."""
    return models.Check(
        check_id=check.id,
        status=check.status,
        message=check.message,
        facts=check.facts,
        template=None if check.template is None else check.template.model_dump(mode="json"),
    )


def _originals(session: Session, rows: Sequence[models.Fact]) -> dict[int, dict[str, Any]]:
    """Each reviewed fact as it was before its first review."""
    first: dict[int, dict[str, Any]] = {}
    query = (
        select(models.Review)
        .where(models.Review.fact_id.in_([row.id for row in rows]))
        .order_by(models.Review.id)
    )
    for review in session.scalars(query):
        first.setdefault(review.fact_id, review.before)
    return first


def _reviewed(report: Report, rows: Sequence[models.Fact], keep: set[str]) -> Current:
    """Take out what reviewers rejected (and facts of statuses not kept)."""
    facts = dict(facts_of(report))
    # By the fact itself, not its path: a list item dropped below moves the
    # items after it up, and their paths with them.
    reviews: dict[int, str] = {}
    dropped: list[str] = []
    for row in rows:
        if row.review == "rejected":
            report.rejected.append(Rejected.because(row.path, row.raw, M_(REVIEWER_REJECTED)))
            dropped.append(row.path)
            continue
        if keep and row.status not in keep:
            dropped.append(row.path)
            continue
        reviews[id(facts[row.path])] = row.review
        if row.review == "corrected" and (match := _INDICATOR_TEXT.fullmatch(row.path)):
            indicator = report.indicators[int(match.group(1))]
            _reread_indicator(indicator, match.group(2), facts[row.path])
    # A project is known by its name: without it, the whole project goes.
    nameless = {path.removesuffix(".name") for path in dropped if _PROJECT_NAME.fullmatch(path)}
    dropped = [path for path in dropped if path.split(".")[0] not in nameless] + sorted(nameless)
    # Later list items first, so that dropping one does not shift the others.
    # (drop_fact points a dropped project's indicators at none, later ones lower.)
    for path in sorted(dropped, key=path_order, reverse=True):
        drop_fact(report, path)
    return Current(
        report,
        {path: reviews[id(fact)] for path, fact in facts_of(report) if id(fact) in reviews},
        review_state(row.review for row in rows),
    )


def _reread_indicator(indicator: IndicatorRecord, role: str, fact: Fact) -> None:
    """A corrected target or actual value: its comparator, number and unit as the
    table parser reads them from the text, so that they say what the fact says."""
    quantity = parse_quantity(str(fact.value))
    if role == "target":
        indicator.target_op = quantity.comparator if quantity else None
    setattr(indicator, f"{role}_value", quantity.value if quantity else None)
    setattr(indicator, f"{role}_unit", quantity.unit if quantity else None)


# --- checks run again ----------------------------------------------------------------


@dataclass
class Changes:
    """What running a report's checks again changed: the verdicts (other than
    pass) that went, and those that came."""

    resolved: list[dict[str, Any]]
    raised: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {"resolved": self.resolved, "raised": self.raised}


def recheck(session: Session, document: models.Document) -> Changes:
    """Run the report's checks again on its facts as they stand, in the caller's
    transaction: the check rows are replaced, and the statuses the checks give
    are given again (a figure no check now faults is verified again; a reviewer's
    confirmed or corrected figure keeps its status). The checks never call the
    model. A fact a reviewer rejected is left out, as the export leaves it out;
    every other keeps the path its row has, so that the verdicts name rows."""
    assert document.record is not None
    rows = _rows(session, document)
    old = list(session.scalars(select(models.Check).where(models.Check.document_id == document.id)))
    report = filled(document.record, rows)
    facts = dict(facts_of(report))
    messages = {check.message for check in old}
    for row in rows:
        fact = facts[row.path]
        # The flag and the note a check gave: given again below if it still holds.
        if fact.status in FLAGGED and fact.note in messages:
            fact.status, fact.note = "verified", None
    # Emptied, not taken out, so that the others keep their paths.
    for row in sorted(rows, key=lambda row: path_order(row.path), reverse=True):
        if row.review == "rejected":
            holder, last = fact_holder(report, row.path)
            if last.startswith("["):
                holder[int(last[1:-1])] = None  # type: ignore[index]
            else:
                setattr(holder, last, None)
    results = run_checks(report)
    for row in rows:
        fact = facts[row.path]
        if row.review != "rejected" and (row.status, row.note) != (fact.status, fact.note):
            row.status, row.note = fact.status, fact.note
    for check in old:
        session.delete(check)
    new = [check_row(result) for result in results]
    for check in new:
        check.document_id = document.id
    session.add_all(new)
    return _changes(old, new)


def _changes(old: Sequence[models.Check], new: Sequence[models.Check]) -> Changes:
    def failing(checks: Iterable[models.Check]) -> dict[tuple, dict]:
        return {
            (check.check_id, check.status, tuple(check.facts)): {
                "id": check.check_id,
                "status": check.status,
                "message": check.message,
                "template": check.template,
            }
            for check in checks
            if check.status != "pass"
        }

    before, after = failing(old), failing(new)
    return Changes(
        resolved=[item for key, item in before.items() if key not in after],
        raised=[item for key, item in after.items() if key not in before],
    )
