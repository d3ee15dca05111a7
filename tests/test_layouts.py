"""Tables in every layout LAYOUTS.md describes, and the vocabulary that names
their columns: small invented tables, each cell checked against its offsets."""

from __future__ import annotations

from pathlib import Path

import pytest

from jixiao.read.normalise import normalise_text
from jixiao.structure.labels import (
    VOCABULARY,
    column_field,
    family_of_level2,
    form_field,
    level_of,
    row_field,
    vocabulary,
)
from jixiao.structure.segment import TABULAR_TEXT, find_text_grids, find_unread_regions
from jixiao.structure.tables import build_tables

# Fields the code reads from each vocabulary; a line naming another is a typo.
FIELDS = {
    "columns": {
        "level1", "level2", "level3", "group", "serial", "target", "op", "unit", "actual",
        "weight", "score", "note", "rate", "initial_budget", "full_year_budget", "spent",
        "execution_rate", "balance",
    },
    "rows": {
        "total", "appropriation", "carried_over", "other_funds", "basic_expenditure",
        "personnel_expenditure", "public_expenditure", "project_expenditure", "three_public",
    },
    "form": {
        "project_name", "supervisor", "implementer", "funds", "goal", "goal_planned",
        "goal_actual", "total_score",
    },
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_every_vocabulary_line_names_a_field_the_code_reads(name):
    assert set(vocabulary(name).synonyms.values()) <= FIELDS[name]
    assert (VOCABULARY / f"{name}.txt").read_text(encoding="utf-8").count("\n") > 5


@pytest.mark.parametrize(
    ("title", "field"),
    [
        ("指标名称", "level3"),
        ("年度指标值", "target"),  # a compound whose head is listed
        ("全年（调整）绩效目标", "target"),
        ("实际完成值（%）", "actual"),
        ("實際完成值", "actual"),  # traditional characters
        ("權 重", "weight"),
        ("执行率得分", "score"),
        ("年初预算 数", "initial_budget"),  # a label broken by a space
        ("2024年度 财政拨款预算执行数", "spent"),
        ("指标解释", None),  # 指标 is no head here
        ("备注说明栏", None),
    ],
)
def test_column_titles_name_fields_whatever_the_words(title, field):
    assert column_field(title) == field


def test_levels_of_the_standard_template_are_data():
    assert level_of("產出指標") == "level1"  # traditional characters
    assert level_of("服务对象满意度指标") == "level2"
    assert level_of("群众获得感指标") == "level2"  # any other 指标 under a family
    assert level_of("巡护里程") == "level3"
    assert family_of_level2("生态效益指标") == "效益指标"


def test_row_and_form_labels():
    assert row_field("其中：当年财政拨款") == "appropriation"
    assert row_field("（二）项目支出") == "project_expenditure"
    assert row_field("一、基本支出") == "basic_expenditure"
    assert form_field("項(xiàng)目名稱") == "project_name"
    assert form_field("转移支付（项目）名称") == "project_name"
    assert form_field("实施单位") == "implementer"


def cells_at_their_offsets(text: str) -> list[list[str]]:
    """The grids of `text`, each one-line cell checked against its span."""
    rows = []
    for grid in find_text_grids(text):
        for row in grid.rows:
            for cell in row:
                if "\n" not in text[cell.start : cell.end]:
                    assert text[cell.start : cell.end] == cell.text
            rows.append([cell.text for cell in row])
    return rows


PIPE_LINES = """\
三级指标 |
指标值 |
实际完成值 |
分值 |
得分 |
||||||
巡查里程 |
≥80公里 |
84公里 |
20 |
20 |
||||||
设施完好率 |
≥95% |
93% |
20 |
16 |
||||||
"""

PIPE_ROWS = """\
| 一级指标 | 二级指标 | 三级指标 | 指标值 | 实际完成值 | 分值 | 得分 |
|---|---|---|---|---|---|---|
| 产出指标 | 数量指标 | 巡查里程 | ≥80公里 | 84公里 | 20 | 20 |
| 质量指标 | 设施完好率 | ≥95% | 93% | 20 | 16 |
| 满意度指标 | 服务对象满意度指标 | 居民满意度 | ≥90% | 92% | 10 | 10 |
"""

SPACES = """\
一级指标     二级指标     三级指标              指标值      实际完成值   分值   得分
产出指标     数量指标     巡查里程              ≥80公里     84公里       20     20
             质量指标     设施完好率            ≥95%        93%          20     16
效益指标     社会效益     沿线居民出行便利程    明显改善    明显改善     10     9
                          度
"""

CELL_LINES = """\
三级指标
指标值
实际完成值
分值
得分

巡查里程
≥80公里
84公里
20
20

设施完好率
≥95%
93%
20
16
"""

SPLIT_TARGET = "\t三级指标\t指标性质\t指标值\t度量单位\t实际完成值\t分值\t得分\n\t巡查里程\t≥\t80\t公里\t84公里\t20\t20\n\t群众评价\t定性\t好\t\t好\t10\t10\n"


@pytest.mark.parametrize(
    "text",
    [PIPE_LINES, PIPE_ROWS, SPACES, CELL_LINES],
    ids=["pipe_lines", "pipe_rows", "spaces", "cell_lines"],
)
def test_each_layout_gives_the_same_rows(text):
    normalised, _ = normalise_text(text)
    cells_at_their_offsets(normalised)
    (table,) = [t for t in build_tables(find_text_grids(normalised)) if t.kind == "indicators"]
    rows = {(r.level3, r.target, r.actual, r.weight, r.score) for r in table.indicators}
    assert ("巡查里程", "≥80公里", "84公里", 20, 20) in rows
    assert ("设施完好率", "≥95%", "93%", 20, 16) in rows


def test_rows_that_drop_merged_cells_are_placed_by_level():
    (table,) = [t for t in build_tables(find_text_grids(PIPE_ROWS)) if t.kind == "indicators"]
    levels = [(r.level1, r.level2, r.level3) for r in table.indicators]
    assert levels == [
        ("产出指标", "数量指标", "巡查里程"),
        ("产出指标", "质量指标", "设施完好率"),
        ("满意度指标", "服务对象满意度指标", "居民满意度"),
    ]


def test_a_cell_wrapped_onto_the_next_line_of_a_space_table_is_one_cell():
    (table,) = [t for t in build_tables(find_text_grids(SPACES)) if t.kind == "indicators"]
    assert table.indicators[-1].level3 == "沿线居民出行便利程度"
    assert table.indicators[-1].level2 == "社会效益"


def test_a_target_split_over_three_columns_is_one_target_and_定性_is_no_part_of_it():
    (table,) = [t for t in build_tables(find_text_grids(SPLIT_TARGET)) if t.kind == "indicators"]
    first, second = table.indicators
    assert (first.target, first.target_quantity.comparator, first.target_quantity.unit) == (
        "≥80公里",
        "≥",
        "公里",
    )
    assert second.target == "好"


def test_two_spaces_are_a_column_gap_one_is_closed_up():
    normalised, _ = normalise_text("≥ 80公里\n≥  80  公里\n")
    assert normalised.splitlines() == ["≥80公里", "≥  80  公里"]


def test_a_table_whose_cells_ran_together_is_named_unread():
    text = (
        "一、基本情况\n"
        "三级指标指标值实际完成值分值得分\n"
        "巡查里程≥80公里84公里2020\n"
        "设施完好率≥95%93%2016\n"
        "\n"
        "二、问题\n本年度巡查里程为84公里，设施完好率为93%，群众满意度为92%，均较上年提高。\n"
    )
    (region,) = find_unread_regions(text, find_text_grids(text))
    assert region.reason == TABULAR_TEXT
    assert text[region.start : region.end].splitlines()[-1] == "设施完好率≥95%93%2016"


def test_the_vocabulary_is_the_package_data_it_ships_as():
    shipped = {path.name for path in VOCABULARY.iterdir()}
    assert {"columns.txt", "rows.txt", "form.txt", "levels.txt", "terms.dict"} <= shipped
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert "vocabulary/*.txt" in pyproject and "vocabulary/*.dict" in pyproject
