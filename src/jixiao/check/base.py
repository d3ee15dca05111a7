"""What every check reads: a fact's figure with the tolerance its written
precision allows, the context a check looks in (the text, its tables and
sections), and the making of a verdict."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from jixiao.messages import Message
from jixiao.records import Check, Fact, Report, SectionSpan, get
from jixiao.structure.labels import same_length_simplified
from jixiao.structure.numbers import Quantity, find_quantities, parse_quantity
from jixiao.structure.tables import Table

_MONEY_UNITS = {"亿元": 10**8, "万元": 10**4, "千元": 10**3, "元": 1}


@dataclass(frozen=True)
class Figure:
    """A fact's value with the tolerance its written precision allows."""

    path: str
    value: Decimal
    tolerance: Decimal
    fact: Fact

    def __str__(self) -> str:
        """The figure as written, with its value where the unit came from elsewhere."""
        written = _quantity(self.fact.raw)
        if written is not None and written.unit is None and self.fact.unit == "元":
            return f"{self.fact.raw} ({_plain(self.value)}元)"
        return self.fact.raw


def figure(path: str, fact: Fact | None) -> Figure | None:
    if fact is None or isinstance(fact.value, str):
        return None
    value = Decimal(str(fact.value))
    written = _quantity(fact.raw)
    if written is None or written.number == 0:
        return Figure(path, value, Decimal("0.5"), fact)
    scale = abs(value / written.number) if written.number else Decimal(1)
    return Figure(path, value, Decimal(5).scaleb(-written.decimals - 1) * scale, fact)


def _quantity(raw: str) -> Quantity | None:
    quantity = parse_quantity(raw)
    if quantity is None:
        found = find_quantities(raw)
        quantity = found[0] if len(found) == 1 else None
    return quantity


@dataclass
class Context:
    report: Report
    text: str
    tables: list[Table]
    sections: list[SectionSpan]

    @cached_property
    def words(self) -> str:
        """The text with its words in simplified characters, every offset kept: what
        the checks' keywords (其中, 占, 执行率, 项目 …) are looked for in, so that a
        report in traditional characters is checked like any other."""
        return same_length_simplified(self.text)

    def figure(self, path: str) -> Figure | None:
        return figure(path, get(self.report, path))

    def heading_at(self, position: int) -> str:
        """The headings of the sections that hold `position`."""
        return " ".join(s.title for s in self.sections if s.start <= position < s.body_end)

    def table_at(self, position: int) -> Table | None:
        return next((t for t in self.tables if t.start <= position < t.end), None)

    def multiplier_at(self, position: int) -> int:
        """What a bare figure at `position` is worth in 元: its table's stated unit."""
        table = self.table_at(position)
        return _MONEY_UNITS.get(table.unit, 1) if table and table.unit else 1


def clause_before(text: str, position: int) -> str:
    """The words of the clause that a figure at `position` closes (back to the
    last comma-like break on its line): where a source names a figure."""
    before = text[text.rfind("\n", 0, position) + 1 : position]
    clause = re.split(r"[，,；;。]", before)[-1]
    return clause if clause.strip() else before[-30:]


def _check(check_id: str, status: str, message: Message, facts: list[str]) -> Check:
    return Check(id=check_id, status=status, message=str(message), template=message, facts=facts)  # type: ignore[arg-type]


def _plain(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
