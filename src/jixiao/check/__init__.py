"""Deterministic cross-checks: every figure against the source, and the source
against itself.

Each check is a small function that reads facts by their JSON paths and
returns `Check` results with the arithmetic in the message. Tolerances come
from the precision the source wrote (``352.60万元`` is ± 0.005 万元). The
verdicts act on the record:

- ``hallucination``: the value is not what the source says where it says it;
  the fact leaves the record for `rejected`, and the checks of the source
  against itself run without it;
- ``source_inconsistency``: the figures are all in the source and disagree;
  they stay, flagged ``source_inconsistent`` with the arithmetic;
- ``unit_anomaly``: they agree only with a unit ×10⁴ off; flagged;
- ``unverifiable``: not enough figures to tell, or (``ocr_low_confidence``)
  figures read from text that OCR was unsure of: their notes say so, and a
  reviewer compares them with the scan; ``pass``: they agree.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

import cn2an

from jixiao.records import (
    Check,
    Fact,
    IndicatorRecord,
    Rejected,
    Report,
    SectionSpan,
    drop_fact,
    fact_holder,
    facts_of,
    get,
    path_order,
)
from jixiao.structure.labels import same_length_simplified, simplified, without_glosses
from jixiao.structure.numbers import Quantity, find_quantities, parse_quantity
from jixiao.structure.sections import build_sections, flatten
from jixiao.structure.tables import BudgetLine, Indicator, Table, build_tables, find_text_grids

_MONEY_UNITS = {"亿元": 10**8, "万元": 10**4, "千元": 10**3, "元": 1}
_UNIT_SLIPS = (Decimal(10) ** 4, Decimal(10) ** -4)


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


# --- the checks ---------------------------------------------------------------


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


def check_grounding(context: Context) -> list[Check]:
    """Each fact's raw is at its offsets, and re-reading it gives its value."""
    results = []
    for path, fact in facts_of(context.report):
        if context.text[fact.start : fact.end] != fact.raw:
            results.append(
                _check(
                    "grounding",
                    "hallucination",
                    f"“{fact.raw}” is not at {fact.start}–{fact.end} in the source",
                    [path],
                )
            )
            continue
        if isinstance(fact.value, str):
            continue
        written = _quantity(fact.raw)
        if written is None:
            results.append(
                _check("grounding", "hallucination", f"“{fact.raw}” holds no single figure", [path])
            )
            continue
        value = Decimal(str(fact.value))
        # A written unit fixes the value; a bare sum of money takes its table's unit.
        multiplier = context.multiplier_at(fact.start) if fact.unit == "元" else 1
        candidates = {
            written.base_value if written.unit is not None else written.number * multiplier
        }
        if value not in candidates:
            results.append(
                _check(
                    "grounding",
                    "hallucination",
                    f"{fact.value} is not what “{fact.raw}” says",
                    [path],
                )
            )
    return results


def _sum_check(
    context: Context,
    check_id: str,
    parts: list[str],
    whole: str,
    label: str,
    other_parts: str | None = None,
) -> list[Check]:
    """`parts` add up to `whole`. Where the whole may hold parts the record has
    no field for (`other_parts` names them), parts short of the whole are no
    disagreement of the source's: nothing shows the rest, so it is unverifiable."""
    figures = [context.figure(path) for path in parts]
    total = context.figure(whole)
    if total is None or any(f is None for f in figures):
        return []
    known = [f for f in figures if f is not None]
    added = sum((f.value for f in known), Decimal(0))
    tolerance = sum((f.tolerance for f in known), total.tolerance)
    unit = total.fact.unit or ""
    arithmetic = " + ".join(str(f) for f in known) + f" = {_plain(added)}{unit}"
    paths = [*parts, whole]
    if abs(added - total.value) <= tolerance:
        return [_check(check_id, "pass", f"{label}: {arithmetic} = {total}", paths)]
    if other_parts and added < total.value:
        message = (
            f"{label}: {arithmetic}, stated {total}: {other_parts} may make up the "
            f"{_plain(total.value - added)}{unit}, but nothing shows them"
        )
        return [_check(check_id, "unverifiable", message, paths)]
    if any(
        abs(added * slip - total.value) <= tolerance * slip + total.tolerance
        for slip in _UNIT_SLIPS
    ):
        return [
            _check(
                check_id,
                "unit_anomaly",
                f"{label}: {arithmetic}, stated {total}: a unit ×10⁴ off",
                paths,
            )
        ]
    return [
        _check(
            check_id,
            "source_inconsistency",
            f"{label}: {arithmetic}, but the source states {total}",
            paths,
        )
    ]


def check_budget_identities(context: Context) -> list[Check]:
    """personnel + public = basic; basic + project = total; total ÷ budget = rate."""
    results = _sum_check(
        context,
        "budget.basic_parts",
        ["budget.personnel_expenditure", "budget.public_expenditure"],
        "budget.basic_expenditure",
        "personnel + public = basic",
        # Some sources count 对个人和家庭的补助 apart from both.
        other_parts="other basic spending (对个人和家庭的补助 …)",
    )
    results += _sum_check(
        context,
        "budget.total_parts",
        ["budget.basic_expenditure", "budget.project_expenditure"],
        "budget.total_expenditure",
        "basic + project = total",
    )
    spent, budget, rate = (
        context.figure(f"budget.{name}")
        for name in ("total_expenditure", "full_year_budget", "execution_rate")
    )
    if spent and budget and rate and budget.value:
        results.append(
            _ratio_check("budget.execution_rate", spent, budget, rate, "total ÷ full-year budget")
        )
    return results


def _ratio_check(check_id: str, part: Figure, whole: Figure, share: Figure, label: str) -> Check:
    computed = part.value / whole.value * 100
    # The rounding of both figures, carried into the ratio, plus the share's own.
    tolerance = share.tolerance + computed * (
        part.tolerance / max(part.value, Decimal("1e-9")) + whole.tolerance / whole.value
    )
    arithmetic = f"{part} ÷ {whole} = {computed:.2f}%"
    paths = [part.path, whole.path, share.path]
    if abs(computed - share.value) <= tolerance:
        return _check(check_id, "pass", f"{label}: {arithmetic} = {share}", paths)
    for slip in _UNIT_SLIPS:
        if abs(computed * slip - share.value) <= tolerance * slip:
            return _check(
                check_id,
                "unit_anomaly",
                f"{label}: {arithmetic}, stated {share}: a unit ×10⁴ off",
                paths,
            )
    return _check(
        check_id,
        "source_inconsistency",
        f"{label}: {arithmetic}, but the source states {share}",
        paths,
    )


def check_indicators(context: Context) -> list[Check]:
    """Score ≤ weight per row; scores against the self-score."""
    report = context.report
    results = []
    weights, scores = Decimal(0), Decimal(0)
    for index, row in enumerate(report.indicators):
        weight = figure(f"indicators[{index}].weight", row.weight)
        score = figure(f"indicators[{index}].score", row.score)
        if score:  # a table of targets only (002's annex) adds no weight
            weights += weight.value if weight else 0
            scores += score.value
        if weight and score and score.value > weight.value + weight.tolerance + score.tolerance:
            results.append(
                _check(
                    "indicator.score_le_weight",
                    "source_inconsistency",
                    f"{row.level3}: score {score} above its weight {weight}",
                    [score.path, weight.path],
                )
            )
    stated = context.figure("self_score")
    if stated is None or not report.indicators:
        return results
    paths = ["self_score", "indicators[*].score"]
    listed = f"the indicator scores add up to {_plain(scores)} of a weight of {_plain(weights)}"
    if abs(scores - stated.value) <= Decimal("0.05"):
        return [*results, _check("indicator.self_score", "pass", f"{listed} = {stated}", paths)]
    elsewhere = _scored_elsewhere(context.tables)
    for label, extra in elsewhere:
        if abs(scores + extra - stated.value) <= Decimal("0.05"):
            message = f"{listed}; with {label} scored {_plain(extra)} elsewhere: {_plain(scores + extra)} = {stated}"
            return [*results, _check("indicator.self_score", "pass", message, paths)]
    missing = Decimal(100) - weights
    if missing > 0 and abs(stated.value - scores) <= missing:
        message = f"{listed}, self-score {stated}: the {_plain(missing)} points not listed may explain it, but nothing shows them"
        return [*results, _check("indicator.self_score", "unverifiable", message, paths)]
    return [
        *results,
        _check(
            "indicator.self_score",
            "source_inconsistency",
            f"{listed}, but the self-score is {stated}",
            paths,
        ),
    ]


def _scored_elsewhere(tables: list[Table]) -> list[tuple[str, Decimal]]:
    """Scores that budget tables give (the 得分 of budget execution)."""
    found = []
    for table in tables:
        for line in table.budget:
            for title, quantity in line.values.items():
                if "得分" in title:
                    found.append((f"{line.label} (得分)", quantity.number))
    return found


_SHARE = re.compile(
    r"(?P<denominator>占(?P<whole>总支出|支出总额|全年支出|预算)?[^，。；%\d]{0,6}?)(?:比例?)?(?:为|的)?\s*(?P<share>\d+(?:\.\d+)?%)"
)


def check_stated_shares(context: Context) -> list[Check]:
    """`X，占 Y 的 p%` wherever the text states it, and 人员控制率."""
    text = context.words
    results = []
    for sentence in re.finditer(r"[^。\n]+", text):
        body = sentence.group()
        for match in _SHARE.finditer(body):
            part = _last_money(body[: match.start()], sentence.start())
            whole = _whole(context, body, match, sentence.start(), part)
            share = _quantity_at(match.group("share"), sentence.start() + match.start("share"))
            if part is None or whole is None or not whole.value:
                continue
            results.append(_ratio_check("text.stated_share", part, whole, share, "stated share"))
    authorized, actual = context.figure("staffing.authorized"), context.figure("staffing.actual")
    control = re.search(r"人员控制率\s*(?:为)?\s*(\d+(?:\.\d+)?%)", text)
    if authorized and actual and control and authorized.value:
        share = _quantity_at(control.group(1), control.start(1))
        results.append(
            _ratio_check("staffing.control_rate", actual, authorized, share, "人员控制率")
        )
    return results


def _quantity_at(raw: str, start: int) -> Figure:
    quantity = parse_quantity(raw)
    assert quantity is not None
    fact = Fact(
        value=float(quantity.number),
        unit=quantity.base_unit,
        raw=raw,
        start=start,
        end=start + len(raw),
    )
    return figure(f"text@{start}", fact)  # type: ignore[return-value]


def _money_figures(segment: str, offset: int) -> list[Figure]:
    figures = []
    for quantity in find_quantities(segment):
        if quantity.base_unit == "元":
            fact = Fact(
                value=float(quantity.base_value),
                unit="元",
                raw=quantity.raw,
                start=offset + quantity.start,
                end=offset + quantity.end,
            )
            figures.append(figure(f"text@{offset + quantity.start}", fact))
    return [f for f in figures if f is not None]


def _last_money(segment: str, offset: int) -> Figure | None:
    """The amount a share refers to: the last one before 占, not one inside a
    parenthesis that breaks it down (基本支出 312.40 万元（包括…27.15 万元），占…)."""
    figures = [
        f
        for f in _money_figures(segment[-80:], offset + max(0, len(segment) - 80))
        if not _inside_parentheses(segment, f.fact.start - offset)
    ]
    return figures[-1] if figures else None


def _inside_parentheses(segment: str, position: int) -> bool:
    before = segment[:position]
    return before.count("（") + before.count("(") > before.count("）") + before.count(")")


def _whole(
    context: Context, body: str, match: re.Match[str], offset: int, part: Figure | None
) -> Figure | None:
    whole = match.group("whole")
    if whole == "预算":
        # 占预算 is a share of whichever budget the sentence is about: the 三公
        # one only where the sentence or its section speaks of 三公; elsewhere
        # it may be a project's, which the record does not tie to the sentence.
        around = context.heading_at(offset + match.start()) + body
        if re.search(FIELD_CONTEXT["three_public.budget"], around):
            return context.figure("three_public.budget")
        return None
    if whole:
        return context.figure("budget.total_expenditure")
    # 占比: the amount the sentence opened with, the one its parts come from.
    figures = _money_figures(body[: match.start()], offset)
    return (
        figures[0]
        if figures and part is not None and figures[0].fact.start != part.fact.start
        else None
    )


_TOP_ROW = re.compile(r"^\s*[一二三四五六七八九十]+、")
_SUB_ROW = re.compile(r"^\s*(其中|[（(][一二三四五六七八九十\d]+[)）]|\d+\.)")


# Rows that divide a total between them, by the budget field their label names:
# spending by kind, or funds by source. Others (人员经费 under 基本支出) are parts
# of a part.
_DIVISIONS = (
    {"basic_expenditure", "project_expenditure"},
    {"appropriation", "carried_over", "other_funds"},
)


def _named_parts(lines: list[BudgetLine]) -> list[BudgetLine]:
    """The rows that divide the total, where their labels say so."""
    for division in _DIVISIONS:
        parts = [line for line in lines if line.meaning in division]
        if len(parts) >= 2:
            return parts
    return []


def check_budget_tables(context: Context) -> list[Check]:
    """A budget table's rows add up to its 总计/合计, column by column: the rows
    numbered 一、二、 where there are such, else every row but sub-rows (（一）, 其中)."""
    results = []
    for table in context.tables:
        lines = table.budget
        total = next(
            (line for line in lines if re.fullmatch(r"(总计|合计)[:：]?", line.label.strip())), None
        )
        if total is None:
            continue
        others = [line for line in lines if line is not total]
        numbered = [line for line in others if _TOP_ROW.match(line.label)]
        parts = (
            numbered
            or _named_parts(others)
            or [line for line in others if not _SUB_ROW.match(line.label)]
        )
        if not parts:
            continue
        for column, stated in total.values.items():
            if "率" in column or "得分" in column:
                continue
            values = [line.values[column] for line in parts if column in line.values]
            if not values:
                continue
            added = sum((q.number for q in values), Decimal(0))
            tolerance = sum((q.tolerance for q in values), stated.tolerance)
            message = f"{column}: {len(values)} rows add up to {_plain(added)}"
            status = "pass" if abs(added - stated.number) <= tolerance else "source_inconsistency"
            message += (
                f" = {stated.raw}" if status == "pass" else f", but the table states {stated.raw}"
            )
            results.append(
                _check("table.column_total", status, message, [f"text@{total.cells[column].start}"])
            )
    return results


def check_unit_slips(context: Context) -> list[Check]:
    """Figures whose stated unit is off by ×10⁴: an amount in 元 that is a record
    figure in 万元 (`186.47 元` for 186.47万元), and a table headed 万元 whose figures are
    far beyond the report's whole budget unless they are 元."""
    money = [
        f
        for path, fact in facts_of(context.report)
        if fact.unit == "元" and (f := figure(path, fact)) is not None and f.value > 0
    ]
    results = []
    for quantity in find_quantities(context.text):
        if quantity.unit != "元" or quantity.number <= 0:
            continue
        slipped = quantity.number * 10**4
        for known in money:
            tolerance = known.tolerance + quantity.tolerance * 10**4
            if abs(slipped - known.value) <= tolerance and known.fact.start != quantity.start:
                message = f"“{quantity.raw}” is {known} ({known.path}) read in 万元: the source's unit is off"
                results.append(
                    _check("unit.text", "unit_anomaly", message, [f"text@{quantity.start}"])
                )
                break
    largest = max((f.value for f in money), default=Decimal(0))
    for table in context.tables:
        if table.unit not in ("万元", "亿元") or not largest:
            continue
        multiplier = 10**4 if table.unit == "万元" else 10**8
        cells = [
            c for row in table.rows for c in row if (q := parse_quantity(c.text)) and q.unit is None
        ]
        huge = [c for c in cells if parse_quantity(c.text).number * multiplier > largest * 100]  # type: ignore[union-attr]
        if huge:
            message = (
                f"the table at {table.start} is headed 单位：{table.unit}, but {huge[0].text} {table.unit} "
                f"would be more than 100 times the report's largest figure ({_plain(largest)}元): "
                "its figures read as 元"
            )
            results.append(_check("unit.table", "unit_anomaly", message, [f"text@{huge[0].start}"]))
    return results


def check_indicator_cells(context: Context) -> list[Check]:
    """An indicator's figures are the cells of its own row and column: the right
    number in the wrong row or column is no figure of this indicator. A row no
    table holds was read by the model from a region no layout could cut into
    cells (a form flattened onto a line, cells run together), where a row keeps
    to one line: its figures stand on a line that names it."""
    rows: dict[str, list] = {}
    for table in context.tables:
        for indicator in table.indicators:
            rows.setdefault(indicator.level3, []).append(indicator)
    results = []
    for index, record in enumerate(context.report.indicators):
        candidates = rows.get(record.level3 or "", [])
        for role in ("target", "actual", "weight", "score"):
            fact = getattr(record, role)
            if fact is None:
                continue
            if candidates or context.table_at(fact.start) is not None:
                if (fact.start, fact.end) in [c.spans.get(role) for c in candidates]:
                    continue
                message = f"“{fact.raw}” is not in the {role} cell of the row “{record.level3}”"
            elif record.level3 and record.level3 in _line_of(context.text, fact.start):
                continue
            else:
                message = f"“{fact.raw}” is not on a line of the row “{record.level3}”"
            path = f"indicators[{index}].{role}"
            results.append(_check("indicator.cell", "hallucination", message, [path]))
    return results


def _line_of(text: str, position: int) -> str:
    end = text.find("\n", position)
    return text[text.rfind("\n", 0, position) + 1 : len(text) if end < 0 else end]


# Words a source puts next to a figure of each field (in its clause, or in its
# table row and column).
FIELD_LABELS = {
    "budget.initial_budget": "年初预算|年初",
    "budget.full_year_budget": "预算",
    "budget.total_expenditure": "支出|决算|执行数|总额|合计|总计",
    "budget.basic_expenditure": "基本支出",
    "budget.personnel_expenditure": "人员经费|人员支出|工资",
    "budget.public_expenditure": "公用经费|公用支出",
    "budget.project_expenditure": "项目",
    "budget.execution_rate": "执行率",
    "three_public.budget": "预算|年初|安排",
    "three_public.actual": "支出|实际|执行|决算",
    "staffing.authorized": "编制",
    "staffing.actual": "在职|实有|在编|实际|现有",
}
# Fields whose figure must also stand under a heading, row or sentence naming them.
FIELD_CONTEXT = {"three_public.budget": "三公", "three_public.actual": "三公"}


def check_labels(context: Context) -> list[Check]:
    """A figure is what the source says it is: its clause (or its table row and
    column) names the field. The right number under another label is rejected."""
    results = []
    for path, pattern in FIELD_LABELS.items():
        fact = get(context.report, path)
        if fact is None:
            continue
        label = _label_of(context, fact)
        surroundings = (
            label + " " + context.heading_at(fact.start) + " " + _sentence(context.text, fact.start)
        )
        wider = FIELD_CONTEXT.get(path)
        # A mirror's page is in traditional characters, pinyin after some of them.
        label, surroundings = without_glosses(label), without_glosses(surroundings)
        if not re.search(pattern, label) or (wider and not re.search(wider, surroundings)):
            message = f"the source labels “{fact.raw}” as “{label.strip()[-20:]}”, not as {path}"
            results.append(_check("grounding.label", "hallucination", message, [path]))
    return results


def check_title_block(context: Context) -> list[Check]:
    """This report's 文号 stands on a line of its own in the title block; a 文号
    inside a sentence is another document's, cited."""
    fact = context.report.doc_number
    if fact is None:
        return []
    text = context.text
    end = text.find("\n", fact.end)
    line = text[text.rfind("\n", 0, fact.start) + 1 : end if end >= 0 else len(text)]
    if line.strip() == fact.raw.strip():
        return [
            _check("grounding.doc_number", "pass", f"“{fact.raw}” heads the report", ["doc_number"])
        ]
    message = f"“{fact.raw}” is cited inside a sentence, not this report's own 文号"
    return [_check("grounding.doc_number", "hallucination", message, ["doc_number"])]


def _label_of(context: Context, fact: Fact) -> str:
    table = context.table_at(fact.start)
    if table is not None:
        for line in table.budget:
            for title, cell in line.cells.items():
                if cell.start == fact.start and title != "label":
                    return f"{line.label} {title}"
        row = next((r for r in table.rows if any(c.start <= fact.start < c.end for c in r)), [])
        return " ".join(c.text for c in row if c.end <= fact.start) + " " + " ".join(table.header)
    return clause_before(context.text, fact.start)


def _sentence(text: str, position: int) -> str:
    start = max(text.rfind(mark, 0, position) for mark in "。\n") + 1
    return text[start:position]


def clause_before(text: str, position: int) -> str:
    """The words of the clause that a figure at `position` closes (back to the
    last comma-like break on its line): where a source names a figure."""
    before = text[text.rfind("\n", 0, position) + 1 : position]
    clause = re.split(r"[，,；;。]", before)[-1]
    return clause if clause.strip() else before[-30:]


_COMPARATIVE = re.compile(r"较|增加|减少|同比|上年|增长|下降")


def check_breakdowns(context: Context) -> list[Check]:
    """`合计 X，其中 A a、B b` in one sentence: the parts add up to the whole
    (amounts in parentheses, and comparisons with last year, are no parts)."""
    results = []
    for sentence in re.finditer(r"[^。\n]+", context.words):
        body, offset = sentence.group(), sentence.start()
        splits = list(re.finditer(r"其中[:：，,]?", body))
        for number, split in enumerate(splits):
            before = _money_figures(body[: split.start()], offset)
            if not before:
                continue
            whole = before[-1]
            # The parts run to the next 其中, whose own whole is no part, and stop
            # where a finer list (包括, ①) begins.
            following = splits[number + 1].start() if number + 1 < len(splits) else len(body)
            tail = body[split.end() : following]
            base = offset + split.end()
            parts = []
            for figure_ in _money_figures(tail, base):
                position = figure_.fact.start - base
                clause = re.split(r"[，,；;、]", tail[:position])[-1]
                if _inside_parentheses(tail, position) or _COMPARATIVE.search(clause):
                    continue
                parts.append(figure_)
            if number + 1 < len(splits) and parts:
                parts.pop()
            finer = next(
                (
                    m.start()
                    for m in re.finditer(r"包括|①", tail)
                    if not _inside_parentheses(tail, m.start())
                ),
                None,
            )
            if finer is not None:
                parts = [f for f in parts if f.fact.start - base < finer]
            results += _breakdown(whole, parts)
    return results


def _breakdown(whole: Figure, parts: list[Figure]) -> list[Check]:
    """The parts add up to the whole; a list may go on past its parts (基金滚存结余
    after the spending items), so a run of at least two from the first will do."""
    if len(parts) < 2:
        return []
    paths = [whole.path, *(f.path for f in parts)]
    for count in range(2, len(parts) + 1):
        run = parts[:count]
        added = sum((f.value for f in run), Decimal(0))
        if abs(added - whole.value) <= sum((f.tolerance for f in run), whole.tolerance):
            arithmetic = " + ".join(str(f) for f in run)
            return [
                _check(
                    "text.breakdown", "pass", f"其中: {arithmetic} = {whole}", paths[: count + 1]
                )
            ]
    added = sum((f.value for f in parts), Decimal(0))
    arithmetic = " + ".join(str(f) for f in parts) + f" = {_plain(added / 10**4)}万元"
    message = f"其中: {arithmetic}, but the sentence states {whole}"
    return [_check("text.breakdown", "source_inconsistency", message, paths)]


_STATED_AS = {
    "budget.total_expenditure": "预算执行数|总支出|支出总额|支出合计",
    "budget.basic_expenditure": "基本支出",
    "budget.project_expenditure": "项目支出",
    "budget.personnel_expenditure": "人员经费",
    "budget.public_expenditure": "公用经费",
}


# Words that make an expenditure figure part of the whole (a project's, a
# category's: 资产配置预算执行数, 政府采购预算执行数).
_NOT_THE_WHOLE = r"项目|类|资产|采购|配置|经费"


def check_stated_twice(context: Context) -> list[Check]:
    """A field the text states with another figure elsewhere (`基本支出 284.10 万元`
    here, `312.40 万元` there) disagrees with itself, unless a figure the source
    states makes up the difference (96.3 + 1620.45 = 1716.75)."""
    results = []
    money = _money_figures(context.words, 0)
    explaining = [
        f for f in money if not _COMPARATIVE.search(clause_before(context.words, f.fact.start))
    ]
    for path, label in _STATED_AS.items():
        known = context.figure(path)
        if known is None:
            continue
        for other in money:
            clause = clause_before(context.words, other.fact.start)
            # A part, a share, a month's or last year's figure is another quantity.
            partial = re.search(r"其中|包括|占|月|上年|较", clause) or (
                path == "budget.total_expenditure" and re.search(_NOT_THE_WHOLE, clause)
            )
            if partial or not re.search(rf"({label})\s*(为|是|共|合计)?\s*$", clause):
                continue
            difference = abs(other.value - known.value)
            if difference <= other.tolerance + known.tolerance:
                continue
            through = next(
                (
                    f
                    for f in explaining
                    if abs(f.value - difference) <= f.tolerance + other.tolerance + known.tolerance
                ),
                None,
            )
            paths = [path, other.path]
            if through is not None:
                message = (
                    f"{path}: {known} and {other} differ by {through}, which the source states"
                )
                results.append(_check("text.stated_twice", "pass", message, paths))
            else:
                message = f"{path} is {known}, but the source also states {other}"
                results.append(_check("text.stated_twice", "source_inconsistency", message, paths))
    return results


_PROJECT_COUNT = re.compile(
    r"项目\s*(?:共)?\s*(\d+|[一二三四五六七八九十]+)\s*个|(\d+|[一二三四五六七八九十]+)\s*个项目"
)


def check_project_totals(context: Context) -> list[Check]:
    """Where a sentence counts the projects (`项目 4 个，当年财政拨款 268.90 万元`), the
    projects' budgets and spending add up to the amounts it states."""
    projects = context.report.projects
    results = []
    for sentence in re.finditer(r"[^。\n]+", context.words):
        body, offset = sentence.group(), sentence.start()
        counted = _PROJECT_COUNT.search(body)
        if counted is None or not projects:
            continue
        number = counted.group(1) or counted.group(2)
        count = int(number) if number.isdigit() else int(cn2an.cn2an(number, "smart"))
        if count != len(projects):
            continue
        for stated in _money_figures(body, offset):
            clause = clause_before(context.words, stated.fact.start)
            # The projects' total is named 项目 or follows their count; the
            # sentence's other figures are of other things (基本支出 …).
            if "项目" not in clause and stated.fact.start < offset + counted.start():
                continue
            role = (
                "actual"
                if re.search(r"支出|执行|决算|支付", clause)
                else "budget"
                if re.search(r"拨款|预算|下达", clause)
                else None
            )
            if role is None:
                continue
            figures = [
                figure(f"projects[{i}].{role}", getattr(p, role)) for i, p in enumerate(projects)
            ]
            if any(f is None for f in figures):
                continue
            results += _project_sum(role, [f for f in figures if f is not None], stated)
    return results


def _project_sum(role: str, figures: list[Figure], stated: Figure) -> list[Check]:
    added = sum((f.value for f in figures), Decimal(0))
    tolerance = sum((f.tolerance for f in figures), stated.tolerance)
    arithmetic = " + ".join(str(f) for f in figures) + f" = {_plain(added / 10**4)}万元"
    paths = [f.path for f in figures]
    label = f"the {len(figures)} projects' {role}"
    if abs(added - stated.value) <= tolerance:
        return [_check("projects.total", "pass", f"{label}: {arithmetic} = {stated}", paths)]
    if any(abs(added - stated.value * slip) <= tolerance * slip for slip in _UNIT_SLIPS):
        message = f"{label}: {arithmetic}, stated {stated}: a unit ×10⁴ off"
        return [_check("projects.total", "unit_anomaly", message, paths)]
    message = f"{label}: {arithmetic}, but the source states {stated}"
    return [_check("projects.total", "source_inconsistency", message, paths)]


_EXPRESSION = re.compile(
    r"(?P<expression>[（(]?\d[\d.]*(?:\s*[-+×*/÷]\s*[（(]?\d[\d.]*[)）]?%?|[)）])+)"
    r"\s*=\s*(?P<result>-?\d[\d.]*%?)"
)


def check_expressions(context: Context) -> list[Check]:
    """Arithmetic the source writes out (`7.56/28=0.27`, `（0.27-0.22）/0.22×100.00%=22.73%`)
    gives the result it states."""
    results = []
    for match in _EXPRESSION.finditer(context.text):
        expression, stated = match.group("expression"), match.group("result")
        computed = _evaluate(expression)
        if computed is None:
            continue
        percent = stated.endswith("%")
        value = Decimal(stated.rstrip("%"))
        decimals = len(stated.rstrip("%").partition(".")[2])
        tolerance = Decimal(5).scaleb(-decimals - 1) + abs(computed) * Decimal("0.005")
        message = f"{expression} = {_plain(round(computed, decimals + 2))}{'%' if percent else ''}"
        start = match.start()
        if abs(computed - value) <= tolerance:
            results.append(
                _check("text.expression", "pass", f"{message} = {stated}", [f"text@{start}"])
            )
        else:
            message = f"{message}, but the source writes {stated}"
            results.append(
                _check("text.expression", "source_inconsistency", message, [f"text@{start}"])
            )
    return results


_OPERATIONS = {"*": operator.mul, "/": operator.truediv, "+": operator.add, "-": operator.sub}


def _evaluate(expression: str) -> Decimal | None:
    """A written-out calculation, in Decimal; None unless it is only numbers,
    + - × ÷ and parentheses. `×100%` multiplies by 100 (the result is in %)."""
    cleaned = expression.replace("（", "(").replace("）", ")").replace("×", "*").replace("÷", "/")
    cleaned = re.sub(r"(\d[\d.]*)%", r"\1", cleaned)
    tokens = re.findall(r"\d+(?:\.\d+)?|[-+*/()]", cleaned)
    if "".join(tokens) != cleaned.replace(" ", ""):
        return None
    position = 0

    def number() -> Decimal:
        nonlocal position
        token = tokens[position]
        position += 1
        if token == "(":
            value = sum_()
            position += 1  # ")"
            return value
        if token == "-":
            return -number()
        return Decimal(token)

    def chain(operand: Callable[[], Decimal], symbols: str) -> Callable[[], Decimal]:
        """Operands joined by operators of one precedence, left to right."""

        def parse() -> Decimal:
            nonlocal position
            value = operand()
            while position < len(tokens) and tokens[position] in symbols:
                operation = _OPERATIONS[tokens[position]]
                position += 1
                value = operation(value, operand())
            return value

        return parse

    product = chain(number, "*/")
    sum_ = chain(product, "+-")

    try:
        return sum_()
    except (ArithmeticError, IndexError, ValueError):
        return None


_RATE_SENTENCE = re.compile(r"执行率\s*(?:为|达)?\s*(?P<rate>\d+(?:\.\d+)?%)")


def check_sentence_rates(context: Context) -> list[Check]:
    """`预算数 A … 决算数/支出 B … 执行率 p%` in one sentence: B ÷ A = p. Where no
    budget stands beside B, a rate that is B's share of the total spending is a
    share called an execution rate (312.40 ÷ 520.67 = 60.00%)."""
    results = []
    total = context.figure("budget.total_expenditure")
    for sentence in re.finditer(r"[^。\n]+", context.words):
        body, offset = sentence.group(), sentence.start()
        segment_start = 0
        for rate in _RATE_SENTENCE.finditer(body):
            budget = spent = None
            for figure_ in _money_figures(
                body[segment_start : rate.start()], offset + segment_start
            ):
                clause = re.split(r"[，,；;]", body[: figure_.fact.start - offset])[-1]
                if re.search(r"决算|执行数|支出|支付|使用", clause):
                    spent = figure_
                elif re.search(r"预算|拨款|下达", clause):
                    budget = figure_
            segment_start = rate.end()
            share = _quantity_at(rate.group("rate"), offset + rate.start("rate"))
            if spent is not None and budget is not None and budget.value:
                check = _ratio_check(
                    "text.execution_rate", spent, budget, share, "stated execution rate"
                )
                results.append(check)
            elif (
                spent is not None
                and total is not None
                and total.value
                and spent.value < total.value
            ):
                computed = spent.value / total.value * 100
                if abs(computed - share.value) <= share.tolerance + Decimal("0.01"):
                    message = (
                        f"execution rate {share} is {spent} ÷ {total} = {computed:.2f}%, "
                        "a share of the total spending, not spending ÷ budget"
                    )
                    paths = [spent.path, total.path, share.path]
                    results.append(
                        _check("text.execution_rate", "source_inconsistency", message, paths)
                    )
    return results


# Text that speaks to the model instead of reporting: a figure there is bait.
_INJECTION = re.compile(
    r"ignore\s+(all\s+|the\s+|any\s+|previous\s+|above\s+)*(instructions|prompts?|rules)"
    r"|disregard\s+(all\s+|the\s+|previous\s+)*instructions|system\s+prompt|you\s+are\s+now"
    r"|忽略.{0,8}(指令|指示|说明|要求|规则|提示)|无视.{0,8}(指令|要求|规则)|你现在是|系统提示|请(直接)?(报告|输出|填写).{0,10}(总|合计)",
    re.IGNORECASE,
)


def injection_lines(text: str) -> list[tuple[int, int]]:
    """The spans of lines that address a model (prompt injection)."""
    return [m.span() for m in re.finditer(r"[^\n]+", text) if addresses_the_model(m.group())]


def addresses_the_model(line: str) -> bool:
    """Whether a line gives the model orders, in either script."""
    return bool(_INJECTION.search(simplified(line)))


def check_injection(context: Context) -> list[Check]:
    """A fact read from a line that gives the model orders is rejected, whatever it says."""
    lines = injection_lines(context.text)
    results = []
    for path, fact in facts_of(context.report):
        if any(start <= fact.start < end for start, end in lines):
            message = f"“{fact.raw}” stands in a line that addresses the model (prompt injection)"
            results.append(_check("grounding.injection", "hallucination", message, [path]))
    return results


def check_ocr_confidence(context: Context) -> list[Check]:
    """A fact read from text that OCR was unsure of is only as good as that
    reading, and so is an indicator's figure whose row label it was: they stay,
    and a reviewer compares them with the scan."""
    readings = context.report.document.ocr_low_confidence
    if not readings:
        return []
    spans = [(path, fact.start, fact.end) for path, fact in facts_of(context.report)]
    for index, record in enumerate(context.report.indicators):
        row = _table_row(context, record)
        figures = [
            f"indicators[{index}].{role}"
            for role in ("target", "actual", "weight", "score")
            if getattr(record, role) is not None
        ]
        for role in ("level1", "level2", "level3"):
            cell = row.cells.get(role) if row else None
            if cell is not None:
                spans += [(path, cell.start, cell.end) for path in figures]
    results = []
    for reading in readings:
        paths = [path for path, start, end in spans if start < reading.end and reading.start < end]
        if paths:
            read = context.text[reading.start : reading.end]
            message = (
                f"OCR read “{read}” on page {reading.page} with confidence "
                f"{reading.confidence:.2f}: compare it with the scan"
            )
            results.append(
                _check("ocr_low_confidence", "unverifiable", message, list(dict.fromkeys(paths)))
            )
    return results


def _table_row(context: Context, record: IndicatorRecord) -> Indicator | None:
    """The table row an indicator record was read from: its level-3 label, and a
    figure of it where the row has that figure."""
    placed = {
        (fact.start, fact.end)
        for fact in (record.target, record.actual, record.weight, record.score)
        if fact is not None
    }
    return next(
        (
            row
            for table in context.tables
            for row in table.indicators
            if row.level3 == record.level3 and placed & set(row.spans.values())
        ),
        None,
    )


# Each figure against the source: what fails one of these is not the source's
# figure (`hallucination`).
SOURCE_CHECKS: list[Callable[[Context], list[Check]]] = [
    check_injection,
    check_indicator_cells,
    check_labels,
    check_title_block,
    check_grounding,
]
# The source against itself. They run on the figures the source checks left,
# so that a verdict against the source rests on the source's own figures: a
# figure the model put in the wrong field would otherwise make a consistent
# source look inconsistent.
CONSISTENCY_CHECKS: list[Callable[[Context], list[Check]]] = [
    check_budget_identities,
    check_stated_shares,
    check_indicators,
    check_budget_tables,
    check_unit_slips,
    check_breakdowns,
    check_expressions,
    check_sentence_rates,
    check_stated_twice,
    check_project_totals,
    check_ocr_confidence,
]


def evaluate_checks(report: Report, tables: Sequence[Table] | None = None) -> list[Check]:
    """Every check's results on a record, without acting on them. `tables` are the
    report's tables when the pipeline has them at hand; else they are read from
    the grids the record stored."""
    text = report.document.text
    found = list(tables) if tables is not None else record_tables(report)
    sections = record_sections(report, found)
    context = Context(report, text, found, sections)
    results = [result for check in SOURCE_CHECKS for result in check(context)]
    rejected = rejected_facts(report, results)
    if rejected:
        context = Context(_without(report, rejected), text, found, sections)
    return results + [result for check in CONSISTENCY_CHECKS for result in check(context)]


def record_tables(report: Report) -> list[Table]:
    """The tables of a record, read from the grids the pipeline stored with it by
    the function the pipeline read them with: the tables extraction saw."""
    document = report.document
    if document.grids is None:
        return _guessed_tables(document.text)
    return build_tables([grid.grid(document.text) for grid in document.grids])


def record_sections(report: Report, tables: Sequence[Table]) -> list[SectionSpan]:
    """The sections the pipeline stored with a record."""
    document = report.document
    if document.sections is None:
        return _guessed_sections(document.text, tables)
    return document.sections


# Records written before records carried their structure (jixiao 0.x, until
# grids and sections were stored in `document`) can only have it read from
# their text again. That guesses a Word file's tables from its flattened text,
# and may disagree with what extraction saw: such a record is best ingested again.


def _guessed_tables(text: str) -> list[Table]:
    return build_tables(find_text_grids(text))


def _guessed_sections(text: str, tables: Sequence[Table]) -> list[SectionSpan]:
    skip = [(table.start, table.end) for table in tables]
    return [
        SectionSpan(title=s.title, level=s.level, start=s.start, body_end=s.body_end)
        for s in flatten(build_sections(text, skip))
    ]


def rejected_facts(report: Report, results: Sequence[Check]) -> dict[str, str]:
    """The facts that `hallucination` verdicts take out of the record, with why.
    A reviewer's word stands: a confirmed or corrected fact (a value the reviewer
    entered, say) keeps its place, and the check still says why."""
    facts = dict(facts_of(report))
    return {
        path: result.message
        for result in results
        if result.status == "hallucination"
        for path in result.facts
        if path in facts and facts[path].status not in _REVIEWED
    }


def _without(report: Report, paths: Iterable[str]) -> Report:
    """A copy of the record with these facts emptied. A list item is emptied, not
    taken out, so that every other fact keeps its path for the verdicts to name."""
    copy = report.model_copy(deep=True)
    for path in paths:
        holder, last = fact_holder(copy, path)
        if last.startswith("["):
            holder[int(last[1:-1])] = None  # type: ignore[index]
        else:
            setattr(holder, last, None)
    return copy


def run_checks(report: Report, tables: Sequence[Table] | None = None) -> list[Check]:
    """Run every check on a record and act on the verdicts; the results are also
    stored in `report.checks`."""
    results = evaluate_checks(report, tables)
    facts = dict(facts_of(report))
    dropped = rejected_facts(report, results)
    for result in results:
        if result.status == "hallucination":
            continue
        if result.id == "ocr_low_confidence":
            for path in result.facts:
                _add_note(facts[path], result.message)
            continue
        status = _FLAGS.get(result.status)
        for path in result.facts if status else []:
            fact = facts.get(path)
            if fact is not None and fact.status == "verified":
                fact.status = status  # type: ignore[assignment]
                fact.note = result.message
    # Last item first, so that taking one out leaves the paths of the others right.
    for path in sorted(dropped, key=path_order, reverse=True):
        report.rejected.append(Rejected(path=path, raw=facts[path].raw, reason=dropped[path]))
        drop_fact(report, path)
    report.checks = results
    return results


_FLAGS = {"source_inconsistency": "source_inconsistent", "unit_anomaly": "unit_anomaly"}
_REVIEWED = ("confirmed", "corrected")


def _add_note(fact: Fact, note: str) -> None:
    """Add to a fact's note; re-running the checks on a record adds nothing twice."""
    if fact.note is None:
        fact.note = note
    elif note not in fact.note:
        fact.note = f"{fact.note}; {note}"


def _check(check_id: str, status: str, message: str, facts: list[str]) -> Check:
    return Check(id=check_id, status=status, message=message, facts=facts)  # type: ignore[arg-type]


def _plain(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
