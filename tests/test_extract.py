"""Grounding and table facts: the parts of extraction that need no model."""

import pytest
from conftest import gold, prepared

from jixiao.evaluate import iter_facts
from jixiao.extract import (
    Grounding,
    budget_facts,
    indicator_records,
    locate,
    locate_in,
    route,
)
from jixiao.records import DocumentInfo, Report
from jixiao.structure import prepare


def empty_report(text):
    info = DocumentInfo(
        path="x", sha256="0", format="txt", encoding="utf-8", chars=len(text), text=text
    )
    return Report(document=info)


def test_locate_forgives_spacing_quotes_and_punctuation_width():
    source = "政策解读 “接地气” 不够；\n预算 818.93 万元"
    assert locate("政策解读‘接地气’不够;", source) == (0, 14)
    start, end = locate("818.93万元", source)
    assert source[start:end] == "818.93 万元"
    assert locate("819.93万元", source) is None


def test_a_quote_may_run_over_lines_but_not_over_text_left_out():
    text = "第一行问题；\n第二行问题；\n中间一段没有发送。\n第三行问题；"
    lines = [(0, 6), (7, 13), (24, 30)]
    # The text is in simplified characters already: its words are itself.
    assert locate_in("第一行问题；第二行问题；", text, text, lines) == (0, 13)
    assert locate_in("第二行问题；第三行问题；", text, text, lines) is None


def grounding_of(tmp_path, text):
    """The grounding of an empty record of `text`, prepared as a report."""
    path = tmp_path / "report.txt"
    path.write_text(text, encoding="utf-8")
    prepared = prepare(path)
    return Grounding(prepared, empty_report(prepared.document.text))


def test_number_facts_take_their_unit_from_the_source(tmp_path):
    text = "全年支出818.93万元，执行率100%，在职41人。"
    grounding = grounding_of(tmp_path, text)
    spans = [(0, len(text))]
    money = grounding.number_fact("budget.total_expenditure", "818.93", spans, "money")
    assert (money.value, money.unit, money.raw) == (8189300, "元", "818.93万元")
    assert text[money.start : money.end] == money.raw
    rate = grounding.number_fact("budget.execution_rate", "100%", spans, "percent")
    assert (rate.value, rate.unit) == (100, "%")
    assert grounding.number_fact("staffing.actual", "41人", spans, "count").value == 41


@pytest.mark.parametrize(
    ("raw", "expect", "reason"),
    [
        ("900万元", "money", "not in the source"),
        ("41人", "money", "not a money figure"),
        ("执行率", "percent", "no figure in it"),
    ],
)
def test_what_the_source_does_not_support_is_rejected_with_a_reason(tmp_path, raw, expect, reason):
    text = "全年支出818.93万元，执行率100%，在职41人。"
    grounding = grounding_of(tmp_path, text)
    assert grounding.number_fact("f", raw, [(0, len(text))], expect) is None
    rejected = grounding.report.rejected
    assert [(r.path, r.raw, r.reason) for r in rejected] == [("f", raw, reason)]


@pytest.mark.parametrize("name", ["000", "001", "002", "003"])
def test_indicator_facts_come_from_the_table_at_their_offsets(name):
    report = prepared(name)
    text = report.document.text
    records = [r.model_dump() for r in indicator_records(report.tables, text)]
    assert len(records) == sum(len(t.indicators) for t in report.tables)
    facts = list(iter_facts(records))
    assert facts
    assert all(text[f["start"] : f["end"]] == f["raw"] for f in facts)


@pytest.mark.parametrize("name", ["002", "003"])
def test_budget_tables_fill_the_budget_without_the_model(name):
    facts = budget_facts(prepared(name).tables)
    expected = gold(name)["budget"]
    for field, fact in facts.items():
        assert fact.value == pytest.approx(expected[field]), field


def test_routing_sends_only_lines_that_can_answer():
    report = prepared("000")
    requests = {r.kind.name: r for r in route(report)}
    assert "45" in requests["staffing"].text and "41" in requests["staffing"].text
    assert len(requests["staffing"].text) < 200
    assert "1020" in requests["three_public"].text
    assert requests["problems"].text.startswith("七、存在的问题及原因分析")
    assert "参保扩面攻坚" not in requests["problems"].text
    assert "2025年5月12日" in requests["header"].text


def test_three_public_from_the_column_of_the_year_evaluated():
    from jixiao.extract import _three_public_from_tables
    from jixiao.records import Fact

    report = prepared("002")
    record = empty_report(report.document.text)
    record.fiscal_year = Fact(value=2024, raw="2024", start=0, end=4)
    _three_public_from_tables(record, report.tables)
    assert (record.three_public.budget.value, record.three_public.actual.value) == (17000, 14600)
    text = report.document.text
    assert text[record.three_public.actual.start : record.three_public.actual.end] == "1.46"

    unknown_year = empty_report(report.document.text)
    _three_public_from_tables(unknown_year, report.tables)
    assert unknown_year.three_public.budget is None  # two years, none chosen


def test_signature_date_before_an_annex_is_sent():
    from jixiao.extract import header_request

    assert "2025年6月11日" in header_request(prepared("002")).text


def test_a_request_too_long_for_the_context_is_split_and_asked_again():
    from fake_openai import FakeServer, Step, reply

    from jixiao.extract import KINDS, Request, _asked
    from jixiao.extract.llm import ModelClient, Settings

    text = "核定人员编制45名。\n实际在职人数41人。"
    report = empty_report(text)
    request = Request(KINDS["staffing"], [(0, 10), (11, 21)], text)
    too_long = Step(
        status=400, body='{"error": {"message": "maximum context length is 2048 tokens"}}'
    )
    steps = [too_long, reply('{"authorized": "45名"}'), reply('{"actual": "41人"}')]
    with FakeServer(steps) as server:
        client = ModelClient(
            Settings(base_url=server.url, model="fake", backoff=0.01), use_cache=False
        )
        parts = _asked(client, request, report)
    assert [part.answer for part in parts] == [
        {"authorized": "45名", "actual": None},
        {"authorized": None, "actual": "41人"},
    ]
    assert [part.text for part in parts] == ["核定人员编制45名。", "实际在职人数41人。"]
    assert report.usage.calls == 2


def test_an_answer_cut_by_the_output_budget_splits_a_table_request_keeping_its_titles():
    """An answer that max_tokens cut off (the local fake server says so with
    finish_reason "length") is asked again about half the rows, titles leading
    each half; it never fails the report."""
    import json

    from fake_openai import FakeServer, Step, completion, reply

    from jixiao.extract import TABLE, Request, _asked
    from jixiao.extract.llm import ModelClient, Settings

    text = "三级指标指标值\n巡查里程≥80公里\n设施完好率≥95%"
    report = empty_report(text)
    request = Request(TABLE, [(0, 7), (8, 17), (18, 27)], text)
    cut = json.loads(completion('{"rows": [{"level3": "巡查'))
    cut["choices"][0]["finish_reason"] = "length"

    def answer(body: dict) -> Step:
        asked = body["messages"][1]["content"]
        if "巡查里程" in asked and "设施完好率" in asked:
            return Step(body=json.dumps(cut))  # every try at the whole table is cut
        name, target = ("巡查里程", "≥80公里") if "巡查里程" in asked else ("设施完好率", "≥95%")
        return reply(json.dumps({"rows": [{"level3": name, "target": target}]}))

    with FakeServer(answer) as server:
        client = ModelClient(Settings(base_url=server.url, model="fake"), use_cache=False)
        parts = _asked(client, request, report)
    assert [part.text for part in parts] == [
        "三级指标指标值\n巡查里程≥80公里",
        "三级指标指标值\n设施完好率≥95%",
    ]
