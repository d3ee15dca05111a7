"""The report record: the exported shape of one report (see docs/record.md's field list).

These models are the single source of truth for the contract: the export, the
scorer and the docs read them. Every extracted value is a `Fact` that points
at the characters of the normalised text it was read from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from jixiao.document import Cell, Grid
from jixiao.messages import Message

SCHEMA_VERSION = "2"

FactStatus = Literal["verified", "source_inconsistent", "unit_anomaly", "confirmed", "corrected"]
CheckStatus = Literal[
    "pass", "source_inconsistency", "unit_anomaly", "unverifiable", "hallucination"
]


class Fact(BaseModel):
    """A value read from the source: `document.text[start:end] == raw`."""

    model_config = ConfigDict(extra="forbid")

    value: float | int | str
    unit: str | None = None
    raw: str
    start: int
    end: int
    status: FactStatus = "verified"
    note: str | None = None


class OcrReading(BaseModel):
    """A stretch of the text that OCR read from a scanned page with low confidence:
    `document.text[start:end]`, to be compared with the scan."""

    start: int
    end: int
    page: int
    confidence: float


# A cell of a stored grid: its span in `document.text`, and its text where the
# reader's differs from the span's (a value joined from two lines of a flattened
# table); the span alone keeps a record small.
StoredCell = tuple[int, int] | tuple[int, int, str]


class StoredGrid(BaseModel):
    """A table as the pipeline found it (from the file, or from the text), before
    it was read: the checks read it again with the same function, so that they
    see the tables extraction saw instead of guessing them from the text anew."""

    start: int
    end: int
    rows: list[list[StoredCell]]
    from_file: bool = False
    caption: str = ""
    dropped_merges: bool = False
    # [row, column] of each cell a Word merge repeated from the one above.
    merged_above: list[tuple[int, int]] = Field(default_factory=list)

    @classmethod
    def of(cls, grid: Grid, text: str) -> StoredGrid:
        return cls(
            start=grid.start,
            end=grid.end,
            rows=[
                [
                    (c.start, c.end)
                    if text[c.start : c.end] == c.text
                    else (c.start, c.end, c.text)
                    for c in row
                ]
                for row in grid.rows
            ],
            from_file=grid.from_file,
            caption=grid.caption,
            dropped_merges=grid.dropped_merges,
            merged_above=[
                (number, column)
                for number, row in enumerate(grid.rows)
                for column, cell in enumerate(row)
                if cell.merged_above
            ],
        )

    def grid(self, text: str) -> Grid:
        """The grid as the pipeline had it, its cells' text taken from `text`."""
        merged = set(self.merged_above)

        def cell(number: int, column: int, stored: StoredCell) -> Cell:
            start, end, *written = stored
            text_of = written[0] if written else text[start:end]
            return Cell(text_of, start, end, (number, column) in merged)

        rows = [
            [cell(number, column, stored) for column, stored in enumerate(row)]
            for number, row in enumerate(self.rows)
        ]
        return Grid(
            rows=rows,
            start=self.start,
            end=self.end,
            from_file=self.from_file,
            caption=self.caption,
            dropped_merges=self.dropped_merges,
        )


class SectionSpan(BaseModel):
    """A section as the pipeline found it: its heading's title, and the text from
    its heading to the end of its body, `document.text[start:body_end]`."""

    title: str
    level: int
    start: int
    body_end: int


class DocumentInfo(BaseModel):
    path: str
    sha256: str
    format: str
    encoding: str | None
    chars: int
    pages: int | None = None
    ocr: bool = False
    ocr_low_confidence: list[OcrReading] = Field(default_factory=list)
    text: str = Field(repr=False)
    # The structure the pipeline built, for the checks to read: None in records
    # written before records carried it.
    grids: list[StoredGrid] | None = Field(default=None, repr=False)
    sections: list[SectionSpan] | None = Field(default=None, repr=False)


class RegionNames(BaseModel):
    """The levels of a region that the text itself names, each where it says it."""

    province: Fact | None = None
    city: Fact | None = None
    county: Fact | None = None


class Region(BaseModel):
    """Where the reporting unit is: each level's full name in the gazetteer
    (湖南省, 怀化市, 辰溪县), as it was in the report's year. A level with a fact in
    `named` is written in the text; one without was implied by a lower level the
    text names (the province and prefecture of a named county), never guessed: a
    name that fits two places leaves empty every level they disagree on."""

    province: str | None = None
    city: str | None = None
    county: str | None = None
    named: RegionNames = Field(default_factory=RegionNames)


class Staffing(BaseModel):
    authorized: Fact | None = None
    actual: Fact | None = None


class Budget(BaseModel):
    initial_budget: Fact | None = None
    full_year_budget: Fact | None = None
    total_expenditure: Fact | None = None
    basic_expenditure: Fact | None = None
    personnel_expenditure: Fact | None = None
    public_expenditure: Fact | None = None
    project_expenditure: Fact | None = None
    execution_rate: Fact | None = None


class ThreePublic(BaseModel):
    budget: Fact | None = None
    actual: Fact | None = None


ReportKind = Literal["department", "project", "transfer"]


class Project(BaseModel):
    """A named spending project: a line of a department report, or the header
    block, funds and total of a project (or transfer payment) table."""

    name: Fact
    budget: Fact | None = None  # 全年预算数
    actual: Fact | None = None  # 全年执行数
    supervisor: Fact | None = None  # 主管部门
    implementer: Fact | None = None  # 实施单位
    initial_budget: Fact | None = None  # 年初预算数
    execution_rate: Fact | None = None
    goal: Fact | None = None  # 年度总体目标, as planned
    goal_result: Fact | None = None  # its 完成情况
    self_score: Fact | None = None  # the table's 总分


class IndicatorRecord(BaseModel):
    level1: str | None = None
    level2: str | None = None
    level3: str | None = None
    target: Fact | None = None
    target_op: str | None = None
    target_value: float | None = None
    target_unit: str | None = None
    actual: Fact | None = None
    actual_value: float | None = None
    actual_unit: str | None = None
    weight: Fact | None = None
    score: Fact | None = None
    note: str | None = None
    project: int | None = None  # the index in `projects` of the project it measures


class Unread(BaseModel):
    """A stretch of the source holding figures that no part of the pipeline read:
    a table no layout could cut, a column no vocabulary names."""

    start: int
    end: int
    reason: str
    template: Message | None = None  # `reason`'s words and values apart, as a check's

    @classmethod
    def because(cls, start: int, end: int, reason: Message) -> Unread:
        return cls(start=start, end=end, reason=str(reason), template=reason)


class Check(BaseModel):
    id: str
    status: CheckStatus
    message: str
    facts: list[str] = Field(default_factory=list)
    # `message`'s words and values apart, for the review pages to show in the
    # reader's language; None in records made before verdicts kept them.
    template: Message | None = None


class Rejected(BaseModel):
    path: str
    raw: str | None
    reason: str
    template: Message | None = None  # `reason`'s words and values apart, as a check's

    @classmethod
    def because(cls, path: str, raw: str | None, reason: Message) -> Rejected:
        return cls(path=path, raw=raw, reason=str(reason), template=reason)


class Usage(BaseModel):
    """Tokens a report cost, and what the table parser saved."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_calls: int = 0
    table_tokens_saved: int = 0

    def add(self, other: Usage) -> None:
        for name in type(self).model_fields:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class Report(BaseModel):
    schema_version: str = SCHEMA_VERSION
    document: DocumentInfo
    kind: ReportKind | None = None
    unit_name: Fact | None = None
    region: Region = Field(default_factory=Region)
    fiscal_year: Fact | None = None
    report_date: Fact | None = None
    doc_number: Fact | None = None
    staffing: Staffing = Field(default_factory=Staffing)
    budget: Budget = Field(default_factory=Budget)
    three_public: ThreePublic = Field(default_factory=ThreePublic)
    projects: list[Project] = Field(default_factory=list)
    indicators: list[IndicatorRecord] = Field(default_factory=list)
    self_score: Fact | None = None
    grade: Fact | None = None
    problems: list[Fact] = Field(default_factory=list)
    measures: list[Fact] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)
    rejected: list[Rejected] = Field(default_factory=list)
    unread: list[Unread] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)


# --- facts by path: how every stage reaches a record's facts ------------------


def facts_of(value: BaseModel | list, prefix: str = "") -> Iterator[tuple[str, Fact]]:
    """Every fact of a record, with its JSON path (``budget.total_expenditure``,
    ``indicators[3].score``)."""
    if isinstance(value, Fact):
        yield prefix, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from facts_of(item, f"{prefix}[{index}]")
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            if name in ("document", "checks", "rejected", "usage"):
                continue
            inner = getattr(value, name)
            if isinstance(inner, BaseModel | list):
                yield from facts_of(inner, f"{prefix}.{name}" if prefix else name)


def get(report: Report, path: str) -> Fact | None:
    return dict(facts_of(report)).get(path)


def fact_holder(report: Report, path: str) -> tuple[object, str]:
    """The object that holds the fact at `path`, and the field or ``[index]`` in it."""
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
    holder: object = report
    for part in parts[:-1]:
        holder = holder[int(part[1:-1])] if part.startswith("[") else getattr(holder, part)  # type: ignore[index]
    return holder, parts[-1]


def path_order(path: str) -> list:
    """A sort key for fact paths that reads list indexes as numbers (``projects[10]``
    after ``projects[2]``): sorted in reverse, list items are dropped last first,
    so that the paths of the others stay right."""
    return [int(part) if part.isdigit() else part for part in re.findall(r"\d+|[^.\[\]\d]+", path)]


def drop_fact(report: Report, path: str) -> None:
    """Take a fact out of the record: a field becomes null, a list item goes, and
    so does an item whose required fact it was (a project without its name)."""
    holder, last = fact_holder(report, path)
    if last.startswith("["):
        del holder[int(last[1:-1])]  # type: ignore[attr-defined]
        if re.fullmatch(r"projects\[\d+\]", path):
            _renumber_projects(report, int(last[1:-1]))
    elif isinstance(holder, BaseModel) and type(holder).model_fields[last].is_required():
        drop_fact(report, path.rsplit(".", 1)[0])
    else:
        setattr(holder, last, None)


def _renumber_projects(report: Report, dropped: int) -> None:
    """Indicators point at their project by index: those of a dropped project
    point at none, those of the projects after it one lower."""
    for indicator in report.indicators:
        if indicator.project == dropped:
            indicator.project = None
        elif indicator.project is not None and indicator.project > dropped:
            indicator.project -= 1


def set_fact(report: Report, path: str, fact: Fact) -> None:
    holder, last = fact_holder(report, path)
    if last.startswith("["):
        holder[int(last[1:-1])] = fact  # type: ignore[index]
    else:
        setattr(holder, last, fact)
