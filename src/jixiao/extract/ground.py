"""From the model's quotes to facts: each quote found in the lines it was sent
(spacing and punctuation width aside), its figure parsed by the code, what
cannot be found or parsed rejected with the reason."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from decimal import Decimal

from jixiao.check import (
    FIELD_LABELS,
)
from jixiao.extract.align import find_date, locate_in
from jixiao.extract.route import Request
from jixiao.messages import M_, N_, Message
from jixiao.records import (
    Fact,
    Rejected,
    Report,
)
from jixiao.structure import Prepared
from jixiao.structure.numbers import Quantity, find_quantities

# Requests run in threads; counts and rejections are added under this lock.
_COUNTING = threading.Lock()


class Grounding:
    """Turns the model's quotes into facts, or into rejections with reasons."""

    def __init__(self, prepared: Prepared, report: Report) -> None:
        self.prepared = prepared
        self.text = prepared.document.text
        self.report = report
        # The request and the answer each model-read field came from, for a re-ask.
        self.sources: dict[str, tuple[Request, dict]] = {}

    def reject(self, path: str, raw: str | None, reason: Message) -> None:
        with _COUNTING:
            self.report.rejected.append(Rejected.because(path, raw, reason))

    def text_fact(self, path: str, raw: str | None, spans: list[tuple[int, int]]) -> Fact | None:
        if raw is None or not str(raw).strip():
            return None
        found = locate_in(str(raw), self.text, self.prepared.words, spans)
        if found is None:
            self.reject(path, str(raw), M_("not in the source"))
            return None
        start, end = found
        return Fact(
            value=self.text[start:end].strip(), raw=self.text[start:end], start=start, end=end
        )

    def number_fact(
        self, path: str, raw: str | None, spans: list[tuple[int, int]], expect: str
    ) -> Fact | None:
        """A figure: found in the source, exactly one quantity, of the kind expected
        (``money``, ``percent``, ``count``, ``score``, ``year``)."""
        if raw is None or not str(raw).strip():
            return None
        label = FIELD_LABELS.get(path)
        label_pattern = re.compile(label) if label else None
        found = locate_in(str(raw), self.text, self.prepared.words, spans, label_pattern)
        if found is None:
            self.reject(path, str(raw), M_("not in the source"))
            return None
        quantities = find_quantities(self.text[found[0] : found[1]])
        if len(quantities) != 1:
            self.reject(
                path, str(raw), M_("not one figure") if quantities else M_("no figure in it")
            )
            return None
        quantity = _with_following_unit(self.text, quantities[0], found[0])
        fact = quantity_fact(quantity, expect)
        if fact is None:
            self.reject(path, quantity.raw, M_(_NOT_A[expect]))
        return fact


# A sentence for each kind of figure, so that each translates whole.
_NOT_A = {
    "money": N_("not a money figure"),
    "percent": N_("not a percent figure"),
    "count": N_("not a count figure"),
    "score": N_("not a score figure"),
    "year": N_("not a year figure"),
}


def _with_following_unit(text: str, quantity: Quantity, offset: int) -> Quantity:
    """The quantity at its place in the document, taking in a unit the quote left off
    (the model quoted ``352.60`` where the source says ``352.60万元``)."""
    start, end = offset + quantity.start, offset + quantity.end
    if quantity.unit is None:
        following = find_quantities(text[start : min(len(text), end + 6)])
        if following and following[0].start == 0 and following[0].unit is not None:
            quantity = following[0]
            end = start + following[0].end
    return replace(quantity, start=start, end=end)


_MONEY_UNITS = {"亿元": 10**8, "万元": 10**4, "千元": 10**3, "元": 1}
_EXPECTED_UNITS: dict[str, set[str | None]] = {
    "money": {"元"},
    "percent": {"%"},
    "count": {"人", "名", None},
    "score": {"分", None},
    "year": {None},
}


def quantity_fact(quantity: Quantity, expect: str, table_unit: str | None = None) -> Fact | None:
    """A fact from a parsed quantity, money in 元; None when its unit does not fit."""
    base_unit = quantity.base_unit
    value: Decimal = quantity.base_value
    if quantity.unit is None and table_unit:
        # A bare figure under a table's stated unit, or in a column of rates.
        if expect == "money" and table_unit in _MONEY_UNITS:
            value, base_unit = quantity.number * _MONEY_UNITS[table_unit], "元"
        elif expect == "percent" and table_unit == "%":
            base_unit = "%"
    elif expect == "money" and base_unit is None and quantity.multiplier > 1:
        # 预算1,531.20万: a sum of money written without its 元, as budget
        # sentences often are; 万 and 亿 already scale the figure.
        base_unit = "元"
    if base_unit not in _EXPECTED_UNITS[expect]:
        return None
    if expect == "year" and not 1990 <= value <= 2100:
        return None
    number: float | int = int(value) if value == value.to_integral_value() else float(value)
    unit = base_unit or ("分" if expect == "score" else None)
    return Fact(value=number, unit=unit, raw=quantity.raw, start=quantity.start, end=quantity.end)


def _date_fact(grounding: Grounding, path: str, raw: str, spans) -> Fact | None:
    fact = grounding.text_fact(path, raw, spans)
    if fact is None:
        return None
    found = find_date(fact.raw)
    if found is None:
        grounding.reject(path, raw, M_("not a date"))
        return None
    value, match = found
    if value is None:
        grounding.reject(path, raw, M_("not a plausible date"))
        return None
    start = fact.start + match.start()
    return Fact(value=value, raw=match.group(), start=start, end=start + len(match.group()))
