"""The one registry of checks, in the order they run, and what their verdicts do
to a record."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from jixiao.check.arithmetic import (
    check_breakdowns,
    check_budget_identities,
    check_budget_tables,
    check_expressions,
    check_project_totals,
    check_sentence_rates,
    check_stated_shares,
    check_stated_twice,
    check_unit_slips,
)
from jixiao.check.base import Context
from jixiao.check.indicators import check_indicator_cells, check_indicators
from jixiao.check.source import (
    check_grounding,
    check_injection,
    check_labels,
    check_ocr_confidence,
    check_title_block,
)
from jixiao.messages import N_
from jixiao.records import (
    Check,
    Fact,
    Rejected,
    Report,
    SectionSpan,
    drop_fact,
    fact_holder,
    facts_of,
    path_order,
)
from jixiao.structure.sections import build_sections, flatten
from jixiao.structure.tables import Table, build_tables, find_text_grids

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


# What each check looks at, by the id its verdicts carry: how the review pages
# name a check (the dashboard's checks failed most), in the reader's language.
CHECK_NAMES = {
    "grounding.injection": N_("no figure from a line addressing the model"),
    "indicator.cell": N_("an indicator's figures in its own row"),
    "grounding.label": N_("the source's label names the field"),
    "grounding.doc_number": N_("the report's own 文号"),
    "grounding": N_("the figure at its place in the source"),
    "budget.basic_parts": N_("personnel + public = basic"),
    "budget.total_parts": N_("basic + project = total"),
    "budget.execution_rate": N_("budget execution rate (total ÷ full-year budget)"),
    "text.stated_share": N_("stated share"),
    "staffing.control_rate": N_("staff control rate (人员控制率)"),
    "indicator.score_le_weight": N_("an indicator's score within its weight"),
    "indicator.self_score": N_("the indicator scores and the self-score"),
    "table.column_total": N_("a table's column total"),
    "unit.text": N_("the unit of an amount in the text"),
    "unit.table": N_("the unit of a table"),
    "text.breakdown": N_("the parts after 其中"),
    "text.expression": N_("a calculation the source writes out"),
    "text.execution_rate": N_("stated execution rate"),
    "text.stated_twice": N_("a figure stated twice"),
    "projects.total": N_("the projects' total"),
    "ocr_low_confidence": N_("text OCR was unsure of"),
}


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


def rejected_facts(report: Report, results: Sequence[Check]) -> dict[str, Check]:
    """The facts that `hallucination` verdicts take out of the record, with the
    verdict that says why. A reviewer's word stands: a confirmed or corrected fact
    (a value the reviewer entered, say) keeps its place, and the check still says why."""
    facts = dict(facts_of(report))
    return {
        path: result
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
        why = dropped[path]
        report.rejected.append(
            Rejected(path=path, raw=facts[path].raw, reason=why.message, template=why.template)
        )
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
