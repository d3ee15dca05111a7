"""The source against itself, by arithmetic: the budget's identities, stated
shares and execution rates, breakdowns (其中), table and project totals,
written-out calculations, a figure stated twice, and units ×10⁴ off."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from decimal import Decimal

import cn2an

from jixiao.check.base import Context, Figure, _check, _plain, clause_before, figure
from jixiao.check.source import FIELD_CONTEXT
from jixiao.messages import M_, N_, Message, Value
from jixiao.records import Check, Fact, facts_of
from jixiao.structure.numbers import find_quantities, parse_quantity
from jixiao.structure.tables import BudgetLine

_UNIT_SLIPS = (Decimal(10) ** 4, Decimal(10) ** -4)


def _sum_check(
    context: Context,
    check_id: str,
    parts: list[str],
    whole: str,
    label: Message,
    other_parts: Message | None = None,
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
    said: dict[str, Value] = {"label": label, "arithmetic": arithmetic, "stated": str(total)}
    if abs(added - total.value) <= tolerance:
        return [_check(check_id, "pass", M_(_AGREE, **said), paths)]
    if other_parts and added < total.value:
        rest = f"{_plain(total.value - added)}{unit}"
        message = M_(
            "%(label)s: %(arithmetic)s, stated %(stated)s: %(others)s may make up the"
            " %(rest)s, but nothing shows them",
            others=other_parts,
            rest=rest,
            **said,
        )
        return [_check(check_id, "unverifiable", message, paths)]
    if any(
        abs(added * slip - total.value) <= tolerance * slip + total.tolerance
        for slip in _UNIT_SLIPS
    ):
        return [_check(check_id, "unit_anomaly", M_(_UNIT_OFF, **said), paths)]
    return [_check(check_id, "source_inconsistency", M_(_DISAGREE, **said), paths)]


# The verdicts of arithmetic on figures: `label` says what was computed,
# `arithmetic` how, and `stated` what the source states instead.
_AGREE = N_("%(label)s: %(arithmetic)s = %(stated)s")
_UNIT_OFF = N_("%(label)s: %(arithmetic)s, stated %(stated)s: a unit ×10⁴ off")
_DISAGREE = N_("%(label)s: %(arithmetic)s, but the source states %(stated)s")


def check_budget_identities(context: Context) -> list[Check]:
    """personnel + public = basic; basic + project = total; total ÷ budget = rate."""
    results = _sum_check(
        context,
        "budget.basic_parts",
        ["budget.personnel_expenditure", "budget.public_expenditure"],
        "budget.basic_expenditure",
        M_("personnel + public = basic"),
        # Some sources count 对个人和家庭的补助 apart from both.
        other_parts=M_("other basic spending (对个人和家庭的补助 …)"),
    )
    results += _sum_check(
        context,
        "budget.total_parts",
        ["budget.basic_expenditure", "budget.project_expenditure"],
        "budget.total_expenditure",
        M_("basic + project = total"),
    )
    spent, budget, rate = (
        context.figure(f"budget.{name}")
        for name in ("total_expenditure", "full_year_budget", "execution_rate")
    )
    if spent and budget and rate and budget.value:
        results.append(
            _ratio_check(
                "budget.execution_rate", spent, budget, rate, M_("total ÷ full-year budget")
            )
        )
    return results


def _ratio_check(
    check_id: str, part: Figure, whole: Figure, share: Figure, label: Message | str
) -> Check:
    computed = part.value / whole.value * 100
    # The rounding of both figures, carried into the ratio, plus the share's own.
    tolerance = share.tolerance + computed * (
        part.tolerance / max(part.value, Decimal("1e-9")) + whole.tolerance / whole.value
    )
    said: dict[str, Value] = {
        "label": label,
        "arithmetic": f"{part} ÷ {whole} = {computed:.2f}%",
        "stated": str(share),
    }
    paths = [part.path, whole.path, share.path]
    if abs(computed - share.value) <= tolerance:
        return _check(check_id, "pass", M_(_AGREE, **said), paths)
    for slip in _UNIT_SLIPS:
        if abs(computed * slip - share.value) <= tolerance * slip:
            return _check(check_id, "unit_anomaly", M_(_UNIT_OFF, **said), paths)
    return _check(check_id, "source_inconsistency", M_(_DISAGREE, **said), paths)


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
            results.append(
                _ratio_check("text.stated_share", part, whole, share, M_("stated share"))
            )
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
            said: dict[str, Value] = {
                "column": column,
                "rows": len(values),
                "sum": _plain(added),
                "stated": stated.raw,
            }
            if abs(added - stated.number) <= tolerance:
                status = "pass"
                message = M_("%(column)s: %(rows)s rows add up to %(sum)s = %(stated)s", **said)
            else:
                status = "source_inconsistency"
                message = M_(
                    "%(column)s: %(rows)s rows add up to %(sum)s, but the table states %(stated)s",
                    **said,
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
                message = M_(
                    "“%(raw)s” is %(known)s (%(path)s) read in 万元: the source's unit is off",
                    raw=quantity.raw,
                    known=str(known),
                    path=known.path,
                )
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
            message = M_(
                "the table at %(start)s is headed 单位：%(unit)s, but %(cell)s %(unit)s would be"
                " more than 100 times the report's largest figure (%(largest)s元):"
                " its figures read as 元",
                start=table.start,
                unit=table.unit,
                cell=huge[0].text,
                largest=_plain(largest),
            )
            results.append(_check("unit.table", "unit_anomaly", message, [f"text@{huge[0].start}"]))
    return results


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
            message = M_(
                "其中: %(arithmetic)s = %(stated)s",
                arithmetic=" + ".join(str(f) for f in run),
                stated=str(whole),
            )
            return [_check("text.breakdown", "pass", message, paths[: count + 1])]
    added = sum((f.value for f in parts), Decimal(0))
    arithmetic = " + ".join(str(f) for f in parts) + f" = {_plain(added / 10**4)}万元"
    message = M_(
        "其中: %(arithmetic)s, but the sentence states %(stated)s",
        arithmetic=arithmetic,
        stated=str(whole),
    )
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
            said: dict[str, Value] = {"path": path, "known": str(known), "other": str(other)}
            if through is not None:
                message = M_(
                    "%(path)s: %(known)s and %(other)s differ by %(through)s,"
                    " which the source states",
                    through=str(through),
                    **said,
                )
                results.append(_check("text.stated_twice", "pass", message, paths))
            else:
                message = M_("%(path)s is %(known)s, but the source also states %(other)s", **said)
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
    paths = [f.path for f in figures]
    label = (
        M_("the %(count)s projects' budget", count=len(figures))
        if role == "budget"
        else M_("the %(count)s projects' actual", count=len(figures))
    )
    said: dict[str, Value] = {
        "label": label,
        "arithmetic": " + ".join(str(f) for f in figures) + f" = {_plain(added / 10**4)}万元",
        "stated": str(stated),
    }
    if abs(added - stated.value) <= tolerance:
        return [_check("projects.total", "pass", M_(_AGREE, **said), paths)]
    if any(abs(added - stated.value * slip) <= tolerance * slip for slip in _UNIT_SLIPS):
        return [_check("projects.total", "unit_anomaly", M_(_UNIT_OFF, **said), paths)]
    return [_check("projects.total", "source_inconsistency", M_(_DISAGREE, **said), paths)]


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
        said: dict[str, Value] = {
            "expression": expression,
            "computed": f"{_plain(round(computed, decimals + 2))}{'%' if percent else ''}",
            "stated": stated,
        }
        start = match.start()
        if abs(computed - value) <= tolerance:
            message = M_("%(expression)s = %(computed)s = %(stated)s", **said)
            results.append(_check("text.expression", "pass", message, [f"text@{start}"]))
        else:
            message = M_("%(expression)s = %(computed)s, but the source writes %(stated)s", **said)
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
                    "text.execution_rate", spent, budget, share, M_("stated execution rate")
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
                    ratio = f"{computed:.2f}%"
                    message = M_(
                        "execution rate %(stated)s is %(spent)s ÷ %(total)s = %(computed)s,"
                        " a share of the total spending, not spending ÷ budget",
                        stated=str(share),
                        spent=str(spent),
                        total=str(total),
                        computed=ratio,
                    )
                    paths = [spent.path, total.path, share.path]
                    results.append(
                        _check("text.execution_rate", "source_inconsistency", message, paths)
                    )
    return results
