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
from bisect import bisect_right
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from jixiao.check import evaluate_checks
from jixiao.extract.align import locate, locate_in
from jixiao.extract.answers import FIELD_KINDS, StaffingAnswer
from jixiao.extract.ground import (
    _COUNTING,
    Grounding,
    _date_fact,
    find_date,
    quantity_fact,
)
from jixiao.extract.llm import ContextTooLong, ModelClient, OutputTooLong
from jixiao.extract.region import find_region
from jixiao.extract.route import (
    DATE_LINE,
    KINDS,
    PROMPTS,
    TABLE,
    RecordKind,
    Request,
    _join,
    header_request,
    listed_points,
    merge_spans,
    prompt,
    route,
)
from jixiao.extract.tablefacts import (
    _three_public_from_tables,
    budget_facts,
    document_info,
    from_tables,
    indicator_records,
)
from jixiao.messages import M_
from jixiao.records import (
    Fact,
    IndicatorRecord,
    Project,
    Rejected,
    Report,
    Unread,
    drop_fact,
    facts_of,
    get,
)
from jixiao.structure import Prepared
from jixiao.structure.numbers import Quantity, parse_quantity
from jixiao.structure.sections import looks_like_heading
from jixiao.structure.tables import Table

__all__ = [
    "FIELD_KINDS",
    "FIGURES_NOT_READ",
    "KINDS",
    "PROMPTS",
    "TABLE",
    "Grounding",
    "Request",
    "StaffingAnswer",
    "budget_facts",
    "document_info",
    "extract",
    "find_date",
    "from_tables",
    "header_request",
    "indicator_records",
    "locate",
    "prompt",
    "quantity_fact",
    "route",
    "unread_figures",
]


def extract(
    prepared: Prepared,
    client: ModelClient,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """The report record of one prepared report: its tables read by code, the
    rest asked of the model."""
    report = from_tables(prepared)
    header, *requests = route(prepared)
    grounding = Grounding(prepared, report)
    # The title block first: the year it names picks a table's year column.
    for part in _asked(client, header, report):
        _apply(report, grounding, part, part.answer)
    if report.report_date is None:
        report.report_date = signature_date(prepared)
    for kind in (KINDS["problems"], KINDS["measures"]):
        _read_points(report, grounding, kind, listed_points(prepared, kind))
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
    _funds_of_the_project(report)
    # Read by code from the unit name the model quoted: nothing more is asked of it.
    report.region = find_region(report, prepared.words)
    spans_asked = [span for request in [header, *pending] for span in request.spans]
    report.unread += unread_figures(report, prepared, spans_asked)
    return report


# Where a project report states the funds of its project, in the record's terms.
_PROJECT_FUNDS = {
    "initial_budget": "initial_budget",
    "full_year_budget": "budget",
    "total_expenditure": "actual",
    "execution_rate": "execution_rate",
}


def _funds_of_the_project(report: Report) -> None:
    """In a project (or transfer payment) report, the funds its prose states are the
    project's, not the department's, whose budget such a report does not give: a
    figure a project already holds leaves the department's budget, and the one
    project of a report takes those it lacks."""
    if report.kind == "department" or not report.projects:
        return
    for budget_name, project_name in _PROJECT_FUNDS.items():
        fact = getattr(report.budget, budget_name)
        if fact is None:
            continue
        held = [getattr(project, project_name) for project in report.projects]
        if any(value is not None and value.value == fact.value for value in held):
            setattr(report.budget, budget_name, None)
        elif len(report.projects) == 1 and held[0] is None:
            setattr(report.projects[0], project_name, fact)
            setattr(report.budget, budget_name, None)


def signature_date(prepared: Prepared) -> Fact | None:
    """The 落款日期 where the model gave none: the last line of the main text (before
    any annex) that is a date and nothing else, as a signature is written."""
    text = prepared.document.text
    appendix = next((s.start for s in prepared.sections if s.appendix), len(text))
    lines = list(DATE_LINE.finditer(text, 0, appendix))
    found = find_date(lines[-1].group()) if lines else None
    if found is None:
        return None
    value, match = found
    if value is None:
        return None
    start = lines[-1].start() + match.start()
    return Fact(value=value, raw=match.group(), start=start, end=start + len(match.group()))


def unread_figures(
    report: Report, prepared: Prepared, asked: list[tuple[int, int]]
) -> list[Unread]:
    """The figures that nothing read: no fact took them, no table reader, no
    request to the model, they restate no distinctive figure the record holds,
    and they say no date, year, 文号, page or list number. Each is listed at its
    offsets, so that a reviewer sees what the record may lack."""
    covered = [(fact.start, fact.end) for _, fact in facts_of(report)]
    covered += [(table.start, table.end) for table in prepared.tables]
    covered += [(region.start, region.end) for region in report.unread]
    covered += asked
    covered = merge_spans(covered)
    starts = [start for start, _ in covered]
    quantities = prepared.quantities
    # A figure that says where or when (a date, a year, a 文号) needs no reader.
    measured = {measure.start for measure in prepared.measures}

    def is_covered(quantity: Quantity) -> bool:
        index = bisect_right(starts, quantity.start) - 1
        return quantity.start not in measured or (index >= 0 and quantity.start < covered[index][1])

    # A distinctive figure the record already holds, restated in the prose
    # (表: 3712人; 文: 为3712名困难群众发放), was read there.
    held = {q.number for q in quantities if is_covered(q) and _distinctive(q)}
    return [
        Unread.because(quantity.start, quantity.end, FIGURES_NOT_READ)
        for quantity in quantities
        if not is_covered(quantity) and not (_distinctive(quantity) and quantity.number in held)
    ]


def _distinctive(quantity: Quantity) -> bool:
    """A figure unlikely to recur by chance: three digits or more, or decimals."""
    return quantity.decimals > 0 or abs(quantity.number) >= 100


FIGURES_NOT_READ = M_(
    "figures no reader took: neither a table nor a question to the model held them"
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
    except (ContextTooLong, OutputTooLong) as error:
        # A table request keeps its row of titles in both halves.
        lead = request.spans[:1] if request.kind is TABLE else []
        rest = request.spans[len(lead) :]
        if len(rest) < 2:
            reason = (
                M_("a line longer than the model's context")
                if isinstance(error, ContextTooLong)
                else M_("%(error)s, on lines that cannot be split", error=str(error))
            )
            with _COUNTING:
                report.rejected.append(Rejected.because(request.kind.name, None, reason))
            return []
        half = len(rest) // 2
        text = report.document.text
        return [
            answered
            for spans in (lead + rest[:half], lead + rest[half:])
            for answered in _asked(client, Request(request.kind, spans, _join(text, spans)), report)
        ]
    with _COUNTING:
        report.usage.calls += 1
        report.usage.cached_calls += answer.cached
        report.usage.prompt_tokens += answer.prompt_tokens
        report.usage.completion_tokens += answer.completion_tokens
    if answer.data is None:
        reason = M_("no usable answer: %(error)s", error=str(answer.error))
        with _COUNTING:
            report.rejected.append(Rejected.because(request.kind.name, None, reason))
        return []
    return [_Answered(request.kind, request.spans, request.text, answer.data)]


def _read_points(
    report: Report, grounding: Grounding, kind: RecordKind, points: list[tuple[int, int]]
) -> None:
    """A section's listed points, each a fact as it stands, with no model."""
    if points:
        text = grounding.text
        items = [text[start:end] for start, end in points]
        _apply(report, grounding, Request(kind, points, "\n".join(items)), {"items": items})


def _answered(report: Report, kind: str) -> bool:
    """Whether every field a record type fills is filled already (by a table, or
    a section's list)."""
    if kind == "projects":
        return bool(report.projects)
    if kind in ("problems", "measures"):
        return bool(getattr(report, kind))
    holder = {"budget": report.budget, "three_public": report.three_public}.get(kind)
    return holder is not None and all(
        getattr(holder, name) is not None for name in type(holder).model_fields
    )


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
            parse_quantity(str(cell.value)) if cell else None
            for cell in (cells["target"], cells["actual"])
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
            region for region in report.unread if not region.start <= spans[-1][0] < region.end
        ]


def _quoted_label(grounding: Grounding, raw: Any, spans: list[tuple[int, int]]) -> str | None:
    """A level label the model quoted, kept only if it stands in the region."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    return raw.strip() if locate_in(raw, grounding.text, grounding.prepared.words, spans) else None


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
