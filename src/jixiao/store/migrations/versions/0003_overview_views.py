"""views for analysts: one row per report, per indicator, per check

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 09:00:00.000000

The views read each report's latest successful ingestion, with the reviewers'
work in it: a figure comes from its fact row (a correction shows its new value,
a rejected fact shows NULL), the rest (the region, an indicator's levels and
parsed target) from the record. SQLite and PostgreSQL read JSON differently;
everything else is the same SQL. `jixiao.store.views` names their columns.

On SQLite, a later migration that copies one of these tables (batch mode with
recreate) must drop the views first and create them again after: SQLite refuses
to rename a table while a view names one that is gone.
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# How each dialect reads JSON: `record` a field of a part of the documents'
# record, `item` one of an indicator, `fact` a fact's value. Text comes out as
# text, unquoted.
_JSON = {
    "sqlite": {
        "record": "json_extract(d.record, '$.{0}.{1}')",
        "items": "CROSS JOIN json_each(d.record, '$.indicators') AS i",
        "position": "i.key",
        "item": "json_extract(i.value, '$.{0}')",
        "fact": "json_extract({0}.value, '$')",
    },
    "postgresql": {
        "record": "d.record -> '{0}' ->> '{1}'",
        "items": "CROSS JOIN LATERAL json_array_elements(d.record -> 'indicators')"
        " WITH ORDINALITY AS i(item, n)",
        "position": "i.n - 1",
        "item": "i.item ->> '{0}'",
        "fact": "{0}.value #>> '{{}}'",
    },
}

# Whether an indicator's actual meets its target: only where both are numbers in
# the same unit and the target says how to compare; else NULL, never a guess.
_MET = """CASE
    WHEN target_value IS NULL OR actual_value IS NULL
         OR COALESCE(target_unit, '') <> COALESCE(actual_unit, '') THEN NULL
    WHEN target_op = '≥' THEN CASE WHEN actual_value >= target_value THEN 1 ELSE 0 END
    WHEN target_op = '≤' THEN CASE WHEN actual_value <= target_value THEN 1 ELSE 0 END
    WHEN target_op = '>' THEN CASE WHEN actual_value > target_value THEN 1 ELSE 0 END
    WHEN target_op = '<' THEN CASE WHEN actual_value < target_value THEN 1 ELSE 0 END
    WHEN target_op = '=' THEN CASE WHEN actual_value = target_value THEN 1 ELSE 0 END
END"""

_LATEST = "SELECT max(id) FROM documents WHERE status = 'done' GROUP BY sha256"


def _indicators(json: dict[str, str]) -> str:
    """Every indicator of the latest ingestions, with its parsed target and
    actual, whether it was met, and its facts as the reviewers left them."""

    def item(name: str, cast: str | None = None) -> str:
        value = json["item"].format(name)
        return f"CAST({value} AS {cast})" if cast else value

    def fact(name: str, column: str = "value") -> str:
        value = json["fact"].format(name) if column == "value" else f"{name}.{column}"
        return f"CASE WHEN {name}.review <> 'rejected' THEN {value} END"

    def joined(name: str) -> str:
        return (
            f"LEFT JOIN facts {name} ON {name}.document_id = d.id"
            f" AND {name}.path = 'indicators[' || ({json['position']}) || '].{name}'"
        )

    parsed = f"""
        SELECT d.id AS document_id,
               CAST({json["position"]} AS INTEGER) + 1 AS indicator,
               {item("project", "INTEGER")} AS project,
               {item("level1")} AS level1,
               {item("level2")} AS level2,
               {item("level3")} AS level3,
               {fact("target")} AS target,
               {item("target_op")} AS target_op,
               {item("target_value", "DOUBLE PRECISION")} AS target_value,
               {item("target_unit")} AS target_unit,
               {fact("actual")} AS actual,
               {item("actual_value", "DOUBLE PRECISION")} AS actual_value,
               {item("actual_unit")} AS actual_unit,
               {fact("weight", "number")} AS weight,
               {fact("score", "number")} AS score,
               {item("note")} AS note
        FROM documents d
        {json["items"]}
        {joined("target")}
        {joined("actual")}
        {joined("weight")}
        {joined("score")}
        WHERE d.id IN ({_LATEST})"""
    return f"SELECT parsed.*, {_MET} AS met FROM ({parsed}) AS parsed"


def _report_overview(json: dict[str, str]) -> str:
    def figure(path: str, column: str = "number") -> str:
        value = json["fact"].format("f") if column == "value" else f"f.{column}"
        return f"MAX(CASE WHEN f.path = '{path}' AND f.review <> 'rejected' THEN {value} END)"

    def verdicts(status: str) -> str:
        return f"SUM(CASE WHEN c.status = '{status}' THEN 1 ELSE 0 END)"

    return f"""
    WITH figures AS (
        SELECT f.document_id,
               {figure("unit_name", "value")} AS unit_name,
               {figure("fiscal_year")} AS fiscal_year,
               {figure("budget.full_year_budget")} AS full_year_budget,
               {figure("budget.total_expenditure")} AS total_expenditure,
               {figure("budget.execution_rate")} AS execution_rate,
               {figure("self_score")} AS self_score,
               {figure("grade", "value")} AS grade,
               COUNT(*) AS facts,
               SUM(CASE WHEN f.review = 'unreviewed' THEN 1 ELSE 0 END) AS unreviewed
        FROM facts f
        WHERE f.document_id IN ({_LATEST})
        GROUP BY f.document_id
    ), verdicts AS (
        SELECT c.document_id,
               SUM(CASE WHEN c.status <> 'pass' THEN 1 ELSE 0 END) AS failed_checks,
               {verdicts("source_inconsistency")} AS source_inconsistencies,
               {verdicts("unit_anomaly")} AS unit_anomalies,
               {verdicts("hallucination")} AS hallucinations
        FROM checks c
        WHERE c.document_id IN ({_LATEST})
        GROUP BY c.document_id
    ), indicators AS (
        SELECT document_id, COUNT(*) AS indicators, COUNT(met) AS indicators_judged,
               SUM(met) AS indicators_met
        FROM ({_indicators(json)}) AS indicator
        GROUP BY document_id
    )
    SELECT d.id AS document_id,
           d.sha256,
           d.path,
           d.format,
           d.kind,
           figures.unit_name,
           CAST(figures.fiscal_year AS INTEGER) AS fiscal_year,
           {json["record"].format("region", "province")} AS province,
           {json["record"].format("region", "city")} AS city,
           {json["record"].format("region", "county")} AS county,
           figures.full_year_budget,
           figures.total_expenditure,
           figures.execution_rate,
           figures.self_score,
           figures.grade,
           COALESCE(indicators.indicators, 0) AS indicators,
           COALESCE(indicators.indicators_met, 0) AS indicators_met,
           -- A float on both (PostgreSQL would divide into a numeric).
           CAST(CASE WHEN indicators.indicators_judged > 0
                THEN 100.0 * indicators.indicators_met / indicators.indicators_judged
           END AS DOUBLE PRECISION) AS indicator_completion,
           COALESCE(figures.facts, 0) AS facts,
           COALESCE(figures.unreviewed, 0) AS unreviewed,
           CASE WHEN COALESCE(figures.unreviewed, 0) = COALESCE(figures.facts, 0)
                THEN 'unreviewed'
                WHEN figures.unreviewed = 0 THEN 'reviewed'
                ELSE 'partly reviewed'
           END AS review_state,
           COALESCE(verdicts.failed_checks, 0) AS failed_checks,
           COALESCE(verdicts.source_inconsistencies, 0) AS source_inconsistencies,
           COALESCE(verdicts.unit_anomalies, 0) AS unit_anomalies,
           COALESCE(verdicts.hallucinations, 0) AS hallucinations,
           d.ingested_at
    FROM documents d
    LEFT JOIN figures ON figures.document_id = d.id
    LEFT JOIN verdicts ON verdicts.document_id = d.id
    LEFT JOIN indicators ON indicators.document_id = d.id
    WHERE d.id IN ({_LATEST})"""


def _indicator_overview(json: dict[str, str]) -> str:
    return f"""
    SELECT r.unit_name, r.fiscal_year, r.province, r.city, r.county, r.kind, indicator.*
    FROM ({_indicators(json)}) AS indicator
    JOIN report_overview r ON r.document_id = indicator.document_id"""


_CHECK_OVERVIEW = """
    SELECT r.unit_name, r.fiscal_year, r.province, r.city, r.county, r.kind,
           c.document_id, c.check_id, c.status, c.message, c.facts
    FROM checks c
    JOIN report_overview r ON r.document_id = c.document_id"""


def upgrade() -> None:
    json = _JSON[op.get_bind().dialect.name]
    op.execute(f"CREATE VIEW report_overview AS {_report_overview(json)}")
    op.execute(f"CREATE VIEW indicator_overview AS {_indicator_overview(json)}")
    op.execute(f"CREATE VIEW check_overview AS {_CHECK_OVERVIEW}")


def downgrade() -> None:
    for view in ("check_overview", "indicator_overview", "report_overview"):
        op.execute(f"DROP VIEW {view}")
