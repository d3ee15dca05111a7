"""Export: the contract's JSON, and flat tables with the reviewers' work in them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import NEW_PROJECT_FIELDS, ROOT, SAMPLES, project_report, schema_1
from sqlalchemy import select
from typer.testing import CliRunner

from jixiao.cli import app
from jixiao.export import columns, exported_reports
from jixiao.records import Report, facts_of
from jixiao.review import actions
from jixiao.store import Store, models
from jixiao.store.current import REVIEWER_REJECTED

runner = CliRunner()


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('export') / 'jixiao.db'}"
    result = runner.invoke(
        app,
        ["ingest", *map(str, SAMPLES), "--db", url, "--replay", str(ROOT / "cassettes")],
    )
    assert result.exit_code == 0, result.output
    return url


def export(database: str, out, format: str, *extra: str) -> None:
    result = runner.invoke(
        app, ["export", "--db", database, "--format", format, "--out", str(out), *extra]
    )
    assert result.exit_code == 0, result.output
    assert f"{len(SAMPLES)} reports written" in result.stdout


def test_json_and_jsonl_hold_the_contract_records(database, tmp_path):
    export(database, tmp_path / "all.json", "json")
    export(database, tmp_path / "all.jsonl", "jsonl")
    records = json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))
    lines = (tmp_path / "all.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == records
    reports = [Report.model_validate(record) for record in records]
    assert sorted(report.document.path for report in reports) == sorted(map(str, SAMPLES))
    for report in reports:
        assert all(
            report.document.text[fact.start : fact.end] == fact.raw for _, fact in facts_of(report)
        )


def test_tables_have_one_row_per_item_in_every_format(database, tmp_path):
    export(database, tmp_path / "csv", "csv")
    export(database, tmp_path / "book.xlsx", "xlsx")
    export(database, tmp_path / "parquet", "parquet")
    records = [
        Report.model_validate(json.loads(line)) for line in _jsonl(database, tmp_path).splitlines()
    ]
    expected = {
        "reports": len(records),
        "budget": len(records),
        "indicators": sum(len(r.indicators) for r in records),
        "projects": sum(len(r.projects) for r in records),
        "problems": sum(len(r.problems) for r in records),
        "measures": sum(len(r.measures) for r in records),
        "checks": sum(len(r.checks) for r in records),
    }
    assert expected["indicators"] == 100  # 11 + 22 + 45 + 22, as the gold files list

    import pyarrow.parquet as pq
    from openpyxl import load_workbook

    workbook = load_workbook(tmp_path / "book.xlsx", read_only=True)
    for name, rows in expected.items():
        with (tmp_path / "csv" / f"{name}.csv").open(encoding="utf-8-sig", newline="") as file:
            table = list(csv.DictReader(file))
        assert len(table) == rows, name
        assert list(table[0]) == columns()[name]
        sheet = list(workbook[name].iter_rows(values_only=True))
        assert list(sheet[0]) == columns()[name] and len(sheet) == rows + 1
        assert pq.read_table(tmp_path / "parquet" / f"{name}.parquet").num_rows == rows


def _jsonl(database: str, tmp_path) -> str:
    export(database, tmp_path / "x.jsonl", "jsonl")
    return (tmp_path / "x.jsonl").read_text(encoding="utf-8")


def test_reviews_show_in_the_export(database, tmp_path):
    store = Store(database)
    with store.sessions.begin() as session:
        document = session.scalars(select(models.Document).order_by(models.Document.id)).first()
        facts = {
            fact.path: fact
            for fact in session.scalars(
                select(models.Fact).where(models.Fact.document_id == document.id)
            )
        }
        confirmed = facts["unit_name"]
        confirmed.review, confirmed.status = "confirmed", "confirmed"
        corrected = facts["indicators[0].score"]
        corrected.review, corrected.status, corrected.value = "corrected", "corrected", 0
        rejected = facts["indicators[1].score"]
        rejected.review = "rejected"
        sha = document.sha256
    store.close()

    records = {
        record["document"]["sha256"]: record
        for record in map(json.loads, _jsonl(database, tmp_path).splitlines())
    }
    record = records[sha]
    assert record["unit_name"]["status"] == "confirmed"
    assert record["indicators"][0]["score"]["value"] == 0
    assert record["indicators"][0]["score"]["status"] == "corrected"
    assert record["indicators"][1]["score"] is None
    assert {
        "path": "indicators[1].score",
        "raw": rejected.raw,
        "reason": REVIEWER_REJECTED,
        "template": {"text": REVIEWER_REJECTED, "params": {}},
    } in record["rejected"]

    export(
        database,
        tmp_path / "reviewed.json",
        "json",
        "--status",
        "confirmed",
        "--status",
        "corrected",
    )
    reviewed = {
        r["document"]["sha256"]: r
        for r in json.loads((tmp_path / "reviewed.json").read_text("utf-8"))
    }
    kept = [path for path, _ in facts_of(Report.model_validate(reviewed[sha]))]
    assert sorted(kept) == ["indicators[0].score", "unit_name"]

    export(database, tmp_path / "csv", "csv")
    with (tmp_path / "csv" / "reports.csv").open(encoding="utf-8-sig", newline="") as file:
        rows = {row["report"]: row for row in csv.DictReader(file)}
    assert rows[sha]["review_state"] == "partly reviewed"
    assert rows[sha]["unit_name_review"] == "confirmed"
    assert {row["review_state"] for key, row in rows.items() if key != sha} == {"unreviewed"}


def test_export_refuses_an_unknown_format_or_status(database, tmp_path):
    result = runner.invoke(
        app, ["export", "--db", database, "--format", "pdf", "--out", str(tmp_path / "x")]
    )
    assert result.exit_code != 0 and "'pdf'" in result.output and "parquet" in result.output
    result = runner.invoke(
        app, ["export", "--db", database, "--status", "approved", "--out", str(tmp_path / "x")]
    )
    assert result.exit_code != 0 and "approved" in result.output


FORMULAS = ['=HYPERLINK("http://x","点此")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "=1+1"]


def test_spreadsheet_cells_never_become_formulas(tmp_path):
    """Text a report wrote as a formula reaches Excel as text, in every
    spreadsheet export; a figure stays a figure."""
    from openpyxl import load_workbook

    from jixiao.export import _write_csv, _write_xlsx, columns

    header = columns()["problems"]
    values = [*FORMULAS, "-3.5", "辰溪县医疗保障局"]
    tables = {name: [] for name in columns()}
    tables["problems"] = [dict.fromkeys(header, value) for value in values]

    _write_csv(tables, tmp_path / "csv")
    written = _csv(tmp_path / "csv", "problems")
    for value, row in zip(values, written, strict=True):
        for cell in row.values():
            expected = value if value in ("-3.5", "辰溪县医疗保障局") else "'" + value
            assert cell == expected

    _write_xlsx(tables, tmp_path / "book.xlsx")
    sheet = load_workbook(tmp_path / "book.xlsx")["problems"]
    for value, row in zip(values, list(sheet.iter_rows())[1:], strict=True):
        assert {(cell.value, cell.data_type) for cell in row} == {(value, "s")}


def _one_report(tmp_path, report: Report) -> tuple[str, Store]:
    url = f"sqlite:///{tmp_path / 'one.db'}"
    store = Store(url)
    run = store.run_id("invented", "model", "http://model", {}, {})
    store.save(run, Path(report.document.path), report, [], [], 0.0)
    return url, store


def _exported(url: str, out: Path, format: str) -> None:
    result = runner.invoke(app, ["export", "--db", url, "--format", format, "--out", str(out)])
    assert result.exit_code == 0 and "1 reports written" in result.stdout, result.output


def _csv(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def test_kind_unread_project_fields_and_an_indicators_project_are_exported(tmp_path):
    report = project_report()
    url, store = _one_report(tmp_path, report)
    store.close()

    _exported(url, tmp_path / "all.json", "json")
    (record,) = json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))
    assert record == report.model_dump(mode="json")
    assert record["schema_version"] == "2" and record["kind"] == "project"
    assert [item["project"] for item in record["indicators"]] == [0, 1]

    _exported(url, tmp_path / "csv", "csv")
    (row,) = _csv(tmp_path / "csv", "reports")
    assert (row["kind"], row["unread"]) == ("project", "2")
    first, second = _csv(tmp_path / "csv", "projects")
    for name in NEW_PROJECT_FIELDS:
        fact = getattr(report.projects[0], name)
        # The source's formula reaches the CSV as text: behind an apostrophe.
        raw = "'" + fact.raw if fact.raw.startswith("=") else fact.raw
        value = first[name] if isinstance(fact.value, str) else float(first[name])
        assert value == (raw if isinstance(fact.value, str) else fact.value)
        assert first[f"{name}_raw"] == raw
        assert (first[f"{name}_status"], first[f"{name}_review"]) == ("verified", "unreviewed")
        assert second[name] == second[f"{name}_status"] == ""
    assert [row["project"] for row in _csv(tmp_path / "csv", "indicators")] == ["0", "1"]

    from openpyxl import load_workbook

    _exported(url, tmp_path / "book.xlsx", "xlsx")
    workbook = load_workbook(tmp_path / "book.xlsx", read_only=True)
    header, *rows = workbook["projects"].iter_rows(values_only=True)
    projects = [dict(zip(header, row, strict=False)) for row in rows]
    # The source's formula stays text, its own words.
    assert projects[0]["goal_result"] == report.projects[0].goal_result.raw
    assert projects[0]["execution_rate"] == 90.0 and projects[1].get("supervisor") is None
    header, *rows = workbook["indicators"].iter_rows(values_only=True)
    assert [dict(zip(header, row, strict=False))["project"] for row in rows] == [0, 1]
    header, *rows = workbook["reports"].iter_rows(values_only=True)
    assert {name: rows[0][header.index(name)] for name in ("kind", "unread")} == {
        "kind": "project",
        "unread": 2,
    }


def test_an_indicator_follows_its_project_when_a_project_is_left_out(tmp_path):
    _, store = _one_report(tmp_path, project_report())
    with store.sessions.begin() as session:
        name = session.scalar(select(models.Fact).where(models.Fact.path == "projects[0].name"))
        name.review = "rejected"
    (exported,) = exported_reports(store)
    store.close()
    assert [project.name.raw for project in exported.report.projects] == ["农机购置补贴"]
    # The first indicator's project is gone; the second's moved up.
    assert [indicator.project for indicator in exported.report.indicators] == [None, 0]
    assert exported.reviews["projects[0].name"] == "unreviewed"


def test_a_record_stored_under_schema_1_still_exports(tmp_path):
    legacy = schema_1(project_report())
    url, store = _one_report(tmp_path, Report.model_validate(legacy))
    with store.sessions.begin() as session:
        document = session.scalars(select(models.Document)).one()
        document.record, document.kind, document.unread = legacy, None, None
    store.close()

    _exported(url, tmp_path / "all.json", "json")
    (record,) = json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))
    assert record["schema_version"] == "1" and record["kind"] is None and record["unread"] == []
    assert record["projects"][0]["supervisor"] is None
    assert [item["project"] for item in record["indicators"]] == [None, None]
    _exported(url, tmp_path / "csv", "csv")
    (row,) = _csv(tmp_path / "csv", "reports")
    assert (row["kind"], row["unread"]) == ("", "0")
    assert _csv(tmp_path / "csv", "projects")[0]["supervisor_raw"] == ""


def _filtered(database: str, tmp_path: Path, *options: str) -> set[str]:
    out = tmp_path / f"filtered-{len(list(tmp_path.iterdir()))}.json"
    result = runner.invoke(
        app, ["export", "--db", database, "--format", "json", "--out", str(out), *options]
    )
    assert result.exit_code == 0, result.output
    return {record["document"]["sha256"] for record in json.loads(out.read_text("utf-8"))}


def test_export_filters_by_year_region_kind_and_done(database, tmp_path):
    export(database, tmp_path / "all.json", "json")
    records = json.loads((tmp_path / "all.json").read_text("utf-8"))
    year = records[0]["fiscal_year"]["value"]
    assert _filtered(database, tmp_path, "--year", str(year)) == {
        r["document"]["sha256"] for r in records if (r["fiscal_year"] or {}).get("value") == year
    }
    assert _filtered(database, tmp_path, "--year", "1999") == set()
    county = next(r["region"]["county"] for r in records if r["region"]["county"])
    assert _filtered(database, tmp_path, "--region", county) == {
        r["document"]["sha256"] for r in records if county in (r["region"]["county"] or "")
    }
    kind = records[0]["kind"]
    assert _filtered(database, tmp_path, "--kind", kind) == {
        r["document"]["sha256"] for r in records if r["kind"] == kind
    }
    result = runner.invoke(app, ["export", "--db", database, "--out", "x.json", "--kind", "any"])
    assert result.exit_code == 2 and "department, project, transfer" in result.output

    assert _filtered(database, tmp_path, "--reviewed") == set()
    store = Store(database)
    with store.session() as session:
        document = session.scalars(select(models.Document).order_by(models.Document.id)).first()
    actions.mark_done(store, document.id, "王芳")
    store.close()
    assert _filtered(database, tmp_path, "--reviewed") == {document.sha256}
    assert _filtered(database, tmp_path, "--reviewed", "--year", "1999") == set()


def test_reviewed_reports_are_gold(tmp_path):
    database = f"sqlite:///{tmp_path / 'gold.db'}"
    result = runner.invoke(
        app, ["ingest", str(SAMPLES[0]), "--db", database, "--replay", str(ROOT / "cassettes")]
    )
    assert result.exit_code == 0, result.output
    # Nothing is gold before a reviewer marks a report done.
    result = runner.invoke(app, ["eval", "--reviewed", "--db", database])
    assert result.exit_code == 1 and "no report marked done" in result.output

    store = Store(database)
    with store.session() as session:
        document = session.scalars(select(models.Document)).one()
        rows = {row.path: row for row in document.facts}
    for path in ("unit_name", "self_score", "indicators[0].target"):
        actions.confirm(store, rows[path].id, rows[path].version, "王芳")
    total = rows["budget.total_expenditure"]
    actions.correct(store, total.id, total.version, "王芳", "611.34万元", entered=False)
    actions.mark_done(store, document.id, "王芳")
    store.close()

    result = runner.invoke(
        app, ["gold", "export", "--db", database, "--out", str(tmp_path / "gold")]
    )
    assert result.exit_code == 0 and "1 gold files written" in result.output, result.output
    (written,) = (tmp_path / "gold").iterdir()
    assert written.name == f"{SAMPLES[0].stem}.json"
    gold = json.loads(written.read_text("utf-8"))
    assert gold["file"] == SAMPLES[0].name
    assert (gold["unit_name"], gold["budget"], gold["self_score"]) == (
        rows["unit_name"].value,
        {"total_expenditure": 6113400},
        rows["self_score"].value,
    )
    assert [list(row) for row in gold["indicators"]] == [["level3", "target"]]
    assert gold["indicators"][0]["target"] == rows["indicators[0].target"].value
    assert "fiscal_year" in gold["skip"] and "unit_name" not in gold["skip"]

    # The database's own record, as the pipeline made it, misses the corrected total.
    result = runner.invoke(app, ["eval", "--reviewed", "--db", database, "--misses"])
    assert result.exit_code == 0, result.output
    assert "scalar fields right: 66.7%" in result.output
    miss = "budget.total_expenditure is 8189300.0, expected 6113400.0"
    assert miss in " ".join(result.output.split())
    # Records made elsewhere (`ingest --out`) are scored the same way: the export
    # of the reviewed report gets everything right.
    out = tmp_path / "out"
    out.mkdir()
    result = runner.invoke(
        app, ["export", "--db", database, "--reviewed", "--out", str(tmp_path / "reviewed.json")]
    )
    assert result.exit_code == 0, result.output
    (record,) = json.loads((tmp_path / "reviewed.json").read_text("utf-8"))
    (out / f"{SAMPLES[0].stem}.json").write_text(json.dumps(record, ensure_ascii=False), "utf-8")
    result = runner.invoke(app, ["eval", "--reviewed", "--db", database, str(out)])
    assert result.exit_code == 0, result.output
    assert "scalar fields right: 100.0%" in result.output
    assert "indicator fields right: 100.0%" in result.output
