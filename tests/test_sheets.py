"""Spreadsheets (XLSX, XLS, ODS) read into the same tables as the text of the
same report: the corpus written as workbooks by openpyxl and converted by
LibreOffice, and the fixtures of tests/fixtures/sheets/ (made by
tests/fixtures/make_sheets.py with openpyxl, LibreOffice and msoffcrypto-tool)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from conftest import ROOT, require
from corpus.build import localise
from corpus.render import render_text
from corpus.render_xlsx import LAYOUTS, render_xlsx
from corpus.soffice import convert
from corpus.specs import reports
from fixtures.make_sheets import CORPUS_REPORTS

from jixiao.check import run_checks
from jixiao.evaluate import comparable, score_report
from jixiao.extract import from_tables
from jixiao.read import LoadError, load, sniff
from jixiao.read import sheet as sheet_loader
from jixiao.read.numformat import shown
from jixiao.structure import prepare

FIXTURES = ROOT / "tests" / "fixtures" / "sheets"
REPORTS = {report.key: report for report in map(localise, reports())}
# The layouts whose cells a separator divides: their tables need no model.
SEPARATED = ("tab_cells", "tab_rows", "pipe_lines", "markdown", "spaces", "one_cell_per_line")


def figures(path: Path) -> dict:
    """What a report's tables give, as test_corpus compares it: its indicator
    rows, its budget figures and its projects' figures."""
    prepared = prepare(path)
    report = from_tables(prepared)
    run_checks(report, prepared.tables)
    record = report.model_dump(mode="json")
    assert score_report({}, record).facts_not_in_source == 0, path
    return {
        "rows": sorted(
            tuple(comparable(row.get(key)) for key in ("level3", "target", "actual", "score"))
            for row in record["indicators"]
        ),
        "budget": {name: comparable(fact) for name, fact in record["budget"].items()},
        "projects": sorted(
            tuple(
                comparable(project.get(key))
                for key in ("name", "budget", "actual", "initial_budget", "execution_rate")
                + ("self_score", "supervisor", "implementer")
            )
            for project in record["projects"]
        ),
    }


def text_version(key: str, folder: Path) -> dict:
    report = REPORTS[key]
    family = next(family for family in report.layouts if family in SEPARATED)
    path = folder / f"{key}__{family}.txt"
    path.write_text(render_text(report, family), encoding="utf-8")
    return figures(path)


# --- numbers as the sheet shows them ---------------------------------------------


@pytest.mark.parametrize(
    ("value", "code", "expected"),
    [
        (1234.5, "0.00", "1234.50"),
        (0.952, "0.00%", "95.20%"),
        (0.9520000000000001, "0.0%", "95.2%"),
        (1.0, "General", "1"),
        (1.0, None, "1"),
        (1234.5000000001, "General", "1234.5"),
        (0.1 + 0.2, None, "0.3"),
        (1234567.891, "#,##0.00", "1,234,567.89"),
        (2469.0, "#,##0", "2,469"),
        (0.125, "0.00", "0.13"),  # half away from zero, as the sheet rounds
        (123.4, "0.00_ ", "123.40"),
        (12.5, '0.00"元"', "12.50元"),
        (1234.5, "[$¥-804]#,##0.00", "¥1,234.50"),
        (-1234.5, "#,##0.00_);[Red](#,##0.00)", "(1,234.50)"),
        (-3.5, "0.0", "-3.5"),
        (0, '0.00;-0.00;"-"', "-"),
        (0.1234, "0.0#", "0.12"),
        # Excel's accounting format, the default of many Chinese templates
        (1234.5, '_ * #,##0.00_ ;_ * \\-#,##0.00_ ;_ * "-"??_ ;_ @_ ', "1,234.50"),
        (-1234.5, '_ * #,##0.00_ ;_ * \\-#,##0.00_ ;_ * "-"??_ ;_ @_ ', "-1,234.50"),
        (0, '_ * #,##0.00_ ;_ * \\-#,##0.00_ ;_ * "-"??_ ;_ @_ ', "-"),
        (1234.5, '#,##0.00"万元"', "1,234.50万元"),
        (3, "000", "003"),
        (45366, "yyyy\\-mm\\-dd", "2024-03-15"),
        (1e20, None, "100000000000000000000"),
    ],
)
def test_a_number_reads_as_its_format_shows_it(value, code, expected):
    assert shown(value, code) == expected


# --- the corpus as workbooks --------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("key", sorted(REPORTS))
def test_every_corpus_report_as_xlsx_gives_what_its_text_gives(tmp_path, key, layout):
    path = tmp_path / f"{key}.xlsx"
    render_xlsx(REPORTS[key], path, layout)
    loaded = load(path)
    assert loaded.format == "xlsx"
    assert loaded.grids and all(grid.from_file for grid in loaded.grids)
    for grid in loaded.grids:
        for row in grid.rows:
            for cell in row:
                assert loaded.text[cell.start : cell.end] == cell.text
    got, expected = figures(path), text_version(key, tmp_path)
    assert got["rows"], key
    assert got == expected


def test_the_corpus_xlsx_has_merges_and_formatted_figures(tmp_path):
    path = tmp_path / "report.xlsx"
    render_xlsx(REPORTS["qinghe_edu"], path)
    sheet = openpyxl.load_workbook(path).active
    assert sheet.merged_cells.ranges
    formats = {cell.number_format for row in sheet.iter_rows() for cell in row}
    assert {"0.00%", "0.00", "General"} <= formats
    loaded = load(path)
    assert any(cell.merged_above for grid in loaded.grids for row in grid.rows for cell in row)
    assert "98.23%" in loaded.text and "0.9823" not in loaded.text


@pytest.mark.parametrize("suffix", ["xls", "ods"])
@pytest.mark.parametrize("key", CORPUS_REPORTS)
def test_libreoffice_copies_of_corpus_reports_give_what_their_text_gives(tmp_path, key, suffix):
    path = FIXTURES / f"{key}.{suffix}"
    assert load(path).format == suffix
    assert figures(path) == text_version(key, tmp_path)


def test_every_corpus_report_converted_by_libreoffice_reads_the_same(tmp_path):
    require("soffice", "apt-get install libreoffice-calc-nogui")
    sources = tmp_path / "xlsx"
    sources.mkdir()
    for key, report in REPORTS.items():
        render_xlsx(report, sources / f"{key}.xlsx")
    for target in ("xls:MS Excel 97", "ods"):
        convert(sorted(sources.iterdir()), target, tmp_path)
    for key in REPORTS:
        expected = text_version(key, tmp_path)
        for suffix in ("xls", "ods"):
            assert figures(tmp_path / f"{key}.{suffix}") == expected, (key, suffix)


# --- what a unit's sheet holds ---------------------------------------------------------

FEATURES_TEXT = """自评表
青溪县2023年度乡村道路养护项目绩效自评表
说明：执行率为全年执行数占全年预算数的比例。
单位：万元
项目资金\t年初预算数\t全年预算数\t全年执行数\t执行率\t得分
年度资金总额\t1200.00\t1,234.50\t1,150.85\t93.22%\t9.5
其中：财政拨款\t1000.00\t1,034.50\t1,000.25\t\t
其他资金\t200.00\t200.00\t150.60\t\t
一级指标\t二级指标\t三级指标\t指标值\t实际完成值\t得分
产出指标\t数量指标\t养护里程\t≥120公里\t126公里\t20
产出指标\t数量指标\t桥梁检查座数\t≥30座\t32\t10
产出指标\t质量指标\t优良路率\t≥85%\t88.3%\t18.5
填报日期\t2024-03-15\t#DIV/0!
"""


@pytest.mark.parametrize("name", ["features.xlsx", "features.xlsm", "features.xls", "features.ods"])
def test_a_sheet_reads_as_it_shows(name):
    loaded = load(FIXTURES / name)
    # The title and 说明 rows are text lines; the formulas' cached values are
    # read (1,150.85, 93.22% and #DIV/0!); a hidden sheet, the far formatted
    # cell and the empty row are not.
    assert loaded.text == FEATURES_TEXT
    budget, indicators, dated = loaded.grids
    assert budget.caption == "说明：执行率为全年执行数占全年预算数的比例。\n单位：万元"
    assert [len(row) for row in budget.rows] == [6] * 4
    merged = [[cell.merged_above for cell in row[:2]] for row in indicators.rows]
    assert merged == [[False, False], [False, False], [True, True], [True, False]]
    assert [cell.text for cell in dated.rows[0]] == ["填报日期", "2024-03-15", "#DIV/0!"]
    for grid in loaded.grids:
        assert grid.from_file
        assert all(loaded.text[c.start : c.end] == c.text for row in grid.rows for c in row)


def test_a_sheets_tables_are_read_as_tables():
    tables = prepare(FIXTURES / "features.xls").tables
    budget = next(table for table in tables if table.kind == "budget")
    assert budget.unit == "万元"
    total = next(line for line in budget.budget if line.label == "年度资金总额")
    assert {name: q.value for name, q in total.values.items()}["全年执行数"] == 1150.85
    indicators = next(table for table in tables if table.kind == "indicators")
    rows = [(r.level1, r.level2, r.level3, r.actual) for r in indicators.indicators]
    assert rows[-1] == ("产出指标", "质量指标", "优良路率", "88.3%")


def test_a_formula_never_shows_as_its_text(tmp_path):
    # openpyxl stores a formula without computing it: nothing was cached.
    book = openpyxl.Workbook()
    book.active.append(["合计", "=SUM(1,2)", 3])
    book.save(tmp_path / "formula.xlsx")
    loaded = load(tmp_path / "formula.xlsx")
    assert "SUM" not in loaded.text and "=" not in loaded.text
    assert [cell.text for cell in loaded.grids[0].rows[0]] == ["合计", "", "3"]


def test_dates_and_merges_written_by_openpyxl(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["评价日期", date(2024, 5, 6), "备注"])
    sheet.append(["一级指标", "二级指标", "得分"])
    sheet.append(["产出指标", "数量指标", 10.0])
    sheet.append([None, "质量指标", 9.25])
    sheet.merge_cells("A3:A4")
    book.save(tmp_path / "merged.xlsx")
    loaded = load(tmp_path / "merged.xlsx")
    rows = [[(c.text, c.merged_above) for c in row] for row in loaded.grids[0].rows]
    assert rows[0][1] == ("2024-05-06", False)
    assert rows[2][2] == ("10", False)
    assert rows[3][:1] == [("产出指标", True)]


def test_a_label_row_stays_in_its_table_and_a_title_row_starts_another(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["项目", "全年预算数", "全年执行数"])
    sheet.append(["一、财政拨款"])  # a label without figures: a row of the table
    sheet.append(["基本支出", 10.5, 10.25])
    sheet.append(["表2 项目支出情况"])  # merged across: the next table's title
    sheet.merge_cells("A4:C4")
    sheet.append(["项目", "全年预算数", "全年执行数"])
    sheet.append(["项目支出", 3, 2.5])
    book.save(tmp_path / "two.xlsx")
    loaded = load(tmp_path / "two.xlsx")
    first, second = loaded.grids
    assert [row[0].text for row in first.rows] == ["项目", "一、财政拨款", "基本支出"]
    assert second.caption == "表2 项目支出情况"
    assert [cell.text for cell in second.rows[1]] == ["项目支出", "3", "2.5"]


def test_a_label_wrapped_in_its_cell_reads_as_one_line(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["项目", "年初\n预算数", "全年预算数\n（万元）", "Note\nA", "  说明\t"])
    book.save(tmp_path / "wrapped.xlsx")
    row = load(tmp_path / "wrapped.xlsx").grids[0].rows[0]
    assert [cell.text for cell in row] == [
        "项目",
        "年初预算数",
        "全年预算数（万元）",
        "Note A",
        "说明",
    ]


def test_a_stray_cell_at_the_sheets_far_end_is_refused_not_read(tmp_path):
    book = openpyxl.Workbook()
    book.active["A1"] = "项目名称"
    book.active["XFD1048576"] = "x"
    book.save(tmp_path / "far.xlsx")
    with pytest.raises(LoadError, match="1,048,576 rows") as error:
        load(tmp_path / "far.xlsx")
    assert "Ctrl+End" in error.value.hint


# --- the type from the content ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "renamed"), [("features.xlsx", "report.pdf"), ("features.ods", "report.txt")]
)
def test_a_renamed_workbook_is_read_as_what_it_is(tmp_path, name, renamed):
    data = (FIXTURES / name).read_bytes()
    (tmp_path / renamed).write_bytes(data)
    assert sniff(data) == name.split(".")[1]
    assert load(tmp_path / renamed).text == FEATURES_TEXT


# --- files that cannot be read ------------------------------------------------------------


@pytest.mark.parametrize("name", ["encrypted.xlsx", "encrypted.xls", "encrypted.ods"])
def test_a_password_protected_workbook_says_so(name):
    with pytest.raises(LoadError, match="password-protected") as error:
        load(FIXTURES / name)
    assert "without a password" in error.value.hint or "without one" in error.value.hint


def test_an_encrypted_xlsx_named_xls_says_it_is_password_protected(tmp_path):
    shutil.copy(FIXTURES / "encrypted.xlsx", tmp_path / "locked.xls")
    with pytest.raises(LoadError, match="password-protected"):
        load(tmp_path / "locked.xls")


@pytest.mark.parametrize("name", ["features.xlsx", "features.xls", "features.ods"])
def test_a_damaged_workbook_says_what_is_wrong(tmp_path, name):
    data = (FIXTURES / name).read_bytes()
    damaged = tmp_path / name
    damaged.write_bytes(data[: len(data) // 2])
    with pytest.raises(LoadError) as error:
        load(damaged)
    assert error.value.path == damaged
    assert "damaged" in error.value.problem or "not a valid" in error.value.problem
    assert "save it again" in error.value.hint


def test_bytes_that_are_no_workbook_say_so(tmp_path):
    path = tmp_path / "report.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    # An Office container whose directory cannot be read, whatever its name says.
    with pytest.raises(LoadError, match="damaged Office 97–2003"):
        load(path)


def test_a_workbook_that_unpacks_to_far_more_than_a_report_is_refused_unread(monkeypatch):
    # The real limit is hundreds of megabytes; the fixture unpacks to some kilobytes.
    monkeypatch.setattr(sheet_loader, "MAX_UNPACKED_BYTES", 10_000)
    with pytest.raises(LoadError, match="unpacks to"):
        load(FIXTURES / "features.ods")


def test_a_workbook_without_cells_says_so(tmp_path):
    openpyxl.Workbook().save(tmp_path / "empty.xlsx")
    with pytest.raises(LoadError, match="holds no cells"):
        load(tmp_path / "empty.xlsx")


def test_a_workbook_whose_cells_are_all_hidden_says_to_unhide_them(tmp_path):
    book = openpyxl.Workbook()
    book.create_sheet("数据")["A1"] = "全年执行数"
    book["数据"].sheet_state = "hidden"
    book.save(tmp_path / "hidden.xlsx")
    with pytest.raises(LoadError, match="1 hidden") as error:
        load(tmp_path / "hidden.xlsx")
    assert "unhide" in error.value.hint
