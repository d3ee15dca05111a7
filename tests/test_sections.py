import pytest
from conftest import prepared

from jixiao.structure.sections import build_sections, flatten


def headings(name):
    text = prepared(name).document.text
    return [(s.level, text[s.start : s.end].strip()) for s in flatten(prepared(name).sections)]


def titles_at(name, level):
    return [title for lvl, title in headings(name) if lvl == level]


def test_000_top_level_is_one_to_nine():
    sections = prepared("000").sections
    assert [s.number for s in sections] == list("一二三四五六七八九")
    assert [s.title for s in sections][-1] == "其他需要说明的情况"


def test_000_every_heading():
    assert headings("000") == [
        (1, "一、部门、单位基本情况"),
        (2, "（一）机构设置情况"),
        (2, "（二）人员编制情况"),
        (2, "（三）主要职能职责"),
        (2, "（四）绩效目标设定情况"),
        (1, "二、部门整体支出管理及使用情况"),
        (2, "（一）预算执行、使用、管理总体情况"),
        (2, "（二）部门预算执行情况"),
        (3, "基本支出"),
        (3, "项目支出"),
        (2, "（三）“三公” 经费使用和管理情况"),
        (1, "三、政府性基金预算支出情况"),
        (1, "四、国有资本经营预算支出情况"),
        (1, "五、社会保险基金预算支出情况"),
        (1, "六、部门整体支出绩效情况"),
        (2, "（一）综合评价结论"),
        # The source numbers its second subsection （2） instead of （二）.
        (2, "（2） 评价指标分析"),
        (1, "七、存在的问题及原因分析"),
        (1, "八、下一步改进措施"),
        (1, "九、其他需要说明的情况"),
    ]


def test_001_restarting_numbering_keeps_the_tree():
    # 001 opens with 1、, skips 三, and goes back to 2、 after 七、.
    assert titles_at("001", 1) == [
        "1、 单位基本情况",
        "二、一般公共预算支出情况",
        "四、政府性基金预算支出情况",
        "五、国有资本经营预算支出情况",
        "六、社会保险基金预算支出情况",
        "七、部门整体支出绩效情况",
        "2、 存在的主要问题及下一步改进措施",
        "六、绩效自评结果拟应用和公开情况",
        "附表：1. 部门整体支出绩效评价指标评分表",
    ]
    seventh = prepared("001").sections[5]
    assert [c.number for c in seventh.children] == ["1", "2", "3", "4", "5"]


def test_002_four_levels_and_appendix():
    assert len(titles_at("002", 1)) == 5
    assert len(titles_at("002", 3)) == 9
    assert len(titles_at("002", 4)) == 21
    last = prepared("002").sections[-1]
    assert last.appendix and last.title == "附件：部门整体支出绩效目标完成情况自评表"


def test_003_mixed_width_parentheses_are_one_style():
    level2 = titles_at("003", 2)
    assert "（一）单位主要职能" in level2 and "(二) 内设机构及所属单位概况" in level2
    assert titles_at("003", 4) == ["(1) 部门管理情况", "（2）履职效果", "(3) 能力建设"]


@pytest.mark.parametrize("name", ["000", "001", "002", "003"])
def test_spans_nest_and_cover_their_bodies(name):
    text = prepared(name).document.text
    sections = flatten(prepared(name).sections)
    for section in sections:
        assert section.start < section.end <= section.body_end <= len(text)
        assert text[section.start : section.end].strip().endswith(section.title)
        for child in section.children:
            assert section.end <= child.start and child.body_end <= section.body_end
    starts = [s.start for s in sections]
    assert starts == sorted(starts)


def test_inline_enumerations_are_not_headings():
    text = (
        "一、存在的问题\n"
        "**一是**资金使用进度偏慢；二是绩效目标不够细化。\n"
        "主要做法：1、加强宣传，2、强化监管。\n"
        "二、改进措施\n"
        "（一）加强预算管理\n"
        "1、建立健全制度，严格执行预算，确保资金安全、规范、高效使用，不断提升财政资金使用效益。\n"
    )
    sections = flatten(build_sections(text))
    assert [(s.level, s.title) for s in sections] == [
        (1, "存在的问题"),
        (1, "改进措施"),
        (2, "加强预算管理"),
    ]


def test_levels_follow_the_order_styles_appear_in():
    text = "1. 总体情况\n正文。\n(1) 收入\n正文。\n(2) 支出\n正文。\n2. 问题\n正文。\n"
    sections = build_sections(text)
    assert [(s.number, s.level) for s in sections] == [("1", 1), ("2", 1)]
    assert [c.title for c in sections[0].children] == ["收入", "支出"]


def test_deep_nesting_does_not_break():
    styles = ["{}、", "（{}）", "{}.", "({})", "{}）", "第{}章 "]
    lines = [style.format(1) + f"标题{depth}" for depth, style in enumerate(styles)]
    sections = build_sections("\n".join(lines) + "\n")
    levels = [s.level for s in flatten(sections)]
    assert levels == sorted(levels) and levels[0] == 1
