"""Each figure against the source: it stands where the record says, under a
label that names its field, in no line that addresses the model, and read by
OCR with confidence. What fails one of these is not the source's figure."""

from __future__ import annotations

import re
from decimal import Decimal

from jixiao.check.base import Context, _check, _quantity, clause_before
from jixiao.messages import M_
from jixiao.records import Check, Fact, IndicatorRecord, facts_of, get
from jixiao.structure.labels import simplified, without_glosses
from jixiao.structure.tables import Indicator


def check_grounding(context: Context) -> list[Check]:
    """Each fact's raw is at its offsets, and re-reading it gives its value."""
    results = []
    for path, fact in facts_of(context.report):
        if context.text[fact.start : fact.end] != fact.raw:
            results.append(
                _check(
                    "grounding",
                    "hallucination",
                    M_(
                        "“%(raw)s” is not at %(start)s–%(end)s in the source",
                        raw=fact.raw,
                        start=fact.start,
                        end=fact.end,
                    ),
                    [path],
                )
            )
            continue
        if isinstance(fact.value, str):
            continue
        written = _quantity(fact.raw)
        if written is None:
            message = M_("“%(raw)s” holds no single figure", raw=fact.raw)
            results.append(_check("grounding", "hallucination", message, [path]))
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
                    M_("%(value)s is not what “%(raw)s” says", value=str(fact.value), raw=fact.raw),
                    [path],
                )
            )
    return results


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
            message = M_(
                "the source labels “%(raw)s” as “%(label)s”, not as %(path)s",
                raw=fact.raw,
                label=label.strip()[-20:],
                path=path,
            )
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
        message = M_("“%(raw)s” heads the report", raw=fact.raw)
        return [_check("grounding.doc_number", "pass", message, ["doc_number"])]
    message = M_("“%(raw)s” is cited inside a sentence, not this report's own 文号", raw=fact.raw)
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
            message = M_(
                "“%(raw)s” stands in a line that addresses the model (prompt injection)",
                raw=fact.raw,
            )
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
            confidence = f"{reading.confidence:.2f}"
            message = M_(
                "OCR read “%(read)s” on page %(page)s with confidence %(confidence)s:"
                " compare it with the scan",
                read=read,
                page=reading.page,
                confidence=confidence,
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
