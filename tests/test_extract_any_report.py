"""Extraction on reports unlike the samples (invented units and figures): project
tables read without the model, a table no layout cuts asked of it row by row,
fields no keyword places asked of their sections, and every figure nothing
read listed as unread."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from jixiao.check import run_checks
from jixiao.extract import (
    FIGURES_NOT_READ,
    KINDS,
    TABLE,
    Grounding,
    Request,
    _apply,
    extract,
    from_tables,
    listed_points,
    route,
    unread_figures,
)
from jixiao.extract.llm import Answer, Settings
from jixiao.structure import prepare

PROJECT_TABLE = """\
柳塘县文化馆
2024年度项目支出绩效自评表

项目名称\t乡村文化书屋提升
主管部门\t柳塘县文化旅游局\t实施单位\t柳塘县文化馆
项目资金（万元）\t年初预算数\t全年预算数\t全年执行数\t分值\t执行率\t得分
年度资金总额\t36.00\t40.00\t38.40\t10\t96%\t9.6
年度总体目标\t预期目标\t实际完成情况
\t改造书屋12个，年借阅量达到3万人次。\t改造书屋12个，借阅3.2万人次。
一级指标\t二级指标\t三级指标\t指标值\t实际完成值\t分值\t得分
产出指标\t数量指标\t改造书屋数量\t≥12个\t12个\t20\t20
效益指标\t社会效益指标\t年借阅人次\t≥3万人次\t3.2万人次\t20\t20
总分\t100\t98.6
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_project_table_is_a_project_with_no_model_call(tmp_path):
    prepared = prepare(write(tmp_path, "project.txt", PROJECT_TABLE))
    report = from_tables(prepared)
    assert report.kind == "project"
    (project,) = report.projects
    values = {
        name: getattr(project, name).value
        for name in (
            "name",
            "supervisor",
            "implementer",
            "initial_budget",
            "budget",
            "actual",
            "execution_rate",
            "self_score",
        )
    }
    assert values == {
        "name": "乡村文化书屋提升",
        "supervisor": "柳塘县文化旅游局",
        "implementer": "柳塘县文化馆",
        "initial_budget": 360000,
        "budget": 400000,
        "actual": 384000,
        "execution_rate": 96,
        "self_score": 98.6,
    }
    assert project.goal.value == "改造书屋12个，年借阅量达到3万人次。"
    assert [(row.level3, row.project) for row in report.indicators] == [
        ("改造书屋数量", 0),
        ("年借阅人次", 0),
    ]
    # A project's funds are not the department's budget.
    assert report.budget.total_expenditure is None
    text = prepared.document.text
    for fact in (project.name, project.actual, project.self_score):
        assert text[fact.start : fact.end] == fact.raw


def test_a_transfer_payment_says_so_in_its_title(tmp_path):
    text = PROJECT_TABLE.replace("项目支出绩效自评表", "转移支付资金绩效自评表")
    assert from_tables(prepare(write(tmp_path, "transfer.txt", text))).kind == "transfer"


RUN_TOGETHER = """\
柳塘县文化馆2024年度部门整体支出绩效自评报告
一、绩效指标完成情况
三级指标指标值实际完成值分值得分
送戏下乡场次≥40场超额完成2020
公共文化设施开放率=100%全部开放2020

二、存在的问题
部分书屋藏书更新慢。
"""


def test_a_table_whose_cells_ran_together_is_asked_row_by_row_and_each_cell_grounded(tmp_path):
    prepared = prepare(write(tmp_path, "run.txt", RUN_TOGETHER))
    (request,) = [r for r in route(prepared) if r.kind is TABLE]
    assert request.text.splitlines()[0] == "三级指标指标值实际完成值分值得分"
    report = from_tables(prepared)
    assert report.unread
    answer = {
        "rows": [
            {
                "level3": "送戏下乡场次",
                "target": "≥40场",
                "actual": "超额完成",
                "weight": "20",
                "score": "20",
            },
            # The model's invention: no such row, no such figure.
            {"level3": "公共文化设施开放率", "target": "=100%", "actual": "99%", "score": "18"},
        ]
    }
    grounding = Grounding(prepared, report)
    _apply(report, grounding, Request(TABLE, request.spans, request.text), answer)
    first, second = report.indicators
    assert (first.level3, first.target.raw, first.actual.raw, first.score.value) == (
        "送戏下乡场次",
        "≥40场",
        "超额完成",
        20,
    )
    assert second.actual is None and second.score is None
    assert {r.raw for r in report.rejected} == {"99%", "18"}
    # Read after all, the region is no longer listed unread.
    assert not report.unread
    run_checks(report, prepared.tables)
    assert not [c for c in report.checks if c.status == "hallucination"]


def test_a_field_no_keyword_places_is_asked_of_the_section_that_may_hold_it(tmp_path):
    text = (
        "柳塘县文化馆2024年度部门整体支出绩效自评报告\n"
        "一、部门基本情况\n本馆下设办公室、活动部，现有人员14名。\n"
        "二、绩效自评结论\n综合评定为86分，属良好。\n"
    )
    requests = route(prepare(write(tmp_path, "plain.txt", text)))
    kinds = {request.kind.name: request.text for request in requests}
    assert "现有人员14名" in kinds["staffing"]
    assert "86分" in kinds["score"]


def test_a_table_of_no_known_kind_is_asked_row_by_row_with_its_titles(tmp_path):
    # A form whose rows of figures each have their own row of titles, in words no
    # vocabulary lists: its figures reach the model with what names them.
    text = (
        "柳塘县文化馆2024年度部门整体支出绩效自评报告\n"
        "一、部门整体支出情况\n"
        "本年度收支情况如下表。\n\n"
        "部门支出盘子\t款项合计\t本级安排\t自筹\n"
        "361.20\t\t350.00\t11.20\n"
        "二、存在的问题\n场馆面积不足，年接待2600人次。\n"
    )
    prepared = prepare(write(tmp_path, "form.txt", text))
    assert [table.kind for table in prepared.tables] == ["other"]
    budget = [request for request in route(prepared) if request.kind.name == "budget"]
    sent = "\n".join(request.text for request in budget)
    assert "部门支出盘子" in sent and "361.20" in sent
    assert "场馆面积不足" not in sent  # the table's rows, not every line
    assert all(request.kind.name != "staffing" for request in route(prepared))


def test_a_line_whose_only_figures_are_dates_and_years_is_no_answer(tmp_path):
    text = (
        "柳塘县文化馆2024年度部门整体支出绩效自评报告\n"
        "一、部门基本情况\n本馆编制2025年度预算时参考了本报告。\n"
        "本馆年初预算120.50万元。\n"
    )
    requests = route(prepare(write(tmp_path, "years.txt", text)))
    (budget,) = [request for request in requests if request.kind.name == "budget"]
    assert "120.50万元" in budget.text
    # 编制 and 预算 are staffing's and budget's words, but the line states no measure.
    assert all("参考了本报告" not in request.text for request in requests[1:])


def test_every_figure_nothing_read_is_listed(tmp_path):
    text = (
        "柳塘县文化馆2024年度部门整体支出绩效自评报告\n"
        "柳文发〔2025〕3号\n"
        "一、工作开展情况\n全年举办培训班7期，惠及群众2600人次。\n"
        "二、存在的问题\n场馆面积不足。\n"
        "2025年3月2日\n"
    )
    prepared = prepare(write(tmp_path, "figures.txt", text))
    assert unread_texts(prepared) == ["7期", "2600人次"]
    text = prepared.document.text
    line = text.index("全年举办")
    asked = [(line, text.index("\n", line))]
    assert unread_figures(from_tables(prepared), prepared, asked=asked) == []


def unread_texts(prepared) -> list[str]:
    """The figures listed unread when the tables alone are read and nothing asked."""
    unread = unread_figures(from_tables(prepared), prepared, asked=[])
    assert {figure.reason for figure in unread} <= {str(FIGURES_NOT_READ)}
    return [prepared.document.text[figure.start : figure.end] for figure in unread]


def test_a_distinctive_figure_the_record_holds_is_read_where_the_prose_restates_it(tmp_path):
    text = (
        "柳塘县文化馆2024年度部门整体支出绩效自评报告\n"
        "一、绩效目标完成情况\n"
        "全年送书下乡2600册，举办讲座7场。\n"
        "三级指标\t指标值\t实际完成值\t分值\t得分\n"
        "送书下乡册数\t≥2500册\t2600册\t50\t50\n"
        "讲座场次\t≥6场\t7场\t50\t50\n"
    )
    # 2600 is the table's figure told again; a 7 recurs by chance and stays listed.
    assert unread_texts(prepare(write(tmp_path, "restated.txt", text))) == ["7场"]


def test_a_project_whose_name_is_rejected_goes_whole_and_its_indicators_point_at_none(tmp_path):
    from jixiao.records import drop_fact

    text = PROJECT_TABLE + "\n" + PROJECT_TABLE.replace("乡村文化书屋提升", "非遗传习所运维")
    report = from_tables(prepare(write(tmp_path, "two.txt", text)))
    assert [row.project for row in report.indicators] == [0, 0, 1, 1]
    drop_fact(report, "projects[0].name")
    assert [p.name.value for p in report.projects] == ["非遗传习所运维"]
    assert [row.project for row in report.indicators] == [None, None, 0, 0]


def test_a_model_read_row_keeps_its_figures_on_its_own_line(tmp_path):
    prepared = prepare(write(tmp_path, "run.txt", RUN_TOGETHER))
    report = from_tables(prepared)
    (request,) = [r for r in route(prepared) if r.kind is TABLE]
    # A figure of the other row, quoted for this one: it is in the region, but
    # not on this row's line.
    answer = {"rows": [{"level3": "送戏下乡场次", "target": "=100%", "actual": "超额完成"}]}
    _apply(report, Grounding(prepared, report), request, answer)
    run_checks(report, prepared.tables)
    (row,) = report.indicators
    assert row.target is None and row.actual.raw == "超额完成"
    assert [r.raw for r in report.rejected] == ["=100%"]


def test_the_signature_date_is_the_last_date_line_before_an_annex(tmp_path):
    from jixiao.extract import signature_date

    text = (
        "柳塘县文化馆2024年度部门整体支出绩效自评报告\n一、基本情况\n2024年3月启动自评。\n"
        "柳塘县文化馆\n2025年2月26日\n附件：\n2025年3月1日\n"
    )
    date = signature_date(prepare(write(tmp_path, "dated.txt", text)))
    assert (date.value, date.raw) == ("2025-02-26", "2025年2月26日")


LISTS = """\
柳塘县文化馆2024年度部门整体支出绩效自评报告
一、基本情况
本馆现有人员14名。
二、存在的问题
主要存在以下问题：
（一）流动服务车辆老化，送书下乡频次受限。
（二）数字资源更新慢，年轻读者到馆率偏低。
三、下一步措施
1.申请更新流动服务车辆。
2.与高校合作采购数字资源。
柳塘县文化馆
2025年3月10日
"""


def test_points_a_section_lists_are_read_as_they_stand_with_no_model(tmp_path):
    prepared = prepare(write(tmp_path, "lists.txt", LISTS))
    assert "problems" in [request.kind.name for request in route(prepared)]
    asked: list[str] = []

    class EmptyAnswers:
        """A model that answers nothing, and notes what it was asked."""

        settings = Settings(concurrency=1)

        def ask(self, response_model, messages, name, context):
            asked.append(name)
            return Answer(data={}, valid=True)

    report = extract(prepared, EmptyAnswers())
    assert asked and not [name for name in asked if name.startswith(("problems", "measures"))]
    assert [fact.raw for fact in report.problems] == [
        "（一）流动服务车辆老化，送书下乡频次受限。",
        "（二）数字资源更新慢，年轻读者到馆率偏低。",
    ]
    assert [fact.raw for fact in report.measures] == [
        "1.申请更新流动服务车辆。",
        "2.与高校合作采购数字资源。",
    ]


def test_a_section_of_problems_and_measures_together_or_in_prose_is_asked(tmp_path):
    both = LISTS.replace("二、存在的问题", "二、存在的问题及改进措施")
    prose = LISTS.replace("（一）流动服务车辆", "流动服务车辆")
    for text in (both, prose):
        prepared = prepare(write(tmp_path, "report.txt", text))
        assert listed_points(prepared, KINDS["problems"]) == []


def test_a_date_retyped_is_the_chunks_own_and_a_quoted_null_is_nothing():
    from jixiao.extract.answers import HeaderAnswer, ListAnswer

    chunk = "柳塘县文化馆2024年度部门整体支出绩效自评报告\n柳塘县文化馆\n2025年3月2日"
    answer = HeaderAnswer.model_validate(
        {"unit_name": "柳塘县文化馆", "report_date": "2025-03-02", "doc_number": "null"},
        context={"chunk": chunk},
    )
    assert (answer.report_date, answer.doc_number) == ("2025年3月2日", None)
    # A date the chunk does not hold is still sent back to the model.
    with pytest.raises(ValidationError, match="不在原文中"):
        HeaderAnswer.model_validate({"report_date": "2025-03-03"}, context={"chunk": chunk})
    items = ListAnswer.model_validate({"items": ["null", "柳塘县文化馆"]}, context={"chunk": chunk})
    assert items.items == ["柳塘县文化馆"]


def test_a_sum_retyped_is_the_chunks_own_but_a_unit_added_is_not():
    from jixiao.extract.answers import BudgetAnswer

    chunk = "全年支出146,280元，年初预算150000。"
    answer = BudgetAnswer.model_validate(
        {"total_expenditure": "146280.00元"}, context={"chunk": chunk}
    )
    assert answer.total_expenditure == "146,280元"
    # 150000 is written with no unit: 150000元 is the model's, not the source's.
    with pytest.raises(ValidationError, match="不在原文中"):
        BudgetAnswer.model_validate({"initial_budget": "150000元"}, context={"chunk": chunk})
