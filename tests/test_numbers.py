from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jixiao.structure.numbers import UNITS, find_quantities, parse_quantity


@pytest.mark.parametrize(
    ("text", "number", "unit", "base_value", "comparator", "decimals"),
    [
        ("7,047,418.83", "7047418.83", None, "7047418.83", None, 2),
        ("818.93万元", "818.93", "万元", "8189300", None, 2),
        ("7.425亿元", "7.425", "亿元", "742500000", None, 3),
        ("1020 元", "1020", "元", "1020", None, 0),
        ("91.11%", "91.11", "%", "91.11", None, 2),
        ("100.00 %", "100.00", "%", "100", None, 2),
        ("≥95%", "95", "%", "95", "≥", 0),
        ("≤611.34万元", "611.34", "万元", "6113400", "≤", 2),
        ("＝100", "100", None, "100", "=", 0),
        (">=90%", "90", "%", "90", "≥", 0),
        ("<=100%", "100", "%", "100", "≤", 0),
        ("71.85万人", "71.85", "万人", "718500", None, 2),
        ("4.81万人", "4.81", "万人", "48100", None, 2),
        ("-1", "-1", None, "-1", None, 0),
        ("十二", "12", None, "12", None, 0),
        ("十二个", "12", "个", "12", None, 0),
        ("≧8次", "8", "次", "8", "≥", 0),
        ("５００元/人", "500", "元/人", "500", None, 0),
    ],
)
def test_sample_forms(text, number, unit, base_value, comparator, decimals):
    quantity = parse_quantity(text)
    assert quantity is not None
    assert quantity.number == Decimal(number)
    assert quantity.unit == unit
    assert quantity.base_value == Decimal(base_value)
    assert quantity.comparator == comparator
    assert quantity.decimals == decimals
    assert (quantity.start, quantity.end) == (0, len(text))
    assert quantity.raw == text


def test_range_keeps_both_bounds():
    quantity = parse_quantity("100%-80%(含)")
    assert (quantity.number, quantity.number_to, quantity.unit) == (100, 80, "%")
    assert quantity.inclusive


@pytest.mark.parametrize(
    "text", ["-", "/", "", "合规 100%", "明显提升", "2024年12月31日前", "100%以上"]
)
def test_not_one_quantity(text):
    assert parse_quantity(text) is None


def test_surrounding_whitespace_shifts_the_span():
    quantity = parse_quantity("  98% ")
    assert (quantity.raw, quantity.start, quantity.end) == ("98%", 2, 5)


def test_tolerance_follows_the_written_precision():
    assert parse_quantity("818.93万元").tolerance == Decimal(50)  # ± 0.005 万元
    assert parse_quantity("91.11%").tolerance == Decimal("0.005")
    assert parse_quantity("41人").tolerance == Decimal("0.5")


def test_chinese_numerals_only_where_they_count():
    text = "一是加强管理；二、工作成效；三公经费下降；第一次会议；一次性补助；十分重要；新增十二个定点机构，培训三批"
    found = [(q.raw, q.number, q.unit) for q in find_quantities(text)]
    assert found == [("十二个", 12, "个"), ("三批", 3, "批")]


def test_running_text_spans_point_at_the_raw_text():
    text = "在职人员41人，控制率91.11%，三公经费支出0.4万元；日期2024-01-15。"
    quantities = find_quantities(text)
    assert [q.raw for q in quantities] == ["41人", "91.11%", "0.4万元", "2024"]
    for quantity in quantities:
        assert text[quantity.start : quantity.end] == quantity.raw


def test_identifiers_are_not_numbers():
    assert find_quantities("GB18030 编码，No.5 文件") == []


# --- properties --------------------------------------------------------------

_units = st.sampled_from([None, *sorted(UNITS)])
_comparators = st.sampled_from([None, "≥", "≤", ">=", "<=", "=", "＝", ">", "<"])


@st.composite
def written_quantities(draw):
    """A quantity as a report might write it, and what it should parse to."""
    integer = draw(st.integers(min_value=0, max_value=10**12))
    decimals = draw(st.integers(min_value=0, max_value=4))
    fraction = draw(st.integers(min_value=0, max_value=10**decimals - 1)) if decimals else 0
    grouped = draw(st.booleans())
    whole = f"{integer:,}" if grouped else str(integer)
    digits = whole + (f".{fraction:0{decimals}d}" if decimals else "")
    unit = draw(_units)
    space = draw(st.sampled_from(["", " "])) if unit else ""
    comparator = draw(_comparators)
    text = f"{comparator or ''}{digits}{space}{unit or ''}"
    number = Decimal(f"{integer}" + (f".{fraction:0{decimals}d}" if decimals else ""))
    return text, number, unit, decimals, comparator


@given(written_quantities())
def test_written_quantities_parse_back(case):
    text, number, unit, decimals, comparator = case
    quantity = parse_quantity(text)
    assert quantity is not None, text
    assert quantity.number == number
    assert quantity.unit == unit
    assert quantity.decimals == decimals
    assert quantity.base_value == (number * UNITS[unit][0] if unit else number)
    expected = {">=": "≥", "<=": "≤", "＝": "="}.get(comparator, comparator)
    assert quantity.comparator == expected


@given(
    written_quantities(),
    st.text(alphabet="的是在了和有年度工作经费情况，。；：", max_size=12),
    st.text(alphabet="的是在了和有工作经费情况，。；：", max_size=12),
)
def test_quantities_are_found_inside_running_text(case, before, after):
    text, number, unit, _, _ = case
    sentence = before + text + after
    quantities = find_quantities(sentence)
    assert len(quantities) == 1, (sentence, quantities)
    quantity = quantities[0]
    assert sentence[quantity.start : quantity.end] == text
    assert quantity.number == number and quantity.unit == unit


@given(st.text(max_size=60))
def test_any_text_is_safe_to_scan(text):
    for quantity in find_quantities(text):
        assert text[quantity.start : quantity.end] == quantity.raw


def test_a_sum_written_without_its_yuan_is_money_where_money_is_asked():
    from jixiao.extract.ground import quantity_fact

    fact = quantity_fact(parse_quantity("1,980.40万"), "money")
    assert fact is not None and (fact.value, fact.unit) == (19_804_000, "元")
    assert quantity_fact(parse_quantity("3.5億"), "money").value == 350_000_000
    assert quantity_fact(parse_quantity("12万人"), "money") is None  # people, not money
