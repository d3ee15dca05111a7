"""The analysts' views (report_overview, indicator_overview, check_overview) on
SQLite and PostgreSQL, against the records they were made from; and Datasette
serving them with their metadata."""

from __future__ import annotations

import asyncio
import json
import operator
from pathlib import Path

from sqlalchemy import inspect, select, text

# The review tests' fixtures: `records`, the samples' records replayed once, and
# `store`, a database of them and a hostile report, on SQLite and PostgreSQL.
from test_review import records, store  # noqa: F401
from typer.testing import CliRunner

from jixiao.cli import app as cli
from jixiao.records import IndicatorRecord, Report
from jixiao.review import actions
from jixiao.store import Store, models
from jixiao.store.views import VIEWS

runner = CliRunner()
COMPARE = {"≥": operator.ge, "≤": operator.le, ">": operator.gt, "<": operator.lt, "=": operator.eq}


def rows(database: Store, view: str) -> list[dict]:
    with database.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(text(f"SELECT * FROM {view}"))]


def met(indicator: IndicatorRecord) -> int | None:
    """Whether the indicator met its target, worked out here apart from the SQL."""
    if (
        indicator.target_value is None
        or indicator.actual_value is None
        or indicator.target_op not in COMPARE
        or (indicator.target_unit or "") != (indicator.actual_unit or "")
    ):
        return None
    return int(COMPARE[indicator.target_op](indicator.actual_value, indicator.target_value))


def by_sha(database: Store) -> dict[str, dict]:
    return {row["sha256"]: row for row in rows(database, "report_overview")}


def test_the_views_have_the_columns_they_are_documented_with(db_url):
    database = Store(db_url)
    assert set(VIEWS) <= set(inspect(database.engine).get_view_names())
    with database.engine.connect() as connection:
        for view, (_, _, columns) in VIEWS.items():
            result = connection.execute(text(f"SELECT * FROM {view}"))
            assert list(result.keys()) == list(columns), view


def test_one_row_per_report_with_its_figures(store, records):  # noqa: F811
    overview = by_sha(store)
    assert len(overview) == len(records) + 1  # and the hostile one
    for report in records.values():
        row = overview[report.document.sha256]
        assert row["unit_name"] == report.unit_name.value
        assert row["fiscal_year"] == report.fiscal_year.value
        assert (row["province"], row["city"], row["county"]) == (
            report.region.province,
            report.region.city,
            report.region.county,
        )
        for name in ("total_expenditure", "execution_rate"):
            fact = getattr(report.budget, name)
            assert row[name] == (fact.value if fact else None), name
        assert row["self_score"] == (report.self_score.value if report.self_score else None)
        assert row["grade"] == (report.grade.value if report.grade else None)
        assert row["kind"] == report.kind
        judged = [m for m in map(met, report.indicators) if m is not None]
        assert (row["indicators"], row["indicators_met"]) == (len(report.indicators), sum(judged))
        if judged:
            assert abs(row["indicator_completion"] - 100 * sum(judged) / len(judged)) < 1e-9
        else:
            assert row["indicator_completion"] is None
        failed = [check for check in report.checks if check.status != "pass"]
        assert row["failed_checks"] == len(failed)
        assert row["source_inconsistencies"] == sum(
            check.status == "source_inconsistency" for check in failed
        )
        assert row["review_state"] == "unreviewed"
    # The samples differ in these, so that a view mixing reports up would be seen.
    assert len({row["execution_rate"] for row in overview.values()}) > 2
    assert any(row["indicator_completion"] not in (None, 100) for row in overview.values())
    assert overview["e" * 64]["fiscal_year"] is None and overview["e" * 64]["indicators"] == 0


def test_one_row_per_indicator_and_per_check(store, records):  # noqa: F811
    indicators = rows(store, "indicator_overview")
    checks = rows(store, "check_overview")
    overview = by_sha(store)
    for report in records.values():
        document_id = overview[report.document.sha256]["document_id"]
        mine = sorted(
            (row for row in indicators if row["document_id"] == document_id),
            key=lambda row: row["indicator"],
        )
        assert [row["indicator"] for row in mine] == list(range(1, len(report.indicators) + 1))
        for row, indicator in zip(mine, report.indicators, strict=True):
            assert (row["level1"], row["level2"], row["level3"]) == (
                indicator.level1,
                indicator.level2,
                indicator.level3,
            )
            assert row["target"] == (indicator.target.value if indicator.target else None)
            assert row["actual"] == (indicator.actual.value if indicator.actual else None)
            assert row["score"] == (indicator.score.value if indicator.score else None)
            assert row["target_value"] == indicator.target_value
            assert row["met"] == met(indicator)
            assert row["unit_name"] == report.unit_name.value
        assert sorted(
            (row["check_id"], row["status"], row["message"])
            for row in checks
            if row["document_id"] == document_id
        ) == sorted((check.id, check.status, check.message) for check in report.checks)


def test_the_views_show_the_reviewers_work(store, records):  # noqa: F811
    report: Report = records["000"]
    sha = report.document.sha256
    with store.session() as session:
        facts = {
            fact.path: fact
            for fact in session.scalars(
                select(models.Fact).join(models.Document).where(models.Document.sha256 == sha)
            )
        }
    rate, score = facts["budget.execution_rate"], facts["indicators[0].score"]
    actions.reject(store, rate.id, rate.version, "王芳")
    actions.correct(store, score.id, score.version, "王芳", "5", entered=True)
    row = by_sha(store)[sha]
    assert row["execution_rate"] is None and row["execution_rate"] != report.budget.execution_rate
    assert row["review_state"] == "partly reviewed"
    assert row["unreviewed"] == row["facts"] - 2
    (first,) = [
        item
        for item in rows(store, "indicator_overview")
        if item["document_id"] == row["document_id"] and item["indicator"] == 1
    ]
    assert first["score"] == 5 != report.indicators[0].score.value
    # Every fact reviewed: the report is.
    with store.session() as session:
        left = session.scalars(
            select(models.Fact).where(
                models.Fact.document_id == row["document_id"], models.Fact.review == "unreviewed"
            )
        ).all()
    for fact in left:
        actions.confirm(store, fact.id, fact.version, "王芳")
    assert by_sha(store)[sha]["review_state"] == "reviewed"


def test_only_a_reports_latest_ingestion_counts(store, records):  # noqa: F811
    report = records["001"]
    before = by_sha(store)[report.document.sha256]["document_id"]
    again = store.run_id("another-run", "model", "http://model", {}, {})
    newer = store.save(again, Path(report.document.path), report.model_copy(deep=True), [], [], 0)
    overview = by_sha(store)
    assert len(overview) == len(records) + 1
    assert overview[report.document.sha256]["document_id"] == newer != before
    for view in ("indicator_overview", "check_overview"):
        shown = {row["document_id"] for row in rows(store, view)}
        assert newer in shown and before not in shown, view


def test_datasette_serves_the_views_with_their_metadata(tmp_path, records):  # noqa: F811
    from datasette.app import Datasette

    path = tmp_path / "archive.db"
    archive = Store(f"sqlite:///{path}")
    run = archive.run_id("datasette", "model", "http://model", {}, {})
    for report in records.values():
        archive.save(run, Path(report.document.path), report, [], [], 0.0)
    archive.close()
    result = runner.invoke(cli, ["datasette-metadata", "--db", str(path)])
    assert result.exit_code == 0, result.output
    metadata = json.loads(result.stdout)

    async def get(address: str):
        datasette = Datasette([str(path)], metadata=metadata)
        await datasette.invoke_startup()
        return await datasette.client.get(address)

    served = asyncio.run(get("/archive/report_overview.json?_shape=array"))
    assert served.status_code == 200
    assert sorted(row["unit_name"] for row in served.json()) == sorted(
        report.unit_name.value for report in records.values()
    )
    page = asyncio.run(get("/archive/indicator_overview"))
    assert page.status_code == 200
    assert "绩效指标 indicator_overview" in page.text
    assert "三级指标 · level-3 indicator" in page.text
    assert "是否达标" in page.text


def test_datasette_metadata_needs_a_sqlite_file(tmp_path):
    result = runner.invoke(cli, ["datasette-metadata", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert "no such database" in result.output
    assert not (tmp_path / "none.db").exists()
