"""The database tables. Alembic migrations under `migrations/` create them; a
change here needs a new migration (see docs/database.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: DateTime(timezone=True),
    }


class Run(Base):
    """One configuration of the pipeline: the things that decide its answers.
    A report ingested under the same run key is the same work done twice."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    model: Mapped[str] = mapped_column(Text)
    base_url: Mapped[str] = mapped_column(Text)
    prompts: Mapped[dict[str, Any]]  # prompt name → version
    settings: Mapped[dict[str, Any]]  # never the API key
    created_at: Mapped[datetime]


class Document(Base):
    """One report file as ingested under one run: done with its record, or failed
    with the reason."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("run_id", "sha256"), Index("ix_documents_path", "path"))

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str | None] = mapped_column(String(8))
    pages: Mapped[int | None]
    chars: Mapped[int | None]
    ocr: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16))  # done | failed
    # The record's kind, and how many stretches of figures nothing read: NULL for a
    # failed report, and for records made before schema 2, which looked for neither.
    kind: Mapped[str | None] = mapped_column(String(16))  # department | project | transfer
    unread: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    seconds: Mapped[float | None] = mapped_column(Float)
    ingested_at: Mapped[datetime]
    # The record without its facts and checks (each fact null where it stands, so
    # that lists keep their length): those live only in `facts` and `checks`, the
    # rows reviewers change and the checks rewrite, and `jixiao.store.current`
    # puts them in. Nothing else holds a copy that could go stale.
    record: Mapped[dict[str, Any] | None]

    chunks: Mapped[list[Chunk]] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    calls: Mapped[list[Call]] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    facts: Mapped[list[Fact]] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    checks: Mapped[list[Check]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class Chunk(Base):
    __tablename__ = "chunks"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(8))
    start: Mapped[int]
    end: Mapped[int]
    tokens: Mapped[int]
    headings: Mapped[list[Any]]


class Call(Base):
    """One question to the model and its answer, as it came (or from the cache)."""

    __tablename__ = "model_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    prompt: Mapped[str] = mapped_column(Text)  # name@version
    request_key: Mapped[str] = mapped_column(String(64))
    cached: Mapped[bool]
    valid: Mapped[bool]
    prompt_tokens: Mapped[int]
    completion_tokens: Mapped[int]
    seconds: Mapped[float] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    response: Mapped[dict[str, Any] | None]


class Fact(Base):
    __tablename__ = "facts"
    __table_args__ = (UniqueConstraint("document_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    chunk_id: Mapped[int | None] = mapped_column(ForeignKey("chunks.id", ondelete="SET NULL"))
    path: Mapped[str] = mapped_column(Text)  # budget.total_expenditure, indicators[3].score
    value: Mapped[Any] = mapped_column(JSON)
    number: Mapped[float | None] = mapped_column(Float)  # the value when it is a number
    unit: Mapped[str | None] = mapped_column(String(16))
    raw: Mapped[str] = mapped_column(Text)
    start: Mapped[int]
    end: Mapped[int]
    status: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    review: Mapped[str] = mapped_column(String(16), default="unreviewed")
    # Bumped by every change, so that two reviewers never overwrite each other.
    version: Mapped[int] = mapped_column(default=1)

    # SQLAlchemy's documented form: its typing declares the name an attribute of the
    # instance, which a ClassVar may not override; it is read from the class once.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Check(Base):
    __tablename__ = "checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    check_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24))
    message: Mapped[str] = mapped_column(Text)
    facts: Mapped[list[Any]]
    # The message's words and values apart (`jixiao.records.Check.template`), for
    # the review pages to translate; NULL in rows stored before.
    template: Mapped[dict[str, Any] | None]


class Review(Base):
    """What a reviewer did to a fact: who, when, and the fact before and after."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    fact_id: Mapped[int] = mapped_column(ForeignKey("facts.id", ondelete="CASCADE"), index=True)
    reviewer: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(16))  # confirm | correct | reject
    before: Mapped[dict[str, Any]]
    after: Mapped[dict[str, Any] | None]


class QueueEntry(Base):
    """The review queue: one row per report, its latest successful ingestion,
    with the counts the queue shows, sorts and filters by. Derived from the
    facts, checks and reviews by `jixiao.store.summary.refresh` in the same
    transaction as every change to them, so that the queue pages and sorts in
    SQL: counting facts per request does not stay fast at 100,000 reports."""

    __tablename__ = "queue"
    __table_args__ = (Index("ix_queue_assignee", "assignee"),)

    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(String(16))
    unit_name: Mapped[str | None] = mapped_column(Text)
    fiscal_year: Mapped[int | None]
    region: Mapped[str] = mapped_column(Text, default="")  # province city county
    province: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    county: Mapped[str | None] = mapped_column(Text)
    facts: Mapped[int] = mapped_column(default=0)
    to_review: Mapped[int] = mapped_column(default=0)
    cleared: Mapped[bool] = mapped_column(default=False)  # nothing left to review
    flagged: Mapped[int] = mapped_column(default=0)  # flagged facts nobody reviewed
    failed: Mapped[int] = mapped_column(default=0)  # checks of any verdict but pass
    hallucinations: Mapped[int] = mapped_column(default=0)
    inconsistencies: Mapped[int] = mapped_column(default=0)
    anomalies: Mapped[int] = mapped_column(default=0)
    unverifiable: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)  # by the checks and by reviewers
    state: Mapped[str] = mapped_column(String(16), default="unreviewed")
    last_reviewer: Mapped[str | None] = mapped_column(Text)
    last_at: Mapped[datetime | None]
    assignee: Mapped[str | None] = mapped_column(Text)
    # Marked done by a reviewer: its confirmed and corrected facts are gold.
    done_by: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None]
    # The report's main figures as the reviewers left them (a rejected one NULL),
    # for the analysts' views and the dashboard (`jixiao.store.views`).
    full_year_budget: Mapped[float | None] = mapped_column(Float)
    total_expenditure: Mapped[float | None] = mapped_column(Float)
    execution_rate: Mapped[float | None] = mapped_column(Float)
    self_score: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[str | None] = mapped_column(Text)
    indicators: Mapped[int] = mapped_column(default=0, server_default="0")
    indicators_met: Mapped[int] = mapped_column(default=0, server_default="0")
    # Indicators met, % of those that can be judged (`Indicator.met` not NULL).
    indicator_completion: Mapped[float | None] = mapped_column(Float)


# Each order of the queue (`jixiao.review.views.SORTS`) with its directions, so
# that a page of it, however deep, is read off an index rather than sorted.
Index("ix_queue_year", QueueEntry.fiscal_year.desc(), QueueEntry.document_id)
Index("ix_queue_unit", QueueEntry.unit_name, QueueEntry.path, QueueEntry.document_id)
Index("ix_queue_recent", QueueEntry.last_at.desc(), QueueEntry.document_id)
Index(
    "ix_queue_risk",
    QueueEntry.cleared,
    QueueEntry.flagged.desc(),
    QueueEntry.failed.desc(),
    QueueEntry.rejected.desc(),
    QueueEntry.to_review.desc(),
    QueueEntry.document_id,
)


# The dashboard's counts and its queue filters, each read off an index.
Index("ix_queue_kind", QueueEntry.kind)
Index("ix_queue_state", QueueEntry.state)
Index("ix_queue_places", QueueEntry.province, QueueEntry.city)
Index("ix_queue_execution_rate", QueueEntry.execution_rate)
Index("ix_queue_self_score", QueueEntry.self_score)
Index("ix_queue_indicator_completion", QueueEntry.indicator_completion)


class Indicator(Base):
    """A performance indicator of a report as the queue's row counts it: the
    parts of the record that are no facts (its levels, its target and actual as
    parsed, the note) and whether it was met. Derived, like the queue, by
    `jixiao.store.summary.refresh`; its target, actual, weight and score are the
    fact rows `indicators[N].target` and so on."""

    __tablename__ = "indicators"

    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # from 0
    project: Mapped[int | None]
    level1: Mapped[str | None] = mapped_column(Text)
    level2: Mapped[str | None] = mapped_column(Text)
    level3: Mapped[str | None] = mapped_column(Text)
    target_op: Mapped[str | None] = mapped_column(String(4))
    target_value: Mapped[float | None] = mapped_column(Float)
    target_unit: Mapped[str | None] = mapped_column(String(16))
    actual_value: Mapped[float | None] = mapped_column(Float)
    actual_unit: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    # 1 met, 0 missed; NULL where the target or actual is no number in one unit.
    met: Mapped[int | None]


# The checks failed most: read off the index, never the rows.
Index("ix_checks_failed", Check.status, Check.check_id, Check.document_id)


class Event(Base):
    """What happened to a report as a whole: assigned, marked done or reopened, its
    checks run again after a review (with what changed). With the facts'
    `Review` rows, the report's history."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    reviewer: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(16))  # assign | done | reopen | recheck
    detail: Mapped[dict[str, Any]]
