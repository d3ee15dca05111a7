"""Tables whose separators were lost: cells between single spaces with rows run
on (a form saved as one line), or a row a line with no separator at all. The
texts are invented; each reads as its column titles say, or stays unread."""

from __future__ import annotations

from jixiao.extract import from_tables, route
from jixiao.structure import prepare
from jixiao.structure.flattened import ROW_NOT_TOLD_APART, read_flattened
from jixiao.structure.segment import (
    FIGURES_IN_A_ROW,
    TABULAR_TEXT,
    find_text_grids,
    find_unread_regions,
)
from jixiao.structure.tables import Table, build_tables


def flattened(text: str):
    found = read_flattened(text, find_unread_regions(text, find_text_grids(text)))
    for grid in found.grids:
        for row in grid.rows:
            for cell in row:
                assert text[cell.start : cell.end] == cell.text
    return build_tables(found.grids), found.unread


def rows(table: Table) -> list[tuple]:
    return [
        (i.level1, i.level2, i.level3, i.target, i.actual, i.weight, i.score, i.note)
        for i in table.indicators
    ]


SPACED = (
    "三、绩效目标完成情况\n"
    "一级指标 二级指标 三级指标 年度指标值 实际 完成值 分值 得分 偏差原因分析 及改进措施 "
    "产出指标 数量指标 巡护里程 ≥640公里 652公里 20 20 "
    "新建护林站 ≥3个 2个 10 6 选址未获批 质量指标 巡护记录完整率 =100% 100% 20 20 "
    "效益指标 生态效益指标 林区防火能力 持续提升 持续提升 20 18 无 "
    "满意度指标 服务对象满意度指标 周边村民满意度 ≥88% 91% 30 30\n"
    "总分 100 94\n"
    "\n"
    "四、存在的问题\n"
)


def test_a_form_flattened_onto_a_line_reads_row_by_row():
    (table,), unread = flattened(SPACED)
    assert not unread
    assert rows(table) == [
        ("产出指标", "数量指标", "巡护里程", "≥640公里", "652公里", 20, 20, None),
        ("产出指标", "数量指标", "新建护林站", "≥3个", "2个", 10, 6, "选址未获批"),
        ("产出指标", "质量指标", "巡护记录完整率", "=100%", "100%", 20, 20, None),
        ("效益指标", "生态效益指标", "林区防火能力", "持续提升", "持续提升", 20, 18, "无"),
        ("满意度指标", "服务对象满意度指标", "周边村民满意度", "≥88%", "91%", 30, 30, None),
    ]
    assert table.header[4] == "实际 完成值"  # a title the flattening broke is one title
    assert table.total is not None and table.total.raw == "94"


def test_a_split_target_and_a_target_in_words_read_apart():
    text = (
        "绩效指标 一级指标 二级指标 三级指标 指标性质 指标值 度量单位 全年实际值 分值 得分 "
        "产出指标 数量指标 培训人次 ≥ 450 人次 468人次 50 50 "
        "效益指标 社会效益指标 服务机制 定性 逐步健全 基本健全 50 45\n"
    )
    (table,), _ = flattened(text)
    assert [(i.level3, i.target, i.actual, i.score) for i in table.indicators] == [
        ("培训人次", "≥450人次", "468人次", 50),
        ("服务机制", "逐步健全", "基本健全", 45),
    ]


def test_a_first_row_label_that_reads_as_a_title_stays_a_row():
    text = (
        "指标名称 预期目标 实际值 分值 得分 预算执行率 ≥90% 93.5% 20 18.7 "
        "来访接待人次 ≥300人次 341人次 80 80\n"
    )
    (table,), _ = flattened(text)
    assert [i.level3 for i in table.indicators] == ["预算执行率", "来访接待人次"]


RUN_TOGETHER = (
    "绩效指标一级指标二级指标三级指标年度指标值实际完成值分值得分偏差原因分析及改进措施\n"
    "产出指标数量指标义诊活动场次≥36场38场1515无\n"
    "受益群众人次≥5000人次4620人次1512部分乡镇活动因雨取消\n"
    "效益指标社会效益指标基层诊疗能力稳步提高稳步提高2020无\n"
    "满意度指标服务对象满意度指标群众满意度≥85%89.5%5050无\n"
    "总分10097\n"
)


def test_a_row_whose_cells_ran_together_is_cut_by_what_its_columns_hold():
    (table,), unread = flattened(RUN_TOGETHER)
    assert not unread
    assert rows(table) == [
        ("产出指标", "数量指标", "义诊活动场次", "≥36场", "38场", 15, 15, "无"),
        (
            "产出指标",
            "数量指标",
            "受益群众人次",
            "≥5000人次",
            "4620人次",
            15,
            12,
            "部分乡镇活动因雨取消",
        ),
        ("效益指标", "社会效益指标", "基层诊疗能力", "稳步提高", "稳步提高", 20, 20, "无"),
        ("满意度指标", "服务对象满意度指标", "群众满意度", "≥85%", "89.5%", 50, 50, "无"),
    ]
    assert table.total is not None and table.total.raw == "97"


def test_sums_run_together_are_told_apart_by_their_decimals_and_rate():
    text = (
        "项目年初预算全年预算全年执行数执行率\n"
        "合计318.4050342.7720330.146496.32%\n"
        "基本支出201.3300215.9010214.0071\n"
        "项目资金（万元）年初预算数全年预算数全年执行数分值执行率得分\n"
        "年度资金总额56.0060.0057.001095.00%9.5\n"
        "其中：财政拨款56.0060.0057.00———\n"
    )
    budget, funds = flattened(text)[0]
    assert [[cell.text for cell in row[1:]] for row in budget.rows] == [
        ["318.4050", "342.7720", "330.1464", "96.32%"],
        ["201.3300", "215.9010", "214.0071", ""],
    ]
    assert [[cell.text for cell in row[1:]] for row in funds.rows] == [
        ["56.00", "60.00", "57.00", "10", "95.00%", "9.5"],
        ["56.00", "60.00", "57.00", "—", "—", "—"],
    ]


def test_a_row_read_no_one_way_is_unread_and_asked_with_its_titles(tmp_path):
    text = (
        "一、基本情况\n"
        "三级指标指标值实际完成值分值得分\n"
        "巡查里程≥80公里84公里2020\n"
        "经费控制≤预算数未超预算2020\n"
        "设施完好率=1I0%100%3030\n"
        "群众满意度≥90%92%3030\n"
        "\n"
        "二、问题\n本年度巡查里程为84公里，较上年提高。\n"
    )
    (table,), unread = flattened(text)
    assert [i.level3 for i in table.indicators] == ["巡查里程", "群众满意度"]
    (region,) = unread
    assert region.reason == ROW_NOT_TOLD_APART
    assert text[region.start : region.end] == "经费控制≤预算数未超预算2020\n设施完好率=1I0%100%3030"
    assert text[slice(*region.titles)] == "三级指标指标值实际完成值分值得分"

    # The model is asked for those rows, the titles leading them.
    path = tmp_path / "report.txt"
    path.write_text(text, encoding="utf-8")
    (request,) = [r for r in route(prepare(path)) if r.kind.name == "table"]
    assert request.text.splitlines()[:3] == [
        "三级指标指标值实际完成值分值得分",
        "经费控制≤预算数未超预算2020",
        "设施完好率=1I0%100%3030",
    ]


def test_a_region_no_titles_head_stays_unread_as_it_was():
    text = "一、情况\n甲乙丙丁 戊己 庚辛 壬癸 12 34 56 78 90 11\n"
    found = read_flattened(text, find_unread_regions(text, find_text_grids(text)))
    assert not found.grids
    assert all(region.reason != ROW_NOT_TOLD_APART for region in found.unread)
    assert all(region.reason in (TABULAR_TEXT, FIGURES_IN_A_ROW) for region in found.unread)


def test_a_funds_table_run_together_belongs_to_the_project_its_form_names(tmp_path):
    text = (
        "四、自评表\n"
        "项目名称村级文化书屋补助资金\n"
        "主管部门柳塘县文化馆实施单位柳塘县图书分馆\n"
        "项目资金（万元）年初预算数全年预算数全年执行数分值执行率得分\n"
        "年度资金总额24.0024.0023.161096.50%9.65\n"
        "\n"
        "五、问题\n"
    )
    path = tmp_path / "project.txt"
    path.write_text(text, encoding="utf-8")
    (funds,) = [t for t in prepare(path).tables if t.kind == "budget"]
    assert funds.form is not None
    assert {name: cell.text for name, cell in funds.form.cells.items()} == {
        "project_name": "村级文化书屋补助资金",
        "supervisor": "柳塘县文化馆",
        "implementer": "柳塘县图书分馆",
    }


def test_a_figure_closed_up_with_the_next_rows_label_is_two_cells(tmp_path):
    # Normalising closes up a figure and a unit word (项), so 71.80 项目支出 meets
    # the pipeline as 71.80项目支出.
    text = (
        "二、预算执行\n"
        "项目 年初预算 全年预算 全年支出数 合计 180.50 196.20 190.35 "
        "基本支出 108.70 118.40 118.55 项目支出 71.80 77.80 71.80\n"
    )
    path = tmp_path / "budget.txt"
    path.write_text(text, encoding="utf-8")
    (budget,) = [t for t in prepare(path).tables if t.kind == "budget"]
    assert [(line.label, [q.raw for q in line.values.values()]) for line in budget.budget] == [
        ("合计", ["180.50", "196.20", "190.35"]),
        ("基本支出", ["108.70", "118.40", "118.55"]),
        ("项目支出", ["71.80", "77.80", "71.80"]),
    ]


def test_a_serial_number_column_is_no_part_of_a_row():
    spaced = (
        "序号 一级指标 二级指标 三级指标 指标值 实际完成值 分值 得分 "
        "1 产出指标 数量指标 巡护里程 ≥640公里 652公里 50 50 2 新建护林站 ≥3个 3个 50 50\n"
    )
    run_together = (
        "序号一级指标二级指标三级指标指标值实际完成值分值得分\n"
        "1产出指标数量指标巡护里程≥640公里652公里5050\n"
        "2新建护林站≥3个3个5050\n"
    )
    for text in (spaced, run_together):
        (table,), unread = flattened(text)
        assert not unread
        assert [(i.level1, i.level3, i.target, i.score) for i in table.indicators] == [
            ("产出指标", "巡护里程", "≥640公里", 50),
            ("产出指标", "新建护林站", "≥3个", 50),
        ]


def test_a_project_form_flattened_onto_a_line_is_one_project_with_its_indicators(tmp_path):
    text = (
        "表1 项目支出绩效自评表\n"
        "项目名称 村级文化书屋提升 主管部门 柳塘县文化旅游局 实施单位 柳塘县图书分馆 "
        "项目资金（万元） 年初预算 数 全年预算 数 全年 执行数 分值 执行率 得分 "
        "年度资金总额 24.00 26.00 25.35 10 97.50% 9.75 其中：当年财政拨款 24.00 26.00 25.35 — — — "
        "年度 总体 目标 预期目标 实际完成 情况 改造书屋12个，年借阅量达到3万人次。 改造书屋12个，借阅3.1万人次。\n"
        "一级指标 二级指标 三级指标 指标值 实际 完成值 分值 得分 "
        "产出指标 数量指标 改造书屋数量 ≥12个 12个 45 45 效益指标 社会效益指标 年借阅人次 ≥3万人次 3.1万人次 45 45\n"
        "总分 100 99.75\n"
    )
    path = tmp_path / "project.txt"
    path.write_text(text, encoding="utf-8")
    record = from_tables(prepare(path))
    (project,) = record.projects
    assert (project.name.raw, project.supervisor.raw, project.implementer.raw) == (
        "村级文化书屋提升",
        "柳塘县文化旅游局",
        "柳塘县图书分馆",
    )
    assert (project.budget.raw, project.actual.raw, project.execution_rate.raw) == (
        "26.00",
        "25.35",
        "97.50%",
    )
    assert [(i.level3, i.project) for i in record.indicators] == [
        ("改造书屋数量", 0),
        ("年借阅人次", 0),
    ]


def test_an_indicator_table_cut_from_its_projects_form_by_the_goal_lines_is_that_projects(
    tmp_path,
):
    text = (
        "四、自评表\n"
        "项目名称村级文化书屋补助资金\n"
        "主管部门柳塘县文化馆实施单位柳塘县图书分馆\n"
        "项目资金（万元）年初预算数全年预算数全年执行数分值执行率得分\n"
        "年度资金总额24.0024.0023.161096.50%9.65\n"
        "年度总体目标预期目标实际完成情况\n"
        "改造书屋12个，年借阅量达到3万人次。改造书屋12个，借阅3.1万人次。\n"
        "一级指标二级指标三级指标指标值实际完成值分值得分\n"
        "产出指标数量指标改造书屋数量≥12个12个4545\n"
        "总分10099.65\n"
        "\n"
        "五、问题\n"
    )
    path = tmp_path / "project.txt"
    path.write_text(text, encoding="utf-8")
    record = from_tables(prepare(path))
    (project,) = record.projects
    assert project.name.raw == "村级文化书屋补助资金"
    assert [(i.level3, i.project) for i in record.indicators] == [("改造书屋数量", 0)]


def test_a_row_missing_a_cell_is_left_to_the_model_and_the_rest_still_read():
    text = SPACED.replace("新建护林站 ≥3个 2个 10 6 选址未获批", "新建护林站 ≥3个 10 6 选址未获批")
    (table,), unread = flattened(text)
    assert [i.level3 for i in table.indicators] == [
        "巡护里程",
        "巡护记录完整率",
        "林区防火能力",
        "周边村民满意度",
    ]
    (region,) = unread
    assert region.reason == ROW_NOT_TOLD_APART
    assert text[region.start : region.end] == "新建护林站 ≥3个 10 6 选址未获批"
    assert text[slice(*region.titles)].startswith("一级指标 二级指标 三级指标")
