"""What the review pages show, read from the store: the queue of reports, and
one report's source text with every fact marked in it beside the record."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from jixiao.export import review_state
from jixiao.records import Check, Rejected, Report, facts_of
from jixiao.review.actions import last_reviews
from jixiao.store import models
from jixiao.store.views import check_overview, report_overview

FLAGGED = ("source_inconsistent", "unit_anomaly")
VERDICTS = ("hallucination", "source_inconsistency", "unit_anomaly", "unverifiable")
STATES = ("unreviewed", "partly reviewed", "reviewed")
KINDS = {"department": "部门整体", "project": "项目", "transfer": "转移支付"}
# When facts overlap in the source, the colour of the one a reviewer most needs
# to see wins.
_PRECEDENCE = (
    "unit_anomaly",
    "source_inconsistent",
    "verified",
    "corrected",
    "confirmed",
    "rejected",
)

# --- the queue ------------------------------------------------------------------------


@dataclass
class Filters:
    unit: str = ""
    region: str = ""
    year: int | None = None
    verdict: str = ""
    state: str = ""
    kind: str = ""
    # The dashboard's: reports failing this check (with the verdict, if one is
    # given), and those whose figure `measure` (a report_overview column) lies in
    # [low, high).
    check: str = ""
    measure: str = ""
    low: float | None = None
    high: float | None = None

    def query(self, **more: object) -> str:
        """The queue's address for these filters (and `more`, e.g. a page)."""
        given = {name: value for name, value in asdict(self).items() if value not in ("", None)}
        return "/?" + urlencode(given | more)

    def figures(self) -> list[ColumnElement[bool]]:
        """The dashboard's filters, as conditions on report_overview."""
        conditions: list[ColumnElement[bool]] = []
        if self.measure:
            figure = report_overview.c[self.measure]
            conditions.append(figure.is_not(None))
            if self.low is not None:
                conditions.append(figure >= self.low)
            if self.high is not None:
                conditions.append(figure < self.high)
        if self.check:
            failed = select(check_overview.c.document_id).where(
                check_overview.c.check_id == self.check,
                check_overview.c.status == self.verdict
                if self.verdict
                else check_overview.c.status != "pass",
            )
            conditions.append(report_overview.c.document_id.in_(failed))
        return conditions

    def keep(self, row: QueueRow) -> bool:
        return (
            (not self.unit or self.unit in f"{row.unit_name or ''} {row.path}")
            and (not self.region or self.region in row.region)
            and (self.year is None or row.year == self.year)
            and (not self.verdict or row.verdicts[self.verdict] > 0)
            and (not self.state or row.state == self.state)
            and (not self.kind or row.kind == self.kind)
        )


@dataclass
class QueueRow:
    id: int
    path: str
    region: str
    rejected_by_checks: int
    kind: str | None = None
    unit_name: str | None = None
    year: int | None = None
    reviews: Counter[str] = field(default_factory=Counter)
    flagged: int = 0  # facts the checks flagged that nobody has reviewed yet
    verdicts: Counter[str] = field(default_factory=Counter)
    last: tuple[str, datetime] | None = None

    @property
    def facts(self) -> int:
        return sum(self.reviews.values())

    @property
    def to_review(self) -> int:
        return self.reviews["unreviewed"]

    @property
    def rejected(self) -> int:
        return self.rejected_by_checks + self.reviews["rejected"]

    @property
    def state(self) -> str:
        return review_state(self.reviews.elements())

    def risk(self) -> tuple:
        """Riskiest first: flagged figures nobody has looked at, then the checks
        that failed, the values the source did not support, the facts left; a
        report with nothing left to review goes last."""
        failed = sum(self.verdicts[verdict] for verdict in VERDICTS)
        return (
            self.to_review == 0,
            -self.flagged,
            -failed,
            -self.rejected,
            -self.to_review,
            self.id,
        )


def queue(session: Session, filters: Filters) -> list[QueueRow]:
    """Each report's latest ingestion with its review counts, riskiest first."""
    latest = (
        select(func.max(models.Document.id))
        .where(models.Document.status == "done")
        .group_by(models.Document.sha256)
        .scalar_subquery()
    )
    if narrowed := filters.figures():
        latest = select(report_overview.c.document_id).where(*narrowed).scalar_subquery()
    rows: dict[int, QueueRow] = {}
    # The record's parts the queue needs, not the whole record with its text.
    documents = select(
        models.Document.id,
        models.Document.path,
        models.Document.kind,
        models.Document.record["region"],
        models.Document.record["rejected"],
    ).where(models.Document.id.in_(latest))
    for document_id, path, kind, region, rejected in session.execute(documents):
        places = [(region or {}).get(part) for part in ("province", "city", "county")]
        rows[document_id] = QueueRow(
            id=document_id,
            path=path,
            region=" ".join(place for place in places if place),
            rejected_by_checks=len(rejected or []),
            kind=kind,
        )
    facts = (
        select(models.Fact.document_id, models.Fact.review, models.Fact.status, func.count())
        .where(models.Fact.document_id.in_(latest))
        .group_by(models.Fact.document_id, models.Fact.review, models.Fact.status)
    )
    for document_id, review, status, count in session.execute(facts):
        row = rows[document_id]
        row.reviews[review] += count
        if review == "unreviewed" and status in FLAGGED:
            row.flagged += count
    checks = (
        select(models.Check.document_id, models.Check.status, func.count())
        .where(models.Check.document_id.in_(latest))
        .group_by(models.Check.document_id, models.Check.status)
    )
    for document_id, status, count in session.execute(checks):
        rows[document_id].verdicts[status] += count
    # The name and year as the reviewers left them, corrections included.
    header = select(models.Fact.document_id, models.Fact.path, models.Fact.value).where(
        models.Fact.document_id.in_(latest), models.Fact.path.in_(["unit_name", "fiscal_year"])
    )
    for document_id, path, value in session.execute(header):
        if path == "unit_name":
            rows[document_id].unit_name = str(value)
        elif isinstance(value, int | float):
            rows[document_id].year = int(value)
    newest_review = (
        select(func.max(models.Review.id))
        .join(models.Fact, models.Fact.id == models.Review.fact_id)
        .where(models.Fact.document_id.in_(latest))
        .group_by(models.Fact.document_id)
    )
    last = (
        select(models.Fact.document_id, models.Review.reviewer, models.Review.at)
        .join(models.Fact, models.Fact.id == models.Review.fact_id)
        .where(models.Review.id.in_(newest_review))
    )
    for document_id, reviewer, at in session.execute(last):
        rows[document_id].last = (reviewer, at)
    return sorted((row for row in rows.values() if filters.keep(row)), key=QueueRow.risk)


# --- one report -----------------------------------------------------------------------

_GROUPS = {
    "unit_name": "header",
    "fiscal_year": "header",
    "report_date": "header",
    "doc_number": "header",
    "region": "header",
    "self_score": "score",
    "grade": "score",
}
GROUP_TITLES = {
    "header": ("单位", "header"),
    "staffing": ("人员", "staffing"),
    "budget": ("预算与支出", "budget"),
    "three_public": ("“三公”经费", "three_public"),
    "projects": ("项目", "projects"),
    "indicators": ("绩效指标", "indicators"),
    "score": ("自评", "self_score, grade"),
    "problems": ("存在的问题", "problems"),
    "measures": ("改进措施", "measures"),
}
# The contract's Chinese names of the fields.
LABELS = {
    "unit_name": "单位名称",
    "fiscal_year": "年度",
    "report_date": "落款日期",
    "doc_number": "文号",
    "region.named.province": "省",
    "region.named.city": "市",
    "region.named.county": "县",
    "staffing.authorized": "核定编制",
    "staffing.actual": "实有人数",
    "budget.initial_budget": "年初预算",
    "budget.full_year_budget": "全年预算",
    "budget.total_expenditure": "总支出",
    "budget.basic_expenditure": "基本支出",
    "budget.personnel_expenditure": "人员经费",
    "budget.public_expenditure": "公用经费",
    "budget.project_expenditure": "项目支出",
    "budget.execution_rate": "预算执行率",
    "three_public.budget": "预算",
    "three_public.actual": "支出",
    "self_score": "自评得分",
    "grade": "评价等级",
    "projects[].name": "项目名称",
    "projects[].budget": "预算",
    "projects[].actual": "支出",
    "projects[].supervisor": "主管部门",
    "projects[].implementer": "实施单位",
    "projects[].initial_budget": "年初预算",
    "projects[].execution_rate": "执行率",
    "projects[].goal": "年度目标",
    "projects[].goal_result": "目标完成情况",
    "projects[].self_score": "自评得分",
    "indicators[].target": "指标值",
    "indicators[].actual": "实际完成值",
    "indicators[].weight": "分值",
    "indicators[].score": "得分",
    "problems[]": "问题",
    "measures[]": "措施",
}


@dataclass
class FactView:
    row: models.Fact
    label: str
    last: models.Review | None
    next_id: int | None = None

    @property
    def state(self) -> str:
        """What the fact's colour says: its status, or that a reviewer rejected it."""
        return "rejected" if self.row.review == "rejected" else self.row.status

    @property
    def shown(self) -> str:
        """The value as a reviewer reads it: sums of money grouped by thousands, with unit."""
        value, unit = self.row.value, self.row.unit
        if not isinstance(value, int | float):
            return str(value)
        grouping = "," if unit == "元" else ""
        number = f"{value:{grouping}.4f}".rstrip("0").rstrip(".")
        return f"{number} {unit}" if unit else number


@dataclass
class Group:
    key: str
    title: tuple[str, str]
    parts: list[tuple[str | None, list[FactView]]] = field(default_factory=list)


@dataclass
class Segment:
    """A stretch of the source text covered by the same facts (innermost first)."""

    text: str
    facts: list[int]
    state: str | None
    anchor: int | None  # an offset a check names (``text@657``) starts here
    ocr: str | None  # what OCR said about its confidence here
    unread: str | None  # why no part of the pipeline read the figures here

    @property
    def notes(self) -> str:
        """What the stretch's tooltip says."""
        return "\n".join(note for note in (self.ocr, self.unread) if note)


@dataclass
class CheckView:
    check: Check
    links: list[tuple[str, str | None]]  # (what the check names, the page anchor for it)


@dataclass
class ReportView:
    document: models.Document
    report: Report
    groups: list[Group]
    facts: list[FactView]
    segments: list[Segment]
    checks: list[CheckView]
    rejected: list[Rejected]
    newer: int | None  # a later ingestion of the same report

    @property
    def kind(self) -> str | None:
        kind = self.report.kind
        return f"{KINDS.get(kind, '')} {kind}".strip() if kind else None

    @property
    def verified(self) -> list[FactView]:
        """The facts "Confirm all verified" confirms."""
        return [
            fact
            for fact in self.facts
            if fact.row.status == "verified" and fact.row.review == "unreviewed"
        ]

    @property
    def tally(self) -> Counter[str]:
        """Facts by review state, and how many flagged ones nobody has reviewed."""
        counts = Counter(fact.row.review for fact in self.facts)
        counts["flagged"] = sum(
            fact.row.review == "unreviewed" and fact.row.status in FLAGGED for fact in self.facts
        )
        return counts

    @property
    def title(self) -> str:
        unit = self.report.unit_name
        return str(unit.value) if unit else self.document.path


_TEXT_AT = re.compile(r"text@(\d+)")


def report_view(session: Session, document_id: int) -> ReportView | None:
    document = session.get(models.Document, document_id)
    if document is None or document.status != "done" or document.record is None:
        return None
    report = Report.model_validate(document.record)
    rows = {
        row.path: row
        for row in session.scalars(
            select(models.Fact).where(models.Fact.document_id == document.id)
        )
    }
    last = last_reviews(session, [row.id for row in rows.values()])
    groups: dict[str, Group] = {}
    ordered: list[FactView] = []
    for path, _ in facts_of(report):
        row = rows.get(path)
        if row is None:
            continue
        view = FactView(row, _label(path), last.get(row.id))
        ordered.append(view)
        top = re.match(r"[a-z_]+", path).group()  # type: ignore[union-attr]
        key = _GROUPS.get(top, top)
        group = groups.setdefault(key, Group(key, GROUP_TITLES[key]))
        heading = _heading(report, path)
        if not group.parts or group.parts[-1][0] != heading:
            group.parts.append((heading, []))
        group.parts[-1][1].append(view)
    for current, following in pairwise(ordered):
        current.next_id = following.row.id
    ids = {path: row.id for path, row in rows.items()}
    checks = [
        CheckView(check, [(name, _anchor(name, ids)) for name in check.facts])
        for check in sorted(report.checks, key=lambda check: check.status == "pass")
    ]
    anchors = {
        int(match.group(1))
        for check in report.checks
        for name in check.facts
        if (match := _TEXT_AT.fullmatch(name))
    } | {stretch.start for stretch in report.unread}
    newer = session.scalar(
        select(func.max(models.Document.id)).where(
            models.Document.sha256 == document.sha256,
            models.Document.status == "done",
            models.Document.id > document.id,
        )
    )
    return ReportView(
        document=document,
        report=report,
        groups=list(groups.values()),
        facts=ordered,
        segments=segments(report, ordered, anchors),
        checks=checks,
        rejected=report.rejected,
        newer=newer,
    )


def _label(path: str) -> str:
    general = re.sub(r"\[\d+\]", "[]", path)
    label = LABELS.get(general, general)
    if general in ("problems[]", "measures[]"):
        index = int(re.search(r"\d+", path).group())  # type: ignore[union-attr]
        return f"{label} {index + 1}"
    return label


def _heading(report: Report, path: str) -> str | None:
    """What a list item's facts stand under: the project's name, the indicator's levels."""
    match = re.match(r"(projects|indicators)\[(\d+)\]", path)
    if match is None:
        return None
    index = int(match.group(2))
    if match.group(1) == "projects":
        return f"{index + 1}. {report.projects[index].name.raw}"
    indicator = report.indicators[index]
    levels = [level for level in (indicator.level1, indicator.level2, indicator.level3) if level]
    heading = f"{index + 1}. {' › '.join(levels)}"
    if indicator.project is not None and indicator.project < len(report.projects):
        project = report.projects[indicator.project].name.raw
        heading = f"{heading} · 项目 {indicator.project + 1}. {project}"
    return f"{heading} ({indicator.note})" if indicator.note else heading


def _anchor(name: str, ids: dict[str, int]) -> str | None:
    if name in ids:
        return f"fact-{ids[name]}"
    match = _TEXT_AT.fullmatch(name)
    return f"at-{match.group(1)}" if match else None


def segments(report: Report, facts: Sequence[FactView], anchors: Iterable[int]) -> list[Segment]:
    """The source text cut wherever a fact, a stretch OCR doubted, a stretch
    nothing read, or a place a check names begins or ends."""
    text = report.document.text
    spans = [
        (f.row.start, f.row.end, f) for f in facts if 0 <= f.row.start < f.row.end <= len(text)
    ]
    doubts = [
        (
            reading.start,
            reading.end,
            (
                f"OCR read this on page {reading.page} with confidence"
                f" {reading.confidence:.2f}: compare it with the scan"
            ),
        )
        for reading in report.document.ocr_low_confidence
    ]
    unread = [
        (stretch.start, stretch.end, f"not read by the pipeline: {stretch.reason}")
        for stretch in report.unread
    ]
    anchors = {offset for offset in anchors if 0 <= offset < len(text)}
    cuts = {0, len(text), *anchors}
    for start, end, _ in [*spans, *doubts, *unread]:
        cuts |= {min(start, len(text)), min(end, len(text))}
    starting: dict[int, list[Any]] = defaultdict(list)
    for start, end, fact in spans:
        starting[start].append((end, fact))
    open_facts: list[tuple[int, FactView]] = []
    result = []
    bounds = sorted(cuts)
    for start, end in pairwise(bounds):
        open_facts = [(stop, fact) for stop, fact in open_facts if stop > start]
        open_facts.extend(starting.get(start, []))
        covering = sorted(open_facts, key=lambda item: item[0] - item[1].row.start)
        states = {fact.state for _, fact in covering}
        state = next((s for s in _PRECEDENCE if s in states), None)
        doubt = next((note for first, last, note in doubts if first <= start and end <= last), None)
        unseen = next(
            (note for first, last, note in unread if first <= start and end <= last), None
        )
        result.append(
            Segment(
                text=text[start:end],
                facts=[fact.row.id for _, fact in covering],
                state=state,
                anchor=start if start in anchors else None,
                ocr=doubt,
                unread=unseen,
            )
        )
    return result
