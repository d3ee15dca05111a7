"""The report record: the exported shape of one report (see the README's field list).

These models are the single source of truth for the contract: the export, the
scorer and the README read them. Every extracted value is a `Fact` that points
at the characters of the normalised text it was read from.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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


class Check(BaseModel):
    id: str
    status: CheckStatus
    message: str
    facts: list[str] = Field(default_factory=list)


class Rejected(BaseModel):
    path: str
    raw: str | None
    reason: str


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
