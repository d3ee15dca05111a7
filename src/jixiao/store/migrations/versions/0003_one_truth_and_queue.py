"""facts and checks live in their rows only; the review queue; report events

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08 09:00:00.000000

A stored record held a copy of every fact and check as the pipeline made them,
which reviewers' corrections never changed. From here it holds neither: each
fact is null where it stood (lists keep their length), and the rows of `facts`
and `checks` are the only copy. A fact of a record that has no row (none should)
gets one first, so nothing is lost. The queue gets a row per report, counted
from its facts, checks and reviews.
"""

import re
from collections import Counter
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_PART = re.compile(r"[^.\[\]]+|\[\d+\]")
_FACT_KEYS = {"value", "raw", "start", "end"}
_VERDICTS = {
    "hallucination": "hallucinations",
    "source_inconsistency": "inconsistencies",
    "unit_anomaly": "anomalies",
    "unverifiable": "unverifiable",
}
_FLAGGED = ("source_inconsistent", "unit_anomaly")
# The parts of a record that hold no facts of the record's own.
_NOT_FACTS = ("document", "checks", "rejected", "usage")


def _facts(value: Any, prefix: str = ""):
    """Every fact of a stored record with its path, as `records.facts_of` names them."""
    if isinstance(value, dict):
        if _FACT_KEYS <= value.keys():
            yield prefix, value
            return
        for key, inner in value.items():
            if not prefix and key in _NOT_FACTS:
                continue
            yield from _facts(inner, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _facts(inner, f"{prefix}[{index}]")


def _put(data: dict, path: str, value: Any) -> None:
    # A copy of `jixiao.store.current._put`, not an import: a migration must do
    # the same thing whatever the code becomes after it.
    parts = _PART.findall(path)
    holder: Any = data
    for part in parts[:-1]:
        holder = holder[int(part[1:-1])] if part.startswith("[") else holder[part]
    last = parts[-1]
    if last.startswith("["):
        holder[int(last[1:-1])] = value
    else:
        holder[last] = value


def _tables(connection) -> dict[str, sa.Table]:
    metadata = sa.MetaData()
    metadata.reflect(connection, only=["documents", "facts", "checks", "reviews"])
    return metadata.tables


def _records(connection, documents: sa.Table) -> list[tuple[int, dict]]:
    """Each done report's id and stored record."""
    done = connection.execute(
        sa.select(documents.c.id, documents.c.record).where(documents.c.status == "done")
    )
    return [(document_id, record) for document_id, record in done if record is not None]


def upgrade() -> None:
    op.create_table(
        "queue",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("unit_name", sa.Text(), nullable=True),
        sa.Column("fiscal_year", sa.Integer(), nullable=True),
        sa.Column("region", sa.Text(), nullable=False),
        sa.Column("facts", sa.Integer(), nullable=False),
        sa.Column("to_review", sa.Integer(), nullable=False),
        sa.Column("cleared", sa.Boolean(), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("hallucinations", sa.Integer(), nullable=False),
        sa.Column("inconsistencies", sa.Integer(), nullable=False),
        sa.Column("anomalies", sa.Integer(), nullable=False),
        sa.Column("unverifiable", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("last_reviewer", sa.Text(), nullable=True),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assignee", sa.Text(), nullable=True),
        sa.Column("done_by", sa.Text(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id"),
        sa.UniqueConstraint("sha256"),
    )
    op.create_index(
        "ix_queue_risk",
        "queue",
        [
            "cleared",
            sa.text("flagged DESC"),
            sa.text("failed DESC"),
            sa.text("rejected DESC"),
            sa.text("to_review DESC"),
            "document_id",
        ],
    )
    op.create_index("ix_queue_year", "queue", [sa.text("fiscal_year DESC"), "document_id"])
    op.create_index("ix_queue_unit", "queue", ["unit_name", "path", "document_id"])
    op.create_index("ix_queue_recent", "queue", [sa.text("last_at DESC"), "document_id"])
    op.create_index("ix_queue_assignee", "queue", ["assignee"])
    op.create_table(
        "report_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_report_events_document_id", "report_events", ["document_id"])

    connection = op.get_bind()
    tables = _tables(connection)
    documents, facts, checks = tables["documents"], tables["facts"], tables["checks"]
    reviews = tables["reviews"]
    for document_id, record in _records(connection, documents):
        rows = connection.execute(
            sa.select(facts.c.path).where(facts.c.document_id == document_id)
        ).scalars()
        stored = set(rows)
        for path, fact in list(_facts(record)):
            if path not in stored:
                value = fact["value"]
                connection.execute(
                    facts.insert().values(
                        document_id=document_id,
                        path=path,
                        value=value,
                        number=value if isinstance(value, int | float) else None,
                        unit=fact.get("unit"),
                        raw=fact["raw"],
                        start=fact["start"],
                        end=fact["end"],
                        status=fact.get("status", "verified"),
                        note=fact.get("note"),
                        review="unreviewed",
                        version=1,
                    )
                )
            _put(record, path, None)
        record["checks"] = []
        connection.execute(
            documents.update().where(documents.c.id == document_id).values(record=record)
        )

    # The queue: each report's latest successful ingestion.
    queue = sa.Table("queue", sa.MetaData(), autoload_with=connection)
    latest = sa.select(sa.func.max(documents.c.id)).where(documents.c.status == "done")
    for document in connection.execute(
        sa.select(documents).where(documents.c.id.in_(latest.group_by(documents.c.sha256)))
    ):
        record = document.record or {}
        counts: Counter[str] = Counter()
        flagged = 0
        header: dict[str, object] = {}
        for review, status, path, value in connection.execute(
            sa.select(facts.c.review, facts.c.status, facts.c.path, facts.c.value).where(
                facts.c.document_id == document.id
            )
        ):
            counts[review] += 1
            flagged += review == "unreviewed" and status in _FLAGGED
            if review != "rejected":
                header[path] = value
        verdicts = Counter(
            connection.execute(
                sa.select(checks.c.status).where(checks.c.document_id == document.id)
            ).scalars()
        )
        last = connection.execute(
            sa.select(reviews.c.reviewer, reviews.c.at)
            .join(facts, facts.c.id == reviews.c.fact_id)
            .where(facts.c.document_id == document.id)
            .order_by(reviews.c.id.desc())
            .limit(1)
        ).first()
        states = set(counts) or {"unreviewed"}
        region = record.get("region") or {}
        year = header.get("fiscal_year")
        connection.execute(
            queue.insert().values(
                document_id=document.id,
                sha256=document.sha256,
                path=document.path,
                kind=document.kind,
                unit_name=None if "unit_name" not in header else str(header["unit_name"]),
                fiscal_year=int(year) if isinstance(year, int | float) else None,
                region=" ".join(
                    region[part] for part in ("province", "city", "county") if region.get(part)
                ),
                facts=sum(counts.values()),
                to_review=counts["unreviewed"],
                cleared=counts["unreviewed"] == 0,
                flagged=flagged,
                failed=sum(verdicts[verdict] for verdict in _VERDICTS),
                **{column: verdicts[verdict] for verdict, column in _VERDICTS.items()},
                rejected=len(record.get("rejected") or []) + counts["rejected"],
                state="unreviewed"
                if states == {"unreviewed"}
                else "partly reviewed"
                if "unreviewed" in states
                else "reviewed",
                last_reviewer=last[0] if last else None,
                last_at=last[1] if last else None,
            )
        )


def downgrade() -> None:
    # The records get their facts and checks back, as the rows now have them.
    connection = op.get_bind()
    tables = _tables(connection)
    documents, facts, checks = tables["documents"], tables["facts"], tables["checks"]
    for document_id, record in _records(connection, documents):
        for row in connection.execute(sa.select(facts).where(facts.c.document_id == document_id)):
            fact = {name: getattr(row, name) for name in ("value", "unit", "raw", "start", "end")}
            _put(record, row.path, fact | {"status": row.status, "note": row.note})
        record["checks"] = [
            {"id": row.check_id, "status": row.status, "message": row.message, "facts": row.facts}
            for row in connection.execute(
                sa.select(checks).where(checks.c.document_id == document_id).order_by(checks.c.id)
            )
        ]
        connection.execute(
            documents.update().where(documents.c.id == document_id).values(record=record)
        )
    op.drop_index("ix_report_events_document_id", table_name="report_events")
    op.drop_table("report_events")
    op.drop_index("ix_queue_assignee", table_name="queue")
    op.drop_index("ix_queue_recent", table_name="queue")
    op.drop_index("ix_queue_unit", table_name="queue")
    op.drop_index("ix_queue_year", table_name="queue")
    op.drop_index("ix_queue_risk", table_name="queue")
    op.drop_table("queue")
