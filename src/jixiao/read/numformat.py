"""A spreadsheet number as the sheet shows it, from its value and number format.

Spreadsheets store a number as a binary float and show it through a format
code (``0.00``, ``#,##0.00``, ``0.00%``); a report's reader sees only what is
shown, so 0.952 under ``0.00%`` is read as 95.20%, never as 0.952. The codes
reports use are the decimal ones: the digits, the thousands separator, the
percent sign, literal text and a section for negatives. Dates are shown the
ISO way (2024-03-15), whatever their code; codes this module does not know
(fractions, exponents) show the number as the General format does.

No library formats Excel codes in Python (openpyxl and xlrd read them only),
hence this module.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

# Excel keeps 15 significant digits and General shows at most 11 characters of
# them; 10 significant digits drop the noise of binary floats (0.1+0.2).
_GENERAL_DIGITS = 10

# A code's pieces: quoted text, an escaped character, a bracketed part (colour,
# condition, locale or currency [$¥-804]), a padding (_x) or fill (*x) character.
_TOKEN = re.compile(r'"([^"]*)"|\\(.)|\[([^\]]*)\]|_.|\*.|(.)', re.DOTALL)
_PLACEHOLDERS = re.compile(r"[0#?][0#?,]*(?:\.[0#?]*)?|\.[0#?]+")


def general(value: float) -> str:
    """A number as the General format shows it: integers without ``.0``, others
    to ten significant digits, never in exponent form."""
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    if not math.isfinite(value):
        return str(value)
    digits = Decimal(f"{value:.{_GENERAL_DIGITS}g}")
    return _plain(digits)


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def shown(value: float, code: str | None) -> str:
    """`value` as a cell with number format `code` shows it."""
    if not code or code.lower() in ("general", "@") or not math.isfinite(value):
        return general(value)
    sections = _compiled(code)
    parsed, sign = sections[0], "-" if value < 0 else ""
    if value < 0 and len(sections) > 1:
        # A negative section writes the sign itself, as text: (1,234.00) or -1,234.00.
        parsed, sign = sections[1], ""
    elif value == 0 and len(sections) > 2:
        parsed = sections[2]
    if parsed.kind == "date":
        # A date code the reader did not recognise leaves the serial number.
        return _serial_date(value)
    if parsed.kind == "text":
        # A section of text only ("-" for zero) shows that text.
        return "".join(parsed.literal)
    if parsed.pattern is None:
        return general(value)
    pattern = parsed.pattern
    number = Decimal(f"{abs(value):.15g}") * (100**pattern.percent)
    before, after = parsed.literal[: pattern.at], parsed.literal[pattern.at :]
    return sign + "".join(before) + pattern.render(number) + "".join(after)


_EPOCH = datetime(1899, 12, 30)


def _serial_date(value: float) -> str:
    """An Excel date serial as an ISO date (and time, if it has one)."""
    try:
        moment = _EPOCH + timedelta(days=value)
    except OverflowError:
        return general(value)
    return show_date(moment)


def show_date(moment: date | datetime | time | timedelta) -> str:
    """A date or time as ISO writes it, without a midnight time or zero seconds."""
    if isinstance(moment, timedelta):
        seconds = int(moment.total_seconds())
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    if isinstance(moment, datetime):
        if moment.time() == time():
            return moment.date().isoformat()
        return moment.isoformat(sep=" ", timespec="seconds" if moment.second else "minutes")
    if isinstance(moment, time):
        return moment.isoformat(timespec="seconds" if moment.second else "minutes")
    return moment.isoformat()


@cache
def _compiled(code: str) -> list[_Section]:
    """A code's sections, parsed once: a sheet uses a few codes for all its cells."""
    return [_parse(section) for section in _sections(code)]


def _sections(code: str) -> list[str]:
    """A code's sections (positive;negative;zero;text), split outside quotes."""
    sections: list[str] = []
    current: list[str] = []
    quoted = False
    for char in code:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            sections.append("".join(current))
            current = []
        else:
            current.append(char)
    sections.append("".join(current))
    return sections


class _Pattern:
    """The digits part of a section: how many decimals, thousands, scaling."""

    def __init__(self, placeholders: str, percent: int, at: int) -> None:
        integer, _, fraction = placeholders.partition(".")
        integer_digits = integer.rstrip(",")
        # Each comma after the digits divides by a thousand.
        self.scale = len(integer) - len(integer_digits)
        self.thousands = "," in integer_digits
        self.min_integer = integer_digits.count("0")
        self.decimals = len(fraction)
        self.min_decimals = len(fraction.rstrip("#?"))
        self.percent = percent
        self.at = at  # where among the literal pieces the number stands

    def render(self, number: Decimal) -> str:
        number = number / (1000**self.scale)
        rounded = number.quantize(Decimal(1).scaleb(-self.decimals), rounding=ROUND_HALF_UP)
        integer, _, fraction = f"{rounded:f}".partition(".")
        fraction = fraction.rstrip("0").ljust(self.min_decimals, "0")
        if integer == "0" and self.min_integer == 0:
            integer = ""
        integer = integer.rjust(self.min_integer, "0")
        if self.thousands and integer:
            integer = f"{int(integer):,}"
        return integer + ("." + fraction if fraction else "")


@dataclass
class _Section:
    literal: list[str]  # the text pieces, in order
    pattern: _Pattern | None  # the digits, None where the section has none
    kind: str  # "number", "text" (no digits), "date", or "other" (fractions, exponents)


def _parse(section: str) -> _Section:
    literal: list[str] = []
    code: list[str] = []  # the unquoted characters, a NUL where literal text stood
    percent, kind = 0, "number"
    for quoted, escaped, bracket, plain in _TOKEN.findall(section):
        if plain and plain in "0#?,.":
            code.append(plain)
            continue
        if plain.lower() in _DATE_LETTERS:
            kind = "date"
        elif plain and plain.lower() in "e/":
            kind = "other"
        elif plain == "%":
            percent += 1
        if plain or quoted or escaped:
            literal.append(plain or quoted or escaped)
            code.append("\0")
        elif bracket.startswith("$"):
            # [$¥-804]: a currency symbol, then the locale it is written for.
            literal.append(bracket[1:].split("-")[0])
            code.append("\0")
    text = "".join(code)
    found = _PLACEHOLDERS.search(text)
    if kind != "number" or found is None:
        return _Section(literal, None, "text" if kind == "number" else kind)
    at = text[: found.start()].count("\0")
    return _Section(literal, _Pattern(found.group(), percent, at), kind)


_DATE_LETTERS = set("ymdhs")
