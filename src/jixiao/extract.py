"""From a prepared report to a report record: tables read by code, narrative by the model.

The division of labour:

- indicator tables and budget tables that the table parser mapped become facts
  with no model call;
- every other chunk is routed to the record types it can hold (its heading
  path and keywords tell), and only the lines that can answer are sent;
- the model copies `raw` text; the code finds it in the chunk for offsets and
  parses value and unit with `jixiao.structure.numbers`. The model never converts units
  or does arithmetic. What cannot be found or parsed is rejected field by
  field, with the reason.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from jixiao.check import (
    FIELD_LABELS,
    INJECTION,
    clause_before,
    drop_fact,
    evaluate_checks,
    facts_of,
    get,
)
from jixiao.document import Document
from jixiao.llm import ContextTooLong, ModelClient
from jixiao.pipeline import Prepared
from jixiao.records import (
    Budget,
    DocumentInfo,
    Fact,
    IndicatorRecord,
    OcrReading,
    Project,
    Rejected,
    Report,
    Unread,
)
from jixiao.structure.chunks import estimate_tokens
from jixiao.structure.labels import column_field, form_field, simplified, title_fields
from jixiao.structure.numbers import Quantity, find_quantities, parse_quantity
from jixiao.structure.sections import Section, looks_like_heading
from jixiao.structure.segment import TABULAR_TEXT
from jixiao.structure.tables import BudgetLine, Form, Indicator, Table

PROMPTS = Path(__file__).parent / "prompts"  # also reachable as prompts/ at the top


# --- what the model answers --------------------------------------------------


def _in_chunk(value: Any, info: ValidationInfo) -> Any:
    """A quote must be in the chunk it was read from (spacing aside)."""
    chunk = (info.context or {}).get("chunk")
    if chunk is None or value is None:
        return value
    quotes = value if isinstance(value, list) else [value]
    for quote in quotes:
        text = quote if isinstance(quote, str) else None
        if text is not None and locate(text, chunk) is None:
            raise ValueError(f"“{text[:40]}”不在原文中：请逐字复制原文，或填 null")
    return value


def _has_number(value: str | None, info: ValidationInfo) -> str | None:
    checking = (info.context or {}).get("chunk") is not None
    if value is not None and checking and not find_quantities(value):
        raise ValueError(f"“{value[:40]}”里没有数字：请复制原文中的数字和单位，或填 null")
    return value


class _Quotes(BaseModel):
    """An answer whose every string is a quote from the chunk."""

    _quoted = field_validator("*")(_in_chunk)


class _Figures(_Quotes):
    """An answer whose every string is a quoted figure."""

    _numbers = field_validator("*")(_has_number)


class HeaderAnswer(_Quotes):
    unit_name: str | None = Field(None, description="报告单位全称")
    fiscal_year: str | None = Field(None, description="被评价年度")
    report_date: str | None = Field(None, description="落款日期")
    doc_number: str | None = Field(None, description="文号")


class StaffingAnswer(_Figures):
    authorized: str | None = Field(None, description="编制数")
    actual: str | None = Field(None, description="实有人数")


class BudgetAnswer(_Figures):
    initial_budget: str | None = Field(None, description="年初预算数")
    full_year_budget: str | None = Field(None, description="全年预算数")
    total_expenditure: str | None = Field(None, description="全年支出总额")
    basic_expenditure: str | None = Field(None, description="基本支出")
    personnel_expenditure: str | None = Field(None, description="人员经费")
    public_expenditure: str | None = Field(None, description="公用经费")
    project_expenditure: str | None = Field(None, description="项目支出")
    execution_rate: str | None = Field(None, description="预算执行率")


class ThreePublicAnswer(_Figures):
    budget: str | None = Field(None, description="三公经费预算数")
    actual: str | None = Field(None, description="三公经费实际支出")


class ScoreAnswer(_Quotes):
    self_score: str | None = Field(None, description="自评得分")
    grade: str | None = Field(None, description="评价等级")


class ProjectAnswer(_Quotes):
    name: str = Field(description="项目名称")
    budget: str | None = Field(None, description="预算数")
    actual: str | None = Field(None, description="实际支出数")


class ProjectsAnswer(BaseModel):
    items: list[ProjectAnswer] = Field(default_factory=list)


class TableRowAnswer(_Quotes):
    level1: str | None = Field(None, description="一级指标")
    level2: str | None = Field(None, description="二级指标")
    level3: str | None = Field(None, description="三级指标（指标名称）")
    target: str | None = Field(None, description="指标值（目标）")
    actual: str | None = Field(None, description="实际完成值")
    weight: str | None = Field(None, description="分值")
    score: str | None = Field(None, description="得分")


class TableAnswer(BaseModel):
    rows: list[TableRowAnswer] = Field(default_factory=list)


class ListAnswer(BaseModel):
    items: list[str] = Field(default_factory=list, description="逐字复制的原文句子")

    _quoted = field_validator("items")(_in_chunk)


# --- routing -----------------------------------------------------------------


@dataclass(frozen=True)
class RecordKind:
    """A record type: its prompt, its answer model and which chunks it reads."""

    name: str
    answer: type[BaseModel]
    # A line is sent when it matches `lines` (and holds a number, if `numbers`).
    lines: re.Pattern[str] | None = None
    numbers: bool = True
    # The sections whose heading matches `sections` are read whole (their lines
    # with a number, if `numbers`); for lists they are all that is read.
    sections: re.Pattern[str] | None = None
    # Where the fields may stand when no line names them (a report that writes
    # 现有人员28名, not 实有人数): the sections whose heading matches are read
    # instead. Keywords save tokens; they must not hide a field.
    fallback: re.Pattern[str] | None = None


KINDS = {
    kind.name: kind
    for kind in [
        RecordKind("header", HeaderAnswer),
        RecordKind(
            "staffing",
            StaffingAnswer,
            re.compile(r"编制|在职|实有|在编"),
            fallback=re.compile(r"基本情况|概况|人员|机构"),
        ),
        RecordKind(
            "budget",
            BudgetAnswer,
            re.compile(r"预算|支出|经费|决算|执行率"),
            fallback=re.compile(r"预算|资金|收支|财务"),
        ),
        RecordKind(
            "three_public", ThreePublicAnswer, re.compile(r"三公"), sections=re.compile(r"三公")
        ),
        RecordKind(
            "score",
            ScoreAnswer,
            re.compile(r"自评得分|得分为|评价得分|综合得分|评价等级|等级为"),
            fallback=re.compile(r"结论|得分|等级"),
        ),
        RecordKind(
            "projects",
            ProjectsAnswer,
            re.compile(r"项目.*[\d.]+\s*万?元"),
            sections=re.compile(r"项目"),
        ),
        RecordKind(
            "problems", ListAnswer, numbers=False, sections=re.compile(r"问题|不足|偏离.*原因")
        ),
        RecordKind(
            "measures", ListAnswer, numbers=False, sections=re.compile(r"措施|建议|改进|下一步")
        ),
    ]
}
TABLE = RecordKind("table", TableAnswer)
# One line is enough context for a figure; more would only slow a small model.
_MAX_LINE_CHARS = 400
_MAX_FOCUS_TOKENS = 600


@cache
def prompt(name: str) -> tuple[str, str]:
    """The version and text of `prompts/<name>.md` (a ``version: N`` line, ``---``, the text)."""
    head, _, body = (PROMPTS / f"{name}.md").read_text(encoding="utf-8").partition("\n---\n")
    version = head.strip().removeprefix("version:").strip()
    return f"{name}@{version}", body.strip()


@dataclass
class Request:
    """One question to the model: a record type over some spans of the text."""

    kind: RecordKind
    spans: list[tuple[int, int]]
    text: str


def route(prepared: Prepared) -> list[Request]:
    """The requests a report needs: per record type, the lines of the report that
    can answer it (or the sections its heading names), packed into requests of
    at most `_MAX_FOCUS_TOKENS`."""
    text = prepared.document.text
    requests = [header_request(prepared)]
    for kind in KINDS.values():
        if kind.name == "header":
            continue
        spans = []
        if kind.sections is not None:
            spans += [
                span
                for span in _lines(text, _section_spans(prepared, kind.sections))
                if not kind.numbers or find_quantities(text[span[0] : span[1]])
            ]
        if kind.lines is not None:
            spans += [
                span
                for chunk in prepared.chunks
                if chunk.kind == "text"
                for span in _lines(text, chunk.spans)
                if _answers(text[span[0] : span[1]], kind)
            ]
        if not spans and kind.fallback is not None:
            spans = [
                span
                for span in _lines(text, _section_spans(prepared, kind.fallback))
                if not kind.numbers or find_quantities(text[span[0] : span[1]])
            ]
        spans = _merge(spans)
        requests += [Request(kind, group, _join(text, group)) for group in _packed(text, spans)]
    requests += table_requests(prepared)
    return requests


_INDICATOR_TITLES = {"level1", "level2", "level3", "target", "actual"}


def table_requests(prepared: Prepared) -> list[Request]:
    """A region of indicator rows that no layout could cut into cells (a form
    flattened onto one line, cells run together) is asked of the model row by
    row, its row of titles leading each request; each cell it quotes is
    grounded. A budget region needs no such request: its lines go to budget."""
    text = prepared.document.text
    requests = []
    for region in prepared.unread:
        if region.reason != TABULAR_TEXT:
            continue
        titles, *rows = _lines(text, [(region.start, region.end)])
        if not title_fields(text[titles[0] : titles[1]]) & _INDICATOR_TITLES:
            continue
        for group in _packed(text, rows) if rows else [[]]:
            spans = [titles, *group]
            requests.append(Request(TABLE, spans, _join(text, spans)))
    return requests


def _section_spans(prepared: Prepared, title: re.Pattern[str]) -> list[tuple[int, int]]:
    """The text of the sections whose heading names the record type, tables left out."""
    spans = _merge(_most_specific(prepared.sections, title))
    holes = sorted((table.start, table.end) for table in prepared.tables)
    pieces = []
    for start, end in spans:
        for hole_start, hole_end in holes:
            if hole_start < end and hole_end > start:
                pieces.append((start, hole_start))
                start = max(start, hole_end)
        if start < end:
            pieces.append((start, end))
    return [(start, end) for start, end in pieces if start < end]


def _most_specific(sections: list[Section], title: re.Pattern[str]) -> list[tuple[int, int]]:
    """Spans of the matching sections, the deepest where a match holds another
    (``四、评价结论及建议`` holds ``（三）改进建议``: only the latter answers)."""
    spans = []
    for section in sections:
        inner = _most_specific(section.children, title)
        if inner:
            spans += inner
        elif title.search(simplified(section.title)):
            spans.append((section.start, section.body_end))
    return spans


def _answers(line: str, kind: RecordKind) -> bool:
    return bool(kind.lines and kind.lines.search(simplified(line))) and (
        not kind.numbers or bool(find_quantities(line))
    )


def _lines(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The non-empty lines of some spans, a long line cut at sentence ends; a line
    that gives the model orders (prompt injection) is never sent."""
    lines = []
    for start, end in spans:
        for match in re.finditer(r"[^\n]*\S[^\n]*", text[start:end]):
            if INJECTION.search(match.group()):
                continue
            line_start, line_end = start + match.start(), start + match.end()
            while line_end - line_start > _MAX_LINE_CHARS:
                window = text[line_start : line_start + _MAX_LINE_CHARS]
                cut = max(window.rfind(mark) for mark in "。；;") + 1 or _MAX_LINE_CHARS
                lines.append((line_start, line_start + cut))
                line_start += cut
            lines.append((line_start, line_end))
    return lines


def _packed(text: str, spans: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    groups: list[list[tuple[int, int]]] = []
    tokens = 0
    for span in spans:
        cost = estimate_tokens(text[span[0] : span[1]])
        if not groups or tokens + cost > _MAX_FOCUS_TOKENS:
            groups.append([])
            tokens = 0
        groups[-1].append(span)
        tokens += cost
    return groups


_DATE_LINE = re.compile(r"(?m)^[ \t]*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日[ \t]*$")


def header_request(prepared: Prepared) -> Request:
    """The title block and the signature lines: where name, year, 文号 and date stand."""
    text = prepared.document.text
    first = prepared.sections[0].start if prepared.sections else min(len(text), 400)
    spans = [(0, min(first, 400))]
    # The signature closes the main text, before any annex.
    appendix = next((s.start for s in prepared.sections if s.appendix), len(text))
    tables = [(table.start, table.end) for table in prepared.tables]
    for end in sorted({appendix, len(text)}):
        prose = [
            (start, stop)
            for start, stop in _lines(text, [(0, end)])
            if "\t" not in text[start:stop] and not any(a <= start < b for a, b in tables)
        ]
        spans += prose[-3:]
    # A line that is only a date is a signature date wherever it stands.
    spans += [m.span() for m in _DATE_LINE.finditer(text)]
    spans = [span for span in _merge(spans) if text[span[0] : span[1]].strip()]
    return Request(KINDS["header"], spans, _join(text, spans))


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _join(text: str, spans: list[tuple[int, int]]) -> str:
    return "\n".join(text[start:end] for start, end in spans)


# --- grounding ---------------------------------------------------------------


# Models retype quotes and punctuation in the other width: “接地气” as ‘接地气’, ； as ;.
_EQUIVALENT = ["“”‘’\"'「」『』", ";；。", ":：", ",，、", "(（", ")）", "!！", "?？"]
_LOOSE = {ch: f"[{re.escape(group)}]" for group in _EQUIVALENT for ch in group}


def locate(
    quote: str, source: str, start: int = 0, end: int | None = None
) -> tuple[int, int] | None:
    """Where `quote` stands in ``source[start:end]``, spacing aside, or None."""
    end = len(source) if end is None else end
    quote = quote.strip()
    if not quote:
        return None
    found = source.find(quote, start, end)
    if found >= 0:
        return found, found + len(quote)
    pieces = [_LOOSE.get(ch, re.escape(ch)) for ch in quote if not ch.isspace()]
    if not pieces:
        return None
    match = re.compile(r"\s*".join(pieces)).search(source, start, end)
    return match.span() if match else None


def _locate_in(
    quote: str, text: str, spans: list[tuple[int, int]], label: re.Pattern[str] | None = None
) -> tuple[int, int] | None:
    """Where a quote from a request's text stands in the document. The request
    joined its spans with line breaks, so a quote may run over several spans:
    only over what lies between them in the document is whitespace. Of several
    places, the first whose clause carries `label` (the field's own words)."""
    joined = "\n".join(text[start:end] for start, end in spans)
    starts, position = [], 0
    for start, end in spans:
        starts.append(position)
        position += end - start + 1

    def to_document(offset: int, closing: bool) -> tuple[int, int]:
        index = max(i for i, s in enumerate(starts) if s < offset or (s == offset and not closing))
        return index, spans[index][0] + offset - starts[index]

    places = []
    found = locate(quote, joined)
    while found is not None:
        first, start = to_document(found[0], closing=False)
        last, end = to_document(found[1], closing=True)
        if not any(text[spans[i][1] : spans[i + 1][0]].strip() for i in range(first, last)):
            places.append((start, end))
        found = locate(quote, joined, found[0] + 1)
    labelled = [
        p for p in places if label is not None and label.search(simplified(clause_before(text, p[0])))
    ]
    return (labelled or places or [None])[0]


class Grounding:
    """Turns the model's quotes into facts, or into rejections with reasons."""

    def __init__(self, text: str, report: Report) -> None:
        self.text = text
        self.report = report
        # The request and the answer each model-read field came from, for a re-ask.
        self.sources: dict[str, tuple[Request, dict]] = {}

    def reject(self, path: str, raw: str | None, reason: str) -> None:
        with _COUNTING:
            self.report.rejected.append(Rejected(path=path, raw=raw, reason=reason))

    def text_fact(self, path: str, raw: str | None, spans: list[tuple[int, int]]) -> Fact | None:
        if raw is None or not str(raw).strip():
            return None
        found = _locate_in(str(raw), self.text, spans)
        if found is None:
            self.reject(path, str(raw), "not in the source")
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
        found = _locate_in(str(raw), self.text, spans, re.compile(label) if label else None)
        if found is None:
            self.reject(path, str(raw), "not in the source")
            return None
        quantities = find_quantities(self.text[found[0] : found[1]])
        if len(quantities) != 1:
            self.reject(path, str(raw), "not one figure" if quantities else "no figure in it")
            return None
        quantity = _with_following_unit(self.text, quantities[0], found[0])
        fact = quantity_fact(quantity, expect)
        if fact is None:
            self.reject(path, quantity.raw, f"not a {expect} figure")
        return fact


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
_EXPECTED_UNITS = {
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
    if base_unit not in _EXPECTED_UNITS[expect]:
        return None
    if expect == "year" and not 1990 <= value <= 2100:
        return None
    number: float | int = int(value) if value == value.to_integral_value() else float(value)
    unit = base_unit or ("分" if expect == "score" else None)
    return Fact(value=number, unit=unit, raw=quantity.raw, start=quantity.start, end=quantity.end)


# --- tables without the model -------------------------------------------------


def indicator_records(
    tables: list[Table], text: str, projects: list[int | None] | None = None
) -> list[IndicatorRecord]:
    """The indicator rows of every indicator table, each with the index of the
    project whose table it stands in (`projects`, one per table)."""
    of_table = projects or [None] * len(tables)
    return [
        _indicator(record, text).model_copy(update={"project": project})
        for table, project in zip(tables, of_table)
        if table.kind == "indicators"
        for record in table.indicators
    ]


def _indicator(record: Indicator, text: str) -> IndicatorRecord:
    def cell_fact(role: str, value: str | None) -> Fact | None:
        if value is None or role not in record.spans:
            return None
        start, end = record.spans[role]
        return Fact(value=value, raw=text[start:end], start=start, end=end)

    def number_fact(role: str) -> Fact | None:
        cell = record.cells.get(role)
        quantity = parse_quantity(cell.text) if cell else None
        if cell is None or quantity is None:
            return None
        return quantity_fact(replace(quantity, start=cell.start, end=cell.end), "score")

    target, actual = record.target_quantity, record.actual_quantity
    return IndicatorRecord(
        level1=record.level1,
        level2=record.level2,
        level3=record.level3,
        target=cell_fact("target", record.target),
        target_op=target.comparator if target else None,
        target_value=target.value if target else None,
        target_unit=target.unit if target else None,
        actual=cell_fact("actual", record.actual),
        actual_value=actual.value if actual else None,
        actual_unit=actual.unit if actual else None,
        weight=number_fact("weight"),
        score=number_fact("score"),
        note=record.note,
    )


# Budget-table rows whose figure under the spent column fills a record field;
# the total row fills one field per column.
_ROW_FIELDS = {
    "basic_expenditure",
    "personnel_expenditure",
    "public_expenditure",
    "project_expenditure",
}
_TOTAL_COLUMNS = {
    "initial_budget": ("initial_budget", "money"),
    "full_year_budget": ("full_year_budget", "money"),
    "spent": ("total_expenditure", "money"),
    "execution_rate": ("execution_rate", "percent"),
}
# A form row pairs its label with one figure, under no column title.
_FORM_VALUE = "value"


def budget_facts(tables: list[Table]) -> dict[str, Fact]:
    """The budget fields the department's budget tables state outright, first
    table first; a project table's funds are the project's, not the department's."""
    facts: dict[str, Fact] = {}
    for table in tables:
        if table.kind != "budget" or table.form is not None or _lists_projects(table):
            continue
        for line in table.budget:
            if line.meaning == "total":
                for column, (name, expect) in _TOTAL_COLUMNS.items():
                    _take(facts, name, line, column, expect, table.unit)
            elif line.meaning in _ROW_FIELDS:
                _take(facts, line.meaning, line, "spent", "money", table.unit)
    return facts


def _take(facts, name, line: BudgetLine, column: str, expect, unit) -> None:
    if name in facts:
        return
    for title, quantity in line.values.items():
        if column_field(title) == column or (column == "spent" and title == _FORM_VALUE):
            cell = line.cells[title]
            located = replace(quantity, start=cell.start, end=cell.end)
            fact = quantity_fact(located, expect, "%" if expect == "percent" else unit)
            if fact is not None:
                facts[name] = fact
            return


_SUMMARY_COLUMNS = {
    "full_year_budget": "budget",
    "spent": "actual",
    "initial_budget": "initial_budget",
    "execution_rate": "execution_rate",
    "score": "self_score",
}


def _lists_projects(table: Table) -> bool:
    """Whether a table lists projects a row each (项目名称 | 预算数 | 执行数 …): its
    total is the projects', not the department's."""
    return any(form_field(title) == "project_name" for title in table.header)


def _summary_projects(table: Table, text: str) -> list[Project]:
    """The rows of a table listing projects (项目名称 | 预算数 | 执行数 | 自评得分 …)."""
    if table.kind != "budget" or not _lists_projects(table):
        return []
    fields = [field for field in table.columns if field in _SUMMARY_COLUMNS]
    if len(fields) != len(set(fields)):
        # Columns of two years side by side: which is the year evaluated is the
        # model's to say (the title names it), not the table's.
        return []
    projects = []
    for line in table.budget:
        if line.meaning == "total":
            continue
        label = line.cells["label"]
        raw = text[label.start : label.end]
        name = Fact(value=label.text, raw=raw, start=label.start, end=label.end)
        project = Project(name=name)
        for title, quantity in line.values.items():
            field_name = _SUMMARY_COLUMNS.get(column_field(title) or "")
            if field_name is None or getattr(project, field_name) is not None:
                continue
            cell = line.cells[title]
            located = replace(quantity, start=cell.start, end=cell.end)
            expect = {"execution_rate": "percent", "self_score": "score"}.get(field_name, "money")
            unit = "%" if expect == "percent" else table.unit
            setattr(project, field_name, quantity_fact(located, expect, unit))
        projects.append(project)
    return projects


def project_tables(tables: list[Table], text: str) -> tuple[list[Project], list[int | None]]:
    """The projects that project tables state (header block, funds, total score)
    or a table lists a row each, and for each table the index of its project."""
    projects: list[Project] = []
    forms: dict[int, int] = {}
    of_table: list[int | None] = []
    for table in tables:
        if table.form is None:
            projects += _summary_projects(table, text)
            of_table.append(None)
            continue
        if id(table.form) not in forms:
            forms[id(table.form)] = len(projects)
            projects.append(_project(table.form, text))
        index = forms[id(table.form)]
        of_table.append(index)
        project = projects[index]
        if table.kind == "budget":
            total = next((line for line in table.budget if line.meaning == "total"), None)
            facts: dict[str, Fact] = {}
            for column, (name, expect) in _TOTAL_COLUMNS.items():
                if total is not None:
                    _take(facts, name, total, column, expect, table.unit)
            project.initial_budget = project.initial_budget or facts.get("initial_budget")
            project.budget = project.budget or facts.get("full_year_budget")
            project.actual = project.actual or facts.get("total_expenditure")
            project.execution_rate = project.execution_rate or facts.get("execution_rate")
        if table.total is not None and project.self_score is None:
            quantity = parse_quantity(table.total.text)
            if quantity is not None:
                located = replace(quantity, start=table.total.start, end=table.total.end)
                project.self_score = quantity_fact(located, "score")
    return projects, of_table


def _project(form: Form, text: str) -> Project:
    def text_fact(name: str) -> Fact | None:
        cell = form.cells.get(name)
        if cell is None:
            return None
        raw = text[cell.start : cell.end]
        return Fact(value=cell.text, raw=raw, start=cell.start, end=cell.end)

    name = text_fact("project_name")
    assert name is not None  # a form is a project's by its name
    return Project(
        name=name,
        supervisor=text_fact("supervisor"),
        implementer=text_fact("implementer"),
        goal=text_fact("goal_planned"),
        goal_result=text_fact("goal_actual"),
    )


_TRANSFER = re.compile(r"转移支付|轉移支付")


def report_kind(prepared: Prepared) -> str:
    """A report of project tables is a project report (a transfer payment's when its
    title says so); any other, the department's whole spending, a table listing
    its projects a row each included."""
    if not any(table.form is not None for table in prepared.tables):
        return "department"
    head = prepared.document.text[: prepared.sections[0].start if prepared.sections else 300]
    return "transfer" if _TRANSFER.search(head or prepared.document.text[:300]) else "project"


# --- the whole report ------------------------------------------------------------

FIELD_KINDS = {
    "header": {
        "unit_name": "text",
        "fiscal_year": "year",
        "report_date": "date",
        "doc_number": "text",
    },
    "staffing": {"authorized": "count", "actual": "count"},
    "budget": {
        **{name: "money" for name in Budget.model_fields if name != "execution_rate"},
        "execution_rate": "percent",
    },
    "three_public": {"budget": "money", "actual": "money"},
    "score": {"self_score": "score", "grade": "text"},
}


def from_tables(prepared: Prepared) -> Report:
    """What a report's tables state, read with no model call: indicator rows,
    budget figures, project tables, and the stretches nothing could read."""
    text = prepared.document.text
    report = Report(document=document_info(prepared.document))
    report.projects, of_table = project_tables(prepared.tables, text)
    report.kind = report_kind(prepared)  # type: ignore[assignment]
    report.indicators = indicator_records(prepared.tables, text, of_table)
    report.unread = [
        Unread(start=region.start, end=region.end, reason=region.reason)
        for region in prepared.unread
    ]
    for name, fact in budget_facts(prepared.tables).items():
        setattr(report.budget, name, fact)
    report.usage.table_tokens_saved = sum(
        chunk.tokens
        for chunk in prepared.chunks
        if chunk.kind == "table" and prepared.tables[chunk.table].kind in ("indicators", "budget")  # type: ignore[index]
    )
    return report


def extract(
    prepared: Prepared,
    client: ModelClient,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """The report record of one prepared report: its tables read by code, the
    rest asked of the model."""
    text = prepared.document.text
    report = from_tables(prepared)
    header, *requests = route(prepared)
    grounding = Grounding(text, report)
    # The title block first: the year it names picks a table's year column.
    for part in _asked(client, header, report):
        _apply(report, grounding, part, part.answer)
    _three_public_from_tables(report, prepared.tables)
    pending = [request for request in requests if not _answered(report, request.kind.name)]
    if progress:
        progress(0, len(pending))
    # Requests run side by side (up to the configured concurrency); their answers
    # apply in document order, so the record is the same whatever finished first.
    with ThreadPoolExecutor(max_workers=max(1, client.settings.concurrency)) as pool:
        asked = pool.map(lambda request: _asked(client, request, report), pending)
        for done, parts in enumerate(asked, 1):
            for part in parts:
                _apply(report, grounding, part, part.answer)
            if progress:
                progress(done, len(pending))
    _reask_hallucinations(report, grounding, client, prepared.tables)
    asked = [span for request in [header, *pending] for span in request.spans]
    report.unread += unread_figures(report, prepared, asked)
    return report


# Figures that say where and when, not how much: dates, years, 文号, page and
# telephone numbers, list and heading numbers, table and annex numbers.
_NOT_A_MEASURE = re.compile(
    r"\d{4}\s*年(?:度|\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?"
    r"|\d{1,2}\s*月\s*\d{1,2}\s*日|\d{1,2}\s*月(?:份|底|末|初)"
    r"|[〔\[(（]\d{4}[〕\])）]\s*\d+\s*号|第\s*\d+\s*[页号条款章节批次]"
    r"|\d{3,4}-\d{7,8}|1\d{10}|[-—]\s*\d+\s*[-—]"
    r"|^\s*[（(]?\d{1,2}[)）.、．]|(?:表|附件|附表)\s*\d+(?:-\d+)?",
    re.MULTILINE,
)


def unread_figures(
    report: Report, prepared: Prepared, asked: list[tuple[int, int]]
) -> list[Unread]:
    """The lines holding a figure that nothing read: no fact took it, no table
    reader, no request to the model, and it says no date, year, 文号, page or
    list number. Each such line is listed, so that a reviewer sees what the
    record may lack."""
    text = prepared.document.text
    covered = [(fact.start, fact.end) for _, fact in facts_of(report)]
    covered += [(table.start, table.end) for table in prepared.tables]
    covered += [(region.start, region.end) for region in report.unread]
    covered += asked
    covered += [match.span() for match in _NOT_A_MEASURE.finditer(text)]
    unread: dict[tuple[int, int], None] = {}
    for quantity in find_quantities(text):
        if any(start <= quantity.start < end for start, end in covered):
            continue
        line_start = text.rfind("\n", 0, quantity.start) + 1
        line_end = text.find("\n", quantity.start)
        unread[(line_start, len(text) if line_end < 0 else line_end)] = None
    return [Unread(start=start, end=end, reason=FIGURES_NOT_READ) for start, end in unread]


FIGURES_NOT_READ = "figures no reader took: neither a table nor a question to the model held them"


def document_info(document: Document) -> DocumentInfo:
    """What a record says of its source, the text OCR was unsure of included."""
    return DocumentInfo(
        path=str(document.path),
        sha256=document.sha256,
        format=document.format,
        encoding=document.encoding,
        chars=len(document.text),
        pages=len(document.pages) or None,
        ocr=document.ocr,
        ocr_low_confidence=[
            OcrReading(
                start=reading.start,
                end=reading.end,
                page=reading.page,
                confidence=round(reading.confidence, 3),
            )
            for reading in document.readings
            if reading.doubtful
        ],
        text=document.text,
    )


def _reask_hallucinations(
    report: Report, grounding: Grounding, client: ModelClient, tables: list[Table]
) -> None:
    """A figure the checks would reject is asked about once more, with the check's
    message; the new answer replaces it if it is grounded. What stays wrong, the
    checks reject when they run on the finished record."""
    for result in evaluate_checks(report, tables):
        if result.status != "hallucination":
            continue
        for path in result.facts:
            source = grounding.sources.pop(path, None)
            fact = get(report, path)
            if source is None or fact is None:
                continue
            request, _ = source
            field_name = path.rsplit(".", 1)[-1]
            name, instructions = prompt(request.kind.name)
            version, template = prompt("reask")
            follow_up = template.format(raw=fact.raw, field=field_name, reason=result.message)
            messages = [
                {"role": "system", "content": f"[{name}]\n{instructions}"},
                {"role": "user", "content": "原文：\n" + request.text},
                {"role": "user", "content": f"[{version}]\n{follow_up}"},
            ]
            answer = client.ask(
                request.kind.answer, messages, f"{name}+{version}", {"chunk": request.text}
            )
            with _COUNTING:
                report.usage.calls += 1
                report.usage.prompt_tokens += answer.prompt_tokens
                report.usage.completion_tokens += answer.completion_tokens
            raw = (answer.data or {}).get(field_name)
            if not isinstance(raw, str) or raw.strip() == fact.raw.strip():
                continue
            drop_fact(report, path)
            _apply(report, grounding, request, {field_name: raw})


# Spending categories and totals that a model lists among projects.
_NOT_A_PROJECT = re.compile(
    r"^(\d{4}年度?)?(部门)?(整体支出|基本支出|项目支出|人员经费|公用经费|合计|总计)$"
)


# Requests run in threads; counts and rejections are added under this lock.
_COUNTING = threading.Lock()


@dataclass
class _Answered(Request):
    answer: dict = field(default_factory=dict)


def _asked(client: ModelClient, request: Request, report: Report) -> list[_Answered]:
    """The model's answers to a request: one, or one per half of a request too
    long for the model's context."""
    name, instructions = prompt(request.kind.name)
    messages = [
        # The version leads the request, so that a cassette or a cache entry of
        # another prompt version never answers it.
        {"role": "system", "content": f"[{name}]\n{instructions}"},
        {"role": "user", "content": "原文：\n" + request.text},
    ]
    try:
        answer = client.ask(request.kind.answer, messages, name, {"chunk": request.text})
    except ContextTooLong:
        if len(request.spans) < 2:
            reason = "a line longer than the model's context"
            with _COUNTING:
                report.rejected.append(Rejected(path=request.kind.name, raw=None, reason=reason))
            return []
        half = len(request.spans) // 2
        text = report.document.text
        return [
            answered
            for spans in (request.spans[:half], request.spans[half:])
            for answered in _asked(client, Request(request.kind, spans, _join(text, spans)), report)
        ]
    with _COUNTING:
        report.usage.calls += 1
        report.usage.cached_calls += answer.cached
        report.usage.prompt_tokens += answer.prompt_tokens
        report.usage.completion_tokens += answer.completion_tokens
    if answer.data is None:
        reason = f"no usable answer: {answer.error}"
        with _COUNTING:
            report.rejected.append(Rejected(path=request.kind.name, raw=None, reason=reason))
        return []
    return [_Answered(request.kind, request.spans, request.text, answer.data)]


def _answered(report: Report, kind: str) -> bool:
    """Whether every field a record type fills is filled already (by a table)."""
    if kind == "projects":
        return bool(report.projects)
    holder = {"budget": report.budget, "three_public": report.three_public}.get(kind)
    return holder is not None and all(
        getattr(holder, name) is not None for name in type(holder).model_fields
    )


_THREE_PUBLIC_ROW = re.compile(r"三公")
_THREE_PUBLIC_COLUMNS = {
    "budget": re.compile(r"预算数"),
    "actual": re.compile(r"执行数|决算数|实际支出"),
}


def _three_public_from_tables(report: Report, tables: list[Table]) -> None:
    """“三公”经费 from a table row, in the columns of the year evaluated where the
    table compares years (002's 2023年度 / 2024年度)."""
    year = str(report.fiscal_year.value) if report.fiscal_year else None
    for table in tables:
        for line in table.budget:
            if not _THREE_PUBLIC_ROW.search(line.label):
                continue
            titles = list(line.values)
            years = {m for title in titles for m in re.findall(r"20\d\d", title)}
            for name, column in _THREE_PUBLIC_COLUMNS.items():
                if getattr(report.three_public, name) is not None:
                    continue
                chosen = [
                    t
                    for t in titles
                    if column.search(t) and (len(years) < 2 or (year and year in t))
                ]
                if len(chosen) == 1:
                    cell = line.cells[chosen[0]]
                    quantity = replace(line.values[chosen[0]], start=cell.start, end=cell.end)
                    setattr(report.three_public, name, quantity_fact(quantity, "money", table.unit))


def _apply(report: Report, grounding: Grounding, request: Request, data: dict) -> None:
    kind = request.kind.name
    spans = request.spans
    if kind in ("problems", "measures"):
        target = getattr(report, kind)
        seen = {fact.raw for fact in target}
        for index, item in enumerate(_strings(data.get("items"))):
            fact = grounding.text_fact(f"{kind}[{index}]", item, spans)
            for line in _split_lines(fact, grounding.text) if fact else []:
                if len(line.raw) >= 4 and line.raw not in seen and not _is_heading(line.raw):
                    seen.add(line.raw)
                    target.append(line)
        return
    if kind == "table":
        _apply_rows(report, grounding, request, data)
        return
    if kind == "projects":
        for index, item in enumerate(data.get("items") or []):
            if not isinstance(item, dict):
                continue
            path = f"projects[{len(report.projects)}]"
            name = grounding.text_fact(f"{path}.name", item.get("name"), spans)
            if name is None or _NOT_A_PROJECT.search(name.raw):
                continue
            budget = grounding.number_fact(f"{path}.budget", item.get("budget"), spans, "money")
            actual = grounding.number_fact(f"{path}.actual", item.get("actual"), spans, "money")
            if budget or actual:
                report.projects.append(Project(name=name, budget=budget, actual=actual))
        return
    holder = {
        "staffing": report.staffing,
        "budget": report.budget,
        "three_public": report.three_public,
    }.get(kind, report)
    prefix = "" if holder is report else f"{kind}."
    for field_name, expect in FIELD_KINDS[kind].items():
        raw = data.get(field_name)
        if getattr(holder, field_name) is not None or not isinstance(raw, str | int | float):
            continue
        path = prefix + field_name
        if expect == "text":
            fact = grounding.text_fact(path, str(raw), spans)
        elif expect == "date":
            fact = _date_fact(grounding, path, str(raw), spans)
        else:
            fact = grounding.number_fact(path, str(raw), spans, expect)
        if fact is not None:
            setattr(holder, field_name, fact)
            grounding.sources[path] = (request, data)


def _apply_rows(report: Report, grounding: Grounding, request: Request, data: dict) -> None:
    """Indicator rows the model read from a region no layout could cut: every cell
    a quote, grounded in the region; a row without a grounded name is dropped."""
    spans = request.spans
    read = 0
    for item in data.get("rows") or []:
        if not isinstance(item, dict):
            continue
        path = f"indicators[{len(report.indicators)}]"
        name = grounding.text_fact(f"{path}.level3", item.get("level3"), spans)
        if name is None:
            continue
        cells = {
            role: grounding.text_fact(f"{path}.{role}", item.get(role), spans)
            for role in ("target", "actual")
        }
        figures = {
            role: grounding.number_fact(f"{path}.{role}", item.get(role), spans, "score")
            for role in ("weight", "score")
        }
        target, actual = (
            parse_quantity(str(cells[role].value)) if cells[role] else None
            for role in ("target", "actual")
        )
        report.indicators.append(
            IndicatorRecord(
                level1=_quoted_label(grounding, item.get("level1"), spans),
                level2=_quoted_label(grounding, item.get("level2"), spans),
                level3=str(name.value),
                target=cells["target"],
                target_op=target.comparator if target else None,
                target_value=float(target.value) if target else None,
                target_unit=target.unit if target else None,
                actual=cells["actual"],
                actual_value=float(actual.value) if actual else None,
                actual_unit=actual.unit if actual else None,
                weight=figures["weight"],
                score=figures["score"],
            )
        )
        read += 1
    if read:
        # The region was read after all: what stays unread is what nothing read.
        report.unread = [
            region
            for region in report.unread
            if not region.start <= spans[-1][0] < region.end
        ]


def _quoted_label(grounding: Grounding, raw: Any, spans: list[tuple[int, int]]) -> str | None:
    """A level label the model quoted, kept only if it stands in the region."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    return raw.strip() if _locate_in(raw, grounding.text, spans) else None


_DATE = re.compile(
    r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日|(\d{4})[-./](\d{1,2})[-./](\d{1,2})"
)


def find_date(text: str) -> tuple[str | None, re.Match[str]] | None:
    """The first date written in `text`: its ISO form (None when it is no plausible
    date) and where it stands; None when nothing in `text` is written as a date."""
    match = _DATE.search(text)
    if match is None:
        return None
    year, month, day = (
        int(g) for g in (match.groups()[:3] if match.group(1) else match.groups()[3:])
    )
    if not (1990 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31):
        return None, match
    return f"{year:04d}-{month:02d}-{day:02d}", match


def _date_fact(grounding: Grounding, path: str, raw: str, spans) -> Fact | None:
    fact = grounding.text_fact(path, raw, spans)
    if fact is None:
        return None
    found = find_date(fact.raw)
    if found is None:
        grounding.reject(path, raw, "not a date")
        return None
    value, match = found
    if value is None:
        grounding.reject(path, raw, "not a plausible date")
        return None
    start = fact.start + match.start()
    return Fact(value=value, raw=match.group(), start=start, end=start + len(match.group()))


def _split_lines(fact: Fact, text: str) -> list[Fact]:
    """One fact per source line: a model that runs several points together
    still gives reviewers one point at a time."""
    facts = []
    for match in re.finditer(r"[^\n]*\S[^\n]*", text[fact.start : fact.end]):
        start = fact.start + match.start() + len(match.group()) - len(match.group().lstrip())
        end = fact.start + match.end() - (len(match.group()) - len(match.group().rstrip()))
        facts.append(Fact(value=text[start:end], raw=text[start:end], start=start, end=end))
    return facts


def _is_heading(line: str) -> bool:
    return looks_like_heading(line) and len(line) <= 20


def _strings(items: Any) -> list[str]:
    return [item for item in items or [] if isinstance(item, str)]
