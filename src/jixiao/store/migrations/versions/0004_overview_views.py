"""views for analysts: one row per report, per indicator, per check

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-09 09:00:00.000000

The views read plain columns, never a whole record: `report_overview` the
queue's row of each report (its latest successful ingestion), which now also
keeps the report's region by level, its main figures as the reviewers left them
and how many of its indicators met their target; `indicator_overview` a new
table, `indicators`, of the parts of each indicator that are no facts (levels,
target and actual as parsed, whether met) with its fact rows; `check_overview`
the check rows. `jixiao.store.summary.refresh` keeps the queue and `indicators`
with every change, as it keeps the queue; this migration fills them once from
the stored records. SQLite and PostgreSQL read a fact's value (a small JSON
column) differently; everything else is the same SQL. `jixiao.store.views`
names their columns.

On SQLite, a later migration that copies one of these tables (batch mode with
recreate) must drop the views first and create them again after: SQLite refuses
to rename a table while a view names one that is gone.
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_FIGURES = {
    "full_year_budget": "budget.full_year_budget",
    "total_expenditure": "budget.total_expenditure",
    "execution_rate": "budget.execution_rate",
    "self_score": "self_score",
}
_COMPARE = {
    "≥": float.__ge__,
    "≤": float.__le__,
    ">": float.__gt__,
    "<": float.__lt__,
    "=": float.__eq__,
}
# A fact's value as text, unquoted.
_TEXT = {"sqlite": "json_extract({0}.value, '$')", "postgresql": "{0}.value #>> '{{}}'"}


def _met(item: dict[str, Any]) -> int | None:
    # A copy of `jixiao.store.summary.met`: a migration does the same thing
    # whatever the code becomes after it.
    target, actual = item.get("target_value"), item.get("actual_value")
    if target is None or actual is None or item.get("target_op") not in _COMPARE:
        return None
    if (item.get("target_unit") or "") != (item.get("actual_unit") or ""):
        return None
    return int(_COMPARE[item["target_op"]](float(actual), float(target)))


def _report_overview() -> str:
    return """
    SELECT q.document_id, q.sha256, q.path, d.format, q.kind, q.unit_name,
           q.fiscal_year, q.province, q.city, q.county,
           q.full_year_budget, q.total_expenditure, q.execution_rate, q.self_score,
           q.grade, q.indicators, q.indicators_met, q.indicator_completion,
           q.facts, q.to_review AS unreviewed, q.state AS review_state,
           q.failed AS failed_checks, q.inconsistencies AS source_inconsistencies,
           q.anomalies AS unit_anomalies, q.hallucinations,
           q.assignee, q.done_at, d.ingested_at
    FROM queue q
    JOIN documents d ON d.id = q.document_id"""


def _indicator_overview(dialect: str) -> str:
    def fact(name: str, column: str = "value") -> str:
        value = _TEXT[dialect].format(name) if column == "value" else f"{name}.{column}"
        return f"CASE WHEN {name}.review <> 'rejected' THEN {value} END"

    def joined(name: str) -> str:
        return (
            f"LEFT JOIN facts {name} ON {name}.document_id = i.document_id"
            f" AND {name}.path = 'indicators[' || i.position || '].{name}'"
        )

    return f"""
    SELECT q.unit_name, q.fiscal_year, q.province, q.city, q.county, q.kind,
           i.document_id, i.position + 1 AS indicator, i.project,
           i.level1, i.level2, i.level3,
           {fact("target")} AS target, i.target_op, i.target_value, i.target_unit,
           {fact("actual")} AS actual, i.actual_value, i.actual_unit,
           {fact("weight", "number")} AS weight,
           {fact("score", "number")} AS score,
           i.note, i.met
    FROM indicators i
    JOIN queue q ON q.document_id = i.document_id
    {joined("target")}
    {joined("actual")}
    {joined("weight")}
    {joined("score")}"""


_CHECK_OVERVIEW = """
    SELECT q.unit_name, q.fiscal_year, q.province, q.city, q.county, q.kind,
           c.document_id, c.check_id, c.status, c.message, c.facts
    FROM checks c
    JOIN queue q ON q.document_id = c.document_id"""

_QUEUE_COLUMNS: list[sa.Column[Any]] = [
    sa.Column("province", sa.Text(), nullable=True),
    sa.Column("city", sa.Text(), nullable=True),
    sa.Column("county", sa.Text(), nullable=True),
    sa.Column("full_year_budget", sa.Float(), nullable=True),
    sa.Column("total_expenditure", sa.Float(), nullable=True),
    sa.Column("execution_rate", sa.Float(), nullable=True),
    sa.Column("self_score", sa.Float(), nullable=True),
    sa.Column("grade", sa.Text(), nullable=True),
    sa.Column("indicators", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("indicators_met", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("indicator_completion", sa.Float(), nullable=True),
]
_INDEXES = {
    "ix_queue_kind": ("queue", ["kind"]),
    "ix_queue_state": ("queue", ["state"]),
    "ix_queue_places": ("queue", ["province", "city"]),
    "ix_queue_execution_rate": ("queue", ["execution_rate"]),
    "ix_queue_self_score": ("queue", ["self_score"]),
    "ix_queue_indicator_completion": ("queue", ["indicator_completion"]),
    "ix_checks_failed": ("checks", ["status", "check_id", "document_id"]),
}


def upgrade() -> None:
    for column in _QUEUE_COLUMNS:
        op.add_column("queue", column)
    op.create_table(
        "indicators",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("project", sa.Integer(), nullable=True),
        sa.Column("level1", sa.Text(), nullable=True),
        sa.Column("level2", sa.Text(), nullable=True),
        sa.Column("level3", sa.Text(), nullable=True),
        sa.Column("target_op", sa.String(length=4), nullable=True),
        sa.Column("target_value", sa.Float(), nullable=True),
        sa.Column("target_unit", sa.String(length=16), nullable=True),
        sa.Column("actual_value", sa.Float(), nullable=True),
        sa.Column("actual_unit", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("met", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id", "position"),
    )
    for name, (table, columns) in _INDEXES.items():
        op.create_index(name, table, columns)
    _fill(op.get_bind())
    dialect = op.get_bind().dialect.name
    op.execute(f"CREATE VIEW report_overview AS {_report_overview()}")
    op.execute(f"CREATE VIEW indicator_overview AS {_indicator_overview(dialect)}")
    op.execute(f"CREATE VIEW check_overview AS {_CHECK_OVERVIEW}")


def _fill(connection: sa.Connection) -> None:
    """The queue's new columns and the indicators of every report in the queue,
    from its stored record and its facts (once; a corrected target or actual
    keeps the number it was extracted with until the report's next change)."""
    metadata = sa.MetaData()
    metadata.reflect(connection, only=["documents", "facts", "queue", "indicators"])
    documents, facts = metadata.tables["documents"], metadata.tables["facts"]
    queue, indicators = metadata.tables["queue"], metadata.tables["indicators"]
    listed = sa.select(documents.c.id, documents.c.record).join(
        queue, queue.c.document_id == documents.c.id
    )
    for document_id, record in connection.execute(listed).all():
        record = record or {}
        header: dict[str, Any] = {}
        rejected: set[str] = set()
        for path, value, review in connection.execute(
            sa.select(facts.c.path, facts.c.value, facts.c.review).where(
                facts.c.document_id == document_id,
                facts.c.path.in_(["grade", *_FIGURES.values()]) | facts.c.path.like("indicators[%"),
            )
        ):
            if review == "rejected":
                rejected.add(path)
            else:
                header[path] = value
        rows = []
        for position, item in enumerate(record.get("indicators") or []):
            item = dict(item or {})
            for role in ("target", "actual"):
                if f"indicators[{position}].{role}" in rejected:
                    item[f"{role}_value"] = None
            rows.append(
                {
                    "document_id": document_id,
                    "position": position,
                    **{
                        name: item.get(name)
                        for name in (
                            "project",
                            "level1",
                            "level2",
                            "level3",
                            "target_op",
                            "target_value",
                            "target_unit",
                            "actual_value",
                            "actual_unit",
                            "note",
                        )
                    },
                    "met": _met(item),
                }
            )
        if rows:
            connection.execute(indicators.insert(), rows)
        known = [row["met"] for row in rows if row["met"] is not None]
        region = record.get("region") or {}
        grade = header.get("grade")
        connection.execute(
            queue.update()
            .where(queue.c.document_id == document_id)
            .values(
                province=region.get("province"),
                city=region.get("city"),
                county=region.get("county"),
                **{
                    name: float(value)
                    if isinstance(value := header.get(path), int | float)
                    else None
                    for name, path in _FIGURES.items()
                },
                grade=None if grade is None else str(grade),
                indicators=len(rows),
                indicators_met=sum(known),
                indicator_completion=100.0 * sum(known) / len(known) if known else None,
            )
        )


def downgrade() -> None:
    for view in ("check_overview", "indicator_overview", "report_overview"):
        op.execute(f"DROP VIEW {view}")
    for name, (table, _) in _INDEXES.items():
        op.drop_index(name, table_name=table)
    op.drop_table("indicators")
    with op.batch_alter_table("queue") as batch:
        for column in _QUEUE_COLUMNS:
            batch.drop_column(column.name)
