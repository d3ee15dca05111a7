import unicodedata
from decimal import Decimal

import pytest
from conftest import gold, prepared

from jixiao.document import Cell, Grid
from jixiao.structure.tables import build_tables, find_text_grids


def indicator_tables(name):
    return [table for table in prepared(name).tables if table.kind == "indicators"]


def comparable(value):
    """Gold keeps the source's full-width ＝ and ，; our text is normalised."""
    if value is None or isinstance(value, int | float):
        return value
    return unicodedata.normalize("NFKC", value).replace(" ", "")


@pytest.mark.parametrize(
    ("name", "rows", "weights", "scores"),
    [("000", [11], [90], [84]), ("001", [22], [90], [87]), ("003", [22], [90], [83.67])],
)
def test_indicator_rows_and_sums(name, rows, weights, scores):
    tables = indicator_tables(name)
    assert [len(table.indicators) for table in tables] == rows
    assert [round(sum(r.weight or 0 for r in t.indicators), 2) for t in tables] == weights
    assert [round(sum(r.score or 0 for r in t.indicators), 2) for t in tables] == scores


def test_002_scoring_table_and_annex():
    scoring, annex = indicator_tables("002")
    assert len(scoring.indicators) == 28
    assert scoring.indicators[0].level3 == "行政事业单位退休职工大病补充医疗保险费"
    assert scoring.indicators[-1].level3 == "被评价部门配合度"
    assert sum(r.score for r in scoring.indicators if r.score is not None) == 96
    assert [r.score for r in scoring.indicators[-6:]] == [5, -1, None, None, None, None]
    assert sum(r.weight for r in scoring.indicators if r.weight is not None) == 100
    assert len(annex.indicators) == 17


@pytest.mark.parametrize("name", ["000", "001", "002", "003"])
def test_indicator_records_match_gold(name):
    records = [record.to_json() for table in indicator_tables(name) for record in table.indicators]
    expected = gold(name)["indicators"]
    unmatched = list(records)
    for row in expected:
        match = next(
            (r for r in unmatched if comparable(r["level3"]) == comparable(row["level3"])), None
        )
        assert match is not None, f"no record for {row['level3']}"
        unmatched.remove(match)
        for field, value in row.items():
            assert comparable(match[field]) == comparable(value), (row["level3"], field)
    # Gold leaves out the rows whose weight and score are `-` or `/`.
    assert all(r["weight"] is None and r["score"] is None for r in unmatched)


def test_empty_level3_row_is_no_record():
    levels = {r.level2 for t in indicator_tables("001") for r in t.indicators}
    assert "生态效益指标" not in levels


def test_levels_are_filled_down_and_labels_cleaned():
    scoring = indicator_tables("002")[0]
    first = scoring.indicators[0]
    assert (first.level1, first.level2) == ("总体绩效", "履职效能")
    assert scoring.indicators[4].level2 == "履职效能"


def test_split_value_reads_whole_with_span_over_both_lines():
    table = indicator_tables("000")[0]
    record = table.indicators[1]
    assert record.target == "≤207.59万元"
    assert record.target_quantity.base_value == 2075900
    text = prepared("000").document.text
    cell = record.cells["target"]
    assert text[cell.start : cell.end].split() == ["≤207.59", "万元"]


def test_003_unit_column_joins_the_actual():
    record = indicator_tables("003")[0].indicators[0]
    assert (record.target, record.actual) == ("=100%", "100%")
    assert record.actual_quantity.number == 100 and record.actual_quantity.unit == "%"


def test_every_cell_points_at_its_text():
    for name in ("000", "001", "002", "003"):
        document = prepared(name).document
        for table in prepared(name).tables:
            for row in table.header_rows + table.rows:
                for cell in row:
                    if cell.text and "\n" not in document.text[cell.start : cell.end]:
                        assert document.text[cell.start : cell.end] == cell.text


def budget(name, header_word):
    table = next(
        t
        for t in prepared(name).tables
        if t.kind == "budget" and any(header_word in h for h in t.header)
    )
    return table, {line.label: line.values for line in table.budget}


def test_002_income_table_every_figure():
    table, lines = budget("002", "决算数")
    assert table.unit == "元"
    assert len(lines) == 9
    assert lines["一般公共预算财政拨款收入"]["年初预算数"].base_value == Decimal("7047418.83")
    total = lines["总计"]
    assert total["全年预算数"].base_value == total["决算数"].base_value == Decimal("15333580.16")
    assert all(len(values) == 3 for values in lines.values())


def test_002_spending_table_every_figure():
    table, lines = budget("002", "支出决算数")
    assert table.unit == "元"
    assert list(lines) == [
        "一、基本支出", "（一）人员经费", "（二）公用经费", "二、项目支出",
        "三、结余分配", "四、年末结转结余", "总计",
    ]  # fmt: skip
    assert all(len(values) == 4 for values in lines.values())
    columns = ["年初预算数", "追加（减）", "调整后预算", "支出决算数"]
    assert [float(lines["总计"][c].number) for c in columns] == [
        7047418.83, 8286161.33, 15333580.16, 15333580.16,
    ]  # fmt: skip
    assert lines["（一）人员经费"]["支出决算数"].number + lines["（二）公用经费"][
        "支出决算数"
    ].number == (lines["一、基本支出"]["支出决算数"].number)


def test_003_spending_scale_table_every_figure():
    table, lines = budget("003", "全年执行数")
    assert table.unit == "元"
    assert len(lines) == 7
    assert all(len(values) == 5 for values in lines.values())
    total = lines["年度资金总额"]
    assert [float(total[c].number) for c in ("年初预算数", "全年预算数", "全年执行数", "执行率", "得分")] == [
        6152708, 8274578.08, 7747870.08, 93.63, 9.36,
    ]  # fmt: skip


def test_form_rows_pair_labels_with_their_own_figures():
    _, lines = budget("001", "全年执行数")
    assert float(lines["其中:基本支出："]["value"].number) == 551.87
    assert float(lines["项目支出："]["value"].number) == 1944.47


def test_row_per_line_and_cell_per_line_layouts_agree():
    header = ["一级指标", "二级指标", "三级指标", "指标值", "实际完成值", "分值", "得分"]
    rows = [
        ["产出指标", "数量指标", "宣传次数", "≥4次", "8次", "5", "5"],
        ["", "质量指标", "检查覆盖率", "≥95%", "100%", "5", "4.5"],
    ]
    row_per_line = "\n".join("\t".join(row) for row in [header, *rows]) + "\n"
    cell_per_line = "\n".join("".join(f"\t{cell}\n" for cell in row) for row in [header, *rows])
    for text in (row_per_line, cell_per_line):
        (table,) = build_tables(find_text_grids(text))
        assert table.kind == "indicators"
        assert [(r.level1, r.level2, r.level3, r.score) for r in table.indicators] == [
            ("产出指标", "数量指标", "宣传次数", 5),
            ("产出指标", "质量指标", "检查覆盖率", 4.5),
        ]


def test_grid_from_a_word_file_is_read_as_is():
    def cells(texts):
        return [Cell(text, 0, 0) for text in texts]

    grid = Grid(
        rows=[
            cells(["一级指标", "二级指标", "三级指标", "分值", "得分"]),
            cells(["产出指标", "数量指标", "宣传次数", "5", "5"]),
            cells(["产出指标", "数量指标", "培训人次", "5", "3"]),
        ],
        start=0,
        end=0,
        from_file=True,
    )
    (table,) = build_tables([grid])
    assert [(r.level2, r.level3, r.weight, r.score) for r in table.indicators] == [
        ("数量指标", "宣传次数", 5, 5),
        ("数量指标", "培训人次", 5, 3),
    ]
