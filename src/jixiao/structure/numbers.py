"""One parser for every way the reports write a quantity.

``7,036,205.17``, ``352.60万元``, ``≥95%``, ``＝100``, ``63.20万人``,
``100%-80%(含)``, ``十二个`` — each becomes a `Quantity` with its exact
decimal value, the unit as written, the multiplier to a base unit (money
always to 元), the comparator and its span. Values stay `Decimal` so that
checks compare what the source wrote, not a binary approximation of it.

Chinese numerals count only when a counter follows them (``十二个``): that
keeps heading numbers (``十二、``), ``一是`` and ``三公`` out.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache

import cn2an

# Full-width forms and look-alikes map one character to one character, so a
# match on the translated string has the same offsets as on the original.
_ONE_TO_ONE = str.maketrans(
    {**{chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}, "≧": "≥", "≦": "≤"}
)

_MONEY = {"亿元": 10**8, "万元": 10**4, "千元": 10**3, "元": 1}
_COUNTERS = [
    "人次",
    "人",
    "次",
    "个月",
    "个",
    "家",
    "项",
    "名",
    "户",
    "件",
    "份",
    "篇",
    "条",
    "批",
    "轮",
    "场",
    "所",
    "天",
    "个工作日",
    "工作日",
    "小时",
    "学时",
    "课时",
    "分",
    "辆",
    "台",
    "套",
    "册",
    "本",
    "期",
    "班",
    "棵",
    "株",
    "平方米",
    "亩",
    "公顷",
    "公里",
    "千米",
    "米",
    "吨",
    "岁",
    "元/人",
]
_LARGE = {"亿": 10**8, "万": 10**4}


# A page a mirror site converted writes units in traditional characters; the
# base unit stays the simplified one, so that figures compare across reports.
_TRADITIONAL = {
    "万": "萬",
    "亿": "億",
    "户": "戶",
    "个": "個",
    "项": "項",
    "场": "場",
    "条": "條",
    "辆": "輛",
    "册": "冊",
    "亩": "畝",
    "吨": "噸",
    "岁": "歲",
    "轮": "輪",
    "课": "課",
    "学": "學",
    "时": "時",
    "顷": "頃",
    "千米": "千米",
}


def _traditional(unit: str) -> str:
    return "".join(_TRADITIONAL.get(ch, ch) for ch in unit)


def _units() -> dict[str, tuple[int, str | None]]:
    """Every unit as written → (multiplier, base unit)."""
    units: dict[str, tuple[int, str | None]] = {"%": (1, "%")}
    for money, factor in _MONEY.items():
        units[money] = (factor, "元")
        units[f"{money}/人"] = (factor, "元/人")
    for counter in _COUNTERS:
        units.setdefault(counter, (1, counter))
        for prefix, factor in _LARGE.items():
            units.setdefault(prefix + counter, (factor, counter))
    for prefix, factor in _LARGE.items():
        units.setdefault(prefix, (factor, None))
    for unit, meaning in list(units.items()):
        units.setdefault(_traditional(unit), meaning)
    return units


UNITS = _units()
_UNIT = "|".join(re.escape(unit) for unit in sorted(UNITS, key=len, reverse=True))
_COUNTER_UNIT = "|".join(
    re.escape(unit)
    for unit in sorted(UNITS, key=len, reverse=True)
    # 十分 means "very", not ten points.
    if unit not in {"%", "万", "亿", "分"}
)
_ARABIC = r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_CN_DIGITS = "零〇一二两三四五六七八九十"
_CHINESE = rf"[{_CN_DIGITS}百千万亿]*[{_CN_DIGITS}][{_CN_DIGITS}百千万亿]*"
_COMPARATOR = r">=|<=|≥|≤|=|>|<"

_PATTERN = re.compile(
    rf"""
    (?:(?P<comparator>{_COMPARATOR})\s?)?
    (?:
        (?<![\d.A-Za-z-])(?P<number>{_ARABIC})(?![\d])(?:[ \t]?(?P<unit>{_UNIT}))?
        (?:\s?[-~～—至]\s?(?P<number_to>{_ARABIC})(?![\d-])(?:[ \t]?(?P<unit_to>{_UNIT}))?)?
        (?:\s?(?P<inclusive>[(（]含[)）]))?
      |
        # 第一次 and 其一 are ordinals, 一次性 is an adjective.
        (?<![第其])(?P<chinese>{_CHINESE})(?P<counter>{_COUNTER_UNIT})(?!性)
    )
    """,
    re.VERBOSE,
)
_BARE_CHINESE = re.compile(rf"(?P<chinese>{_CHINESE})")
_COMPARATORS = {">=": "≥", "<=": "≤"}


@dataclass(frozen=True)
class Quantity:
    """A number as a report wrote it, at ``text[start:end]``."""

    raw: str
    start: int
    end: int
    number: Decimal
    unit: str | None = None
    multiplier: int = 1
    base_unit: str | None = None
    comparator: str | None = None
    decimals: int = 0
    # A range such as ``100%-80%(含)``: `number` is its first bound.
    number_to: Decimal | None = None
    inclusive: bool = False

    @property
    def value(self) -> float:
        return float(self.number)

    @property
    def base_value(self) -> Decimal:
        """The value in the base unit: ``352.60万元`` → ``3526000`` 元."""
        return self.number * self.multiplier

    @property
    def tolerance(self) -> Decimal:
        """Half a unit in the last place the source wrote, in the base unit:
        ``352.60万元`` stands for anything within ± 0.005 万元."""
        return Decimal(5).scaleb(-self.decimals - 1) * self.multiplier


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity in running text, left to right."""
    return [_quantity(match, text) for match in _PATTERN.finditer(text.translate(_ONE_TO_ONE))]


# Figures that say where and when, not how much: dates, years, 文号, page and
# telephone numbers, list and heading numbers, table and annex numbers.
NOT_A_MEASURE = re.compile(
    r"\d{4}\s*年(?:度|\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?"
    r"|\d{1,2}\s*月\s*\d{1,2}\s*日|\d{1,2}\s*月(?:份|底|末|初)"
    r"|[〔\[(（]\d{4}[〕\])）]\s*\d+\s*号|第\s*\d+\s*[页号条款章节批次]"
    r"|\d{3,4}-\d{7,8}|1\d{10}|[-—]\s*\d+\s*[-—]"
    r"|^\s*[（(]?\d{1,2}[)）.、．]|(?:表|附件|附表)\s*\d+(?:-\d+)?",
    re.MULTILINE,
)


def find_measures(text: str, quantities: Sequence[Quantity]) -> list[Quantity]:
    """Of the quantities found in `text`, those that measure something: not a
    date, year, 文号, page, telephone, list or table number."""
    taken = [match.span() for match in NOT_A_MEASURE.finditer(text)]
    starts = [start for start, _ in taken]

    def is_taken(quantity: Quantity) -> bool:
        index = bisect_right(starts, quantity.start) - 1
        return index >= 0 and quantity.start < taken[index][1]

    return [quantity for quantity in quantities if not is_taken(quantity)]


# Table cells repeat (`2`, `100%`, `-`) and every stage asks again.
@lru_cache(maxsize=8192)
def parse_quantity(text: str) -> Quantity | None:
    """The quantity that a whole string (a table cell, a model's ``raw``) is, or None.

    ``"合规 100%"``, ``"-"``, ``"/"`` and words are not quantities; surrounding
    whitespace is allowed, and a bare Chinese numeral counts as a cell value.
    """
    translated = text.translate(_ONE_TO_ONE)
    stripped = translated.strip()
    offset = len(translated) - len(translated.lstrip())
    match = _PATTERN.fullmatch(stripped) or _BARE_CHINESE.fullmatch(stripped)
    if match is None:
        return None
    quantity = _quantity(match, stripped, original=text[offset : offset + len(stripped)])
    return _shifted(quantity, offset) if offset else quantity


def _quantity(match: re.Match[str], text: str, original: str | None = None) -> Quantity:
    groups = match.groupdict()
    comparator = groups.get("comparator")
    raw = original if original is not None else text[match.start() : match.end()]
    if groups.get("chinese"):
        unit = groups.get("counter")
        number = Decimal(int(cn2an.cn2an(groups["chinese"], "smart")))
        decimals = 0
        number_to = None
    else:
        unit = groups["unit"] or groups["unit_to"]
        number = Decimal(groups["number"].replace(",", ""))
        decimals = _decimals(groups["number"])
        number_to = Decimal(groups["number_to"].replace(",", "")) if groups["number_to"] else None
    multiplier, base_unit = UNITS[unit] if unit else (1, None)
    return Quantity(
        raw=raw,
        start=match.start(),
        end=match.end(),
        number=number,
        unit=unit,
        multiplier=multiplier,
        base_unit=base_unit,
        comparator=_COMPARATORS.get(comparator, comparator) if comparator else None,
        decimals=decimals,
        number_to=number_to,
        inclusive=bool(groups.get("inclusive")),
    )


def _decimals(number: str) -> int:
    _, _, fraction = number.partition(".")
    return len(fraction)


def _shifted(quantity: Quantity, offset: int) -> Quantity:
    return replace(quantity, start=quantity.start + offset, end=quantity.end + offset)
