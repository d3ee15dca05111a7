"""Which lines of a report each record type is asked about: keywords choose the
lines, headings the sections, a region no layout could cut becomes a table
request; requests are packed under a token budget."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

from pydantic import BaseModel

from jixiao.check import addresses_the_model
from jixiao.extract.answers import (
    BudgetAnswer,
    HeaderAnswer,
    ListAnswer,
    ProjectsAnswer,
    ScoreAnswer,
    StaffingAnswer,
    TableAnswer,
    ThreePublicAnswer,
)
from jixiao.structure import Prepared
from jixiao.structure.flattened import ROW_NOT_TOLD_APART
from jixiao.structure.labels import standard_levels
from jixiao.structure.sections import Section
from jixiao.structure.segment import TABULAR_TEXT
from jixiao.structure.tables import UNKNOWN_TABLE

PROMPTS = Path(__file__).parent.parent / "prompts"  # also reachable as prompts/ at the top


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
    # Whether it reads the lines of an indicator table sent as table requests: the
    # score may stand in its total row; no other record is stated in one.
    reads_indicator_tables: bool = False


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
            reads_indicator_tables=True,
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
    tables = table_requests(prepared)
    tabled = merge_spans([span for request in tables for span in request.spans])
    unknown = _unknown_tables(prepared)
    for kind in KINDS.values():
        if kind.name == "header":
            continue
        spans = []
        if kind.sections is not None:
            spans += [
                span
                for span in _lines(text, _section_spans(prepared, kind.sections))
                if not kind.numbers or prepared.measures_in(*span)
            ]
        if kind.lines is not None:
            spans += [
                span
                for chunk in prepared.chunks
                if chunk.kind == "text"
                for span in _lines(text, chunk.spans)
                if _answers(prepared, [span], kind)
            ]
            for rows in unknown:
                for index, row in enumerate(rows):
                    titles = _titles_above(prepared, rows, index)
                    named = [row] if titles is None else [titles, row]
                    if prepared.measures_in(*row) and _answers(prepared, named, kind):
                        spans += named
        if not spans and kind.fallback is not None:
            spans = [
                span
                for span in _lines(text, _section_spans(prepared, kind.fallback))
                if not kind.numbers or prepared.measures_in(*span)
            ]
        if not kind.reads_indicator_tables:
            spans = [span for span in spans if not _within(span, tabled)]
        spans = merge_spans(spans)
        requests += [Request(kind, group, _join(text, group)) for group in _packed(prepared, spans)]
    return requests + tables


def _unknown_tables(prepared: Prepared) -> list[list[tuple[int, int]]]:
    """The rows of each table of no known kind whose figures nothing read: they are
    asked like lines of text."""
    unread = [region for region in prepared.unread if region.reason == UNKNOWN_TABLE]
    return [
        [
            (cells[0].start, cells[-1].end)
            for cells in (
                [cell for cell in row if cell.end > cell.start]
                for row in [*table.header_rows, *table.rows]
            )
            if cells
        ]
        for table in prepared.tables
        if any(table.start <= region.start < table.end for region in unread)
    ]


def _titles_above(
    prepared: Prepared, rows: list[tuple[int, int]], index: int
) -> tuple[int, int] | None:
    """The nearest row above `rows[index]` that holds no figure: the titles that say
    what its figures are, in a table headed by one row or in a form whose every
    row of figures has its own row of titles."""
    for start, end in reversed(rows[:index]):
        if not prepared.measures_in(start, end):
            return (start, end)
    return None


def _within(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(start <= span[0] and span[1] <= end for start, end in spans)


_INDICATOR_TITLES = {"level1", "level2", "level3", "target", "actual"}


def table_requests(prepared: Prepared) -> list[Request]:
    """A region of indicator rows that no layout could cut into cells (a form
    flattened onto one line, cells run together) is asked of the model row by
    row, its row of titles leading each request; each cell it quotes is
    grounded. A budget region needs no such request: its lines go to budget."""
    text = prepared.document.text
    requests = []
    for region in prepared.unread:
        if region.reason not in (TABULAR_TEXT, ROW_NOT_TOLD_APART):
            continue
        if not region.fields & _INDICATOR_TITLES:
            continue
        lines = _lines(text, [(region.start, region.end)])
        if region.titles is not None:
            lines = [region.titles, *lines]
        # A table flattened onto a line or two holds many rows a line.
        titles, *rows = [
            piece
            for line in lines
            for piece in (_cut_at_families(prepared, line) if line[1] - line[0] > 150 else [line])
        ]
        groups = [rows[i : i + _ROWS_PER_REQUEST] for i in range(0, len(rows), _ROWS_PER_REQUEST)]
        for group in groups or [[]]:
            spans = [titles, *group]
            requests.append(Request(TABLE, spans, _join(text, spans)))
    return requests


# A small model's answer for more rows than this outruns its output budget.
_ROWS_PER_REQUEST = 4


def _cut_at_families(prepared: Prepared, line: tuple[int, int]) -> list[tuple[int, int]]:
    """A table flattened onto one line, cut before each first-level family of the
    standard template (产出指标, 效益指标 …): the titles, then a few rows a piece."""
    start, end = line
    words = prepared.words
    cuts = sorted(
        match.start()
        for family in standard_levels()
        for match in re.compile(family).finditer(words, start, end)
    )
    bounds = [start, *(cut for cut in cuts if cut > start), end]
    return [(a, b) for a, b in pairwise(bounds) if words[a:b].strip()]


def _section_spans(prepared: Prepared, title: re.Pattern[str]) -> list[tuple[int, int]]:
    """The text of the sections whose heading names the record type, tables left out."""
    spans = merge_spans(_most_specific(prepared, prepared.sections, title))
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


def _most_specific(
    prepared: Prepared, sections: list[Section], title: re.Pattern[str]
) -> list[tuple[int, int]]:
    """Spans of the matching sections, the deepest where a match holds another
    (``四、评价结论及建议`` holds ``（三）改进建议``: only the latter answers)."""
    spans = []
    for section in sections:
        inner = _most_specific(prepared, section.children, title)
        if inner:
            spans += inner
        elif title.search(_heading(prepared, section)):
            spans.append((section.start, section.body_end))
    return spans


def _heading(prepared: Prepared, section: Section) -> str:
    """A section's heading line in simplified characters: its title, after a number
    that holds none of the words a heading is known by."""
    return prepared.words[section.start : section.end]


# A point of a list: （一） (1) 1、 1. 一是 ①
_POINT = re.compile(
    r"^\s*(?:[（(][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}\s*[、.．)）]|[一二三四五六七八九十]{1,3}是|[①-⑳])"
)
_PROSE = re.compile(r"[，。；,;]")
# A list needs this many points to be one.
_FEWEST_POINTS = 2


def listed_points(prepared: Prepared, kind: RecordKind) -> list[tuple[int, int]]:
    """The points of a section that lists them a line each under a heading naming
    `kind` and no other list (存在的问题, not 问题及改进措施): read as they are,
    they need no model. Empty where the section is prose, or absent."""
    if kind.numbers or kind.sections is None:
        return []
    others = [
        other.sections
        for other in KINDS.values()
        if other is not kind and not other.numbers and other.sections is not None
    ]
    text = prepared.document.text
    points: list[tuple[int, int]] = []
    for section in _named(prepared, prepared.sections, kind.sections):
        if any(other.search(_heading(prepared, section)) for other in others):
            return []
        lines = _lines(text, [(section.end, section.body_end)])
        # An opening line that announces the list (主要存在以下问题：) is no point.
        if lines and not _POINT.match(text[slice(*lines[0])]) and text[lines[0][1] - 1] in "：:":
            lines = lines[1:]
        marked = [bool(_POINT.match(text[a:b])) for a, b in lines]
        listed = marked.index(False) if False in marked else len(marked)
        # What may follow the last point: the signature (a unit's name, a date).
        after = [text[a:b] for a, b in lines[listed:]]
        if listed < _FEWEST_POINTS or any(len(line) > 30 or _PROSE.search(line) for line in after):
            return []
        points += lines[:listed]
    return points


def _named(prepared: Prepared, sections: list[Section], title: re.Pattern[str]) -> list[Section]:
    """The outermost sections whose heading matches `title`."""
    found = []
    for section in sections:
        if title.search(_heading(prepared, section)):
            found.append(section)
        else:
            found += _named(prepared, section.children, title)
    return found


def _answers(prepared: Prepared, lines: list[tuple[int, int]], kind: RecordKind) -> bool:
    """Whether lines name a record type's fields and, where it is one of figures,
    hold a figure."""
    words = "\n".join(prepared.words[start:end] for start, end in lines)
    return bool(kind.lines and kind.lines.search(words)) and (
        not kind.numbers or any(prepared.measures_in(*line) for line in lines)
    )


def _lines(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The non-empty lines of some spans, a long line cut at sentence ends; a line
    that gives the model orders (prompt injection) is never sent."""
    lines = []
    for start, end in spans:
        for match in re.finditer(r"[^\n]*\S[^\n]*", text[start:end]):
            if addresses_the_model(match.group()):
                continue
            line_start, line_end = start + match.start(), start + match.end()
            while line_end - line_start > _MAX_LINE_CHARS:
                window = text[line_start : line_start + _MAX_LINE_CHARS]
                cut = max(window.rfind(mark) for mark in "。；;") + 1 or _MAX_LINE_CHARS
                lines.append((line_start, line_start + cut))
                line_start += cut
            lines.append((line_start, line_end))
    return lines


def _packed(prepared: Prepared, spans: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    groups: list[list[tuple[int, int]]] = []
    tokens = 0
    for span in spans:
        cost = prepared.tokens.count(*span)
        if not groups or tokens + cost > _MAX_FOCUS_TOKENS:
            groups.append([])
            tokens = 0
        groups[-1].append(span)
        tokens += cost
    return groups


DATE_LINE = re.compile(r"(?m)^[ \t]*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日[ \t]*$")


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
    spans += [m.span() for m in DATE_LINE.finditer(text)]
    spans = [span for span in merge_spans(spans) if text[span[0] : span[1]].strip()]
    return Request(KINDS["header"], spans, _join(text, spans))


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans sorted, those that overlap or touch joined."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _join(text: str, spans: list[tuple[int, int]]) -> str:
    return "\n".join(text[start:end] for start, end in spans)
