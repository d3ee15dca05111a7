"""`jixiao check` on records as ingest and export write them: a record, a JSON
list (`export --format json`) and JSON lines (`--format jsonl`). The checks read
the tables and sections the pipeline stored with the record, so that a record of
a Word file gets the verdicts ingest gave it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import ROOT
from fake_openai import FakeServer, Step
from typer.testing import CliRunner

from jixiao.batch import Batch, Outcome, save_record
from jixiao.cli import app
from jixiao.extract.llm import ModelClient, Settings
from jixiao.records import Report
from jixiao.store import Store

# Word files rendered by python-docx (tests/corpus/render.py), real tables and merges.
CORPUS_WORD_FILES = sorted((ROOT / "tests" / "corpus").glob("*__docx.docx"))
runner = CliRunner()

# A unit line, then empty paragraphs, as people leave them, then the table: the
# file's table states 万元, but in the flattened text the two lines above the
# table (where a caption is looked for) are empty.
BUDGET = [
    ["项目", "年初预算数", "全年预算数", "全年执行数", "执行率"],
    ["财政拨款", "640", "652.37", "618.05", "94.74%"],
    ["年度资金总额", "640", "652.37", "618.05", "94.74%"],
]
INDICATORS = [
    ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"],
    ["产出指标", "数量指标", "巡查次数", "≥24次", "26次", "20", "20"],
    ["产出指标", "质量指标", "整改完成率", "≥90%", "92%", "20", "19"],
    ["效益指标", "社会效益指标", "群众满意度", "≥85%", "88%", "20", "18"],
]


def _word_file(path: Path) -> Path:
    import docx  # python-docx, another tool than jixiao's reader

    document = docx.Document()
    for line in (
        "某县水利站2025年度部门整体支出绩效自评报告",
        "一、预算执行情况",
        "单位：万元",
        "",
        "",
    ):
        document.add_paragraph(line)
    for number, rows in enumerate((BUDGET, INDICATORS)):
        if number:
            document.add_paragraph("二、绩效指标完成情况")
        table = document.add_table(rows=len(rows), cols=len(rows[0]))
        for row, cells in zip(table.rows, rows, strict=True):
            for cell, text in zip(row.cells, cells, strict=True):
                cell.text = text
    document.add_paragraph("三、存在的问题")
    document.add_paragraph("个别指标设置不够细化。")
    document.save(path)
    return path


@pytest.fixture(scope="module")
def ingested(tmp_path_factory) -> tuple[dict[str, Report], str]:
    """The Word files ingested with a model that finds nothing, so that every fact
    comes from the tables: the records by sha256, and the database."""
    folder = tmp_path_factory.mktemp("docx")
    for path in CORPUS_WORD_FILES:
        shutil.copy(path, folder / path.name)
    _word_file(folder / "blank_lines.docx")
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'jixiao.db'}"
    store = Store(url)
    outcomes: list[Outcome] = []
    with FakeServer(lambda body: Step(content="{}")) as server:
        client = ModelClient(Settings(base_url=server.url, model="fake"), use_cache=False)
        Batch(store, client, workers=0).run(sorted(folder.iterdir()), outcomes.append)
    store.close()
    assert [outcome.status for outcome in outcomes] == ["done"] * (len(CORPUS_WORD_FILES) + 1)
    return {o.report.document.sha256: o.report for o in outcomes if o.report}, url


def _export(url: str, format: str, out: Path) -> Path:
    result = runner.invoke(app, ["export", "--db", url, "--format", format, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _verdicts(report: Report) -> list[tuple[str, str, str]]:
    return [(check.id, check.status, check.message) for check in report.checks]


def test_a_word_record_carries_the_tables_and_sections_the_pipeline_built(ingested):
    reports, _ = ingested
    for report in reports.values():
        assert report.document.grids and all(g.from_file for g in report.document.grids)
        assert report.document.sections


def test_ingest_accepts_the_figures_of_a_table_whose_unit_stands_above_blank_lines(ingested):
    reports, _ = ingested
    (report,) = [r for r in reports.values() if r.document.path.endswith("blank_lines.docx")]
    assert report.budget.full_year_budget.value == 6523700 and not report.rejected
    assert {check.status for check in report.checks} == {"pass"}


@pytest.mark.parametrize("format", ["json", "jsonl"])
def test_check_reads_an_export_and_gives_the_verdicts_ingest_gave(ingested, tmp_path, format):
    reports, url = ingested
    out = _export(url, format, tmp_path / f"records.{format}")
    before = out.read_bytes()
    result = runner.invoke(app, ["check", "--write", str(out)])
    assert result.exit_code == 0, result.output
    assert "hallucination" not in result.output
    assert out.read_bytes() == before  # --write: the same records, in the same shape
    text = out.read_text(encoding="utf-8")
    records = (
        json.loads(text) if format == "json" else [json.loads(line) for line in text.splitlines()]
    )
    assert len(records) == len(reports)
    for record in map(Report.model_validate, records):
        ingest = reports[record.document.sha256]
        assert _verdicts(record) == _verdicts(ingest) and record.rejected == ingest.rejected
        assert record.model_dump(exclude={"document"}) == ingest.model_dump(exclude={"document"})


def test_check_of_one_record_rewrites_it_as_one_record(ingested, tmp_path):
    reports, _ = ingested
    targets = []
    for number, report in enumerate(reports.values()):
        targets.append(tmp_path / f"{number}.json")
        save_record(report, targets[-1])
    before = [target.read_bytes() for target in targets]
    result = runner.invoke(app, ["check", "--write", *map(str, targets)])
    assert result.exit_code == 0, result.output
    assert "hallucination" not in result.output
    assert [target.read_bytes() for target in targets] == before


def test_check_names_a_file_that_holds_no_record(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"not": "a record"}]', encoding="utf-8")
    result = runner.invoke(app, ["check", str(bad)])
    assert result.exit_code == 1
    assert "bad.json" in result.output and "jixiao export" in result.output


def test_a_record_from_before_the_stored_structure_still_loads_and_says_so(ingested, tmp_path):
    reports, _ = ingested
    report = next(iter(reports.values()))
    old = report.model_dump(mode="json", exclude={"document": {"grids", "sections"}})
    target = tmp_path / "old.json"
    target.write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(app, ["check", str(target)])
    assert result.exit_code == 0, result.output
    assert "guessed from its text" in " ".join(result.output.split())
