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

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from jixiao.messages import M_, Message
from jixiao.records import Check, Rejected, Report, facts_of
from jixiao.review.actions import last_reviews
from jixiao.store import models
from jixiao.store.current import FLAGGED, as_stored
from jixiao.store.summary import VERDICT_COLUMNS

VERDICTS = tuple(VERDICT_COLUMNS)
STATES = ("unreviewed", "partly reviewed", "reviewed")
# The figures the dashboard draws the distributions of, and the queue filters by
# (`Filters.measure`): columns of the queue.
MEASURES = ("execution_rate", "self_score", "indicator_completion")
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

_ENTRY = models.QueueEntry
# The queue's orders, each ending in the row's id so that pages never overlap.
SORTS: dict[str, tuple[Any, ...]] = {
    # Riskiest first: flagged figures nobody has looked at, then the checks that
    # failed, the values the source did not support, the facts left; a report
    # with nothing left to review goes last. The index ix_queue_risk walks it.
    "risk": (
        _ENTRY.cleared,
        _ENTRY.flagged.desc(),
        _ENTRY.failed.desc(),
        _ENTRY.rejected.desc(),
        _ENTRY.to_review.desc(),
        _ENTRY.document_id,
    ),
    "year": (_ENTRY.fiscal_year.desc().nulls_last(), _ENTRY.document_id),
    "unit": (_ENTRY.unit_name.nulls_last(), _ENTRY.path, _ENTRY.document_id),
    "recent": (_ENTRY.last_at.desc().nulls_last(), _ENTRY.document_id),
}
DONE = ("open", "done")


@dataclass
class Filters:
    unit: str = ""
    region: str = ""
    year: int | None = None
    verdict: str = ""
    state: str = ""
    kind: str = ""
    assignee: str = ""
    done: str = ""  # open | done
    # The dashboard's: reports failing this check (with the verdict, if one is
    # given), and those whose figure `measure` (a column of the queue, one of
    # `MEASURES`) lies in [low, high).
    check: str = ""
    measure: str = ""
    low: float | None = None
    high: float | None = None

    def query(self, **more: object) -> str:
        """The queue's address for these filters (and `more`, e.g. a page)."""
        given = {name: value for name, value in asdict(self).items() if value not in ("", None)}
        return "/?" + urlencode(given | more)

    def where(self) -> list[ColumnElement[bool]]:
        """The filters as SQL conditions on the queue."""
        where: list[ColumnElement[bool]] = []
        if self.unit:
            where.append(
                or_(
                    _ENTRY.unit_name.contains(self.unit, autoescape=True),
                    _ENTRY.path.contains(self.unit, autoescape=True),
                )
            )
        if self.region:
            where.append(_ENTRY.region.contains(self.region, autoescape=True))
        if self.year is not None:
            where.append(_ENTRY.fiscal_year == self.year)
        if self.verdict:
            where.append(getattr(_ENTRY, VERDICT_COLUMNS[self.verdict]) > 0)
        if self.check:
            failed = select(models.Check.document_id).where(
                models.Check.check_id == self.check,
                models.Check.status == self.verdict
                if self.verdict
                else models.Check.status != "pass",
            )
            where.append(_ENTRY.document_id.in_(failed))
        if self.measure in MEASURES:
            figure = getattr(_ENTRY, self.measure)
            where.append(figure.is_not(None))
            if self.low is not None:
                where.append(figure >= self.low)
            if self.high is not None:
                where.append(figure < self.high)
        if self.state:
            where.append(_ENTRY.state == self.state)
        if self.kind:
            where.append(_ENTRY.kind == self.kind)
        if self.assignee:
            where.append(_ENTRY.assignee == self.assignee)
        if self.done:
            done = _ENTRY.done_at.is_not(None)
            where.append(done if self.done == "done" else ~done)
        return where


@dataclass
class QueueRow:
    """One report in the queue, as the page shows it."""

    entry: models.QueueEntry

    def __getattr__(self, name: str) -> Any:
        return getattr(self.entry, name)

    @property
    def id(self) -> int:
        return self.entry.document_id

    @property
    def year(self) -> int | None:
        return self.entry.fiscal_year

    @property
    def verdicts(self) -> Counter[str]:
        return Counter(
            {verdict: getattr(self.entry, column) for verdict, column in VERDICT_COLUMNS.items()}
        )

    @property
    def last(self) -> tuple[str, datetime] | None:
        entry = self.entry
        return None if entry.last_reviewer is None else (entry.last_reviewer, entry.last_at)  # type: ignore[return-value]


def queue(
    session: Session, filters: Filters, page: int = 1, size: int = 100, sort: str = "risk"
) -> tuple[list[QueueRow], int]:
    """One page of the queue, in the order asked for, and how many reports match:
    filtered, sorted and cut in SQL."""
    where = filters.where()
    total = session.scalar(select(func.count()).select_from(_ENTRY).where(*where)) or 0
    query = (
        select(_ENTRY).where(*where).order_by(*SORTS[sort]).offset((page - 1) * size).limit(size)
    )
    return [QueueRow(entry) for entry in session.scalars(query)], total


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
    # The note in parts, each with the template of the check that wrote it, if one did.
    note: list[tuple[str, Message | None]] = field(default_factory=list)

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
    ocr: Message | None  # what OCR said about its confidence here
    unread: Message | None  # why no part of the pipeline read the figures here

    @property
    def notes(self) -> list[Message]:
        """What the stretch's tooltip says, a line each."""
        return [note for note in (self.ocr, self.unread) if note]


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
    entry: models.QueueEntry | None  # None for an ingestion a later one replaced
    history: list[HistoryItem]

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
    report, stored = as_stored(session, document)
    rows = {row.path: row for row in stored}
    last = last_reviews(session, [row.id for row in rows.values()])
    groups: dict[str, Group] = {}
    ordered: list[FactView] = []
    templates = {check.message: check.template for check in report.checks if check.template}
    for path, _ in facts_of(report):
        row = rows.get(path)
        if row is None:
            continue
        view = FactView(row, _label(path), last.get(row.id), note=_note(row.note, templates))
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
        entry=session.get(models.QueueEntry, document.id),
        history=history(session, document.id),
    )


@dataclass
class HistoryItem:
    at: datetime
    reviewer: str
    action: str
    what: Message | str
    resolved: list[dict[str, Any]] = field(default_factory=list)
    raised: list[dict[str, Any]] = field(default_factory=list)


def after(detail: dict[str, Any]) -> Message:
    """What a recheck followed: "the correction of budget.x"."""
    fact = detail.get("fact")
    if detail.get("after") == "reject":
        return M_("checks run again after the rejection of %(fact)s", fact=fact)
    return M_("checks run again after the correction of %(fact)s", fact=fact)


def history(session: Session, document_id: int) -> list[HistoryItem]:
    """Everything reviewers did to a report, newest first: each fact's reviews,
    and the report's events (assigned, done, reopened, checks run again)."""
    items = [
        HistoryItem(
            review.at,
            review.reviewer,
            review.action,
            f"{path}: “{review.before['raw']}”"
            + (
                f" → “{review.after['raw']}”" if review.action == "correct" and review.after else ""
            ),
        )
        for review, path in session.execute(
            select(models.Review, models.Fact.path)
            .join(models.Fact, models.Fact.id == models.Review.fact_id)
            .where(models.Fact.document_id == document_id)
        )
    ]
    for event in session.scalars(
        select(models.Event).where(models.Event.document_id == document_id)
    ):
        detail = event.detail
        what = {
            "assign": M_("assigned to %(to)s", to=detail["to"])
            if detail.get("to")
            else M_("assigned to nobody"),
            "done": M_("marked done"),
            "reopen": M_("opened again"),
            "recheck": after(detail),
            "carry": M_(
                "reviews carried over from its ingestion #%(earlier)s: %(facts)s facts",
                earlier=detail.get("from"),
                facts=detail.get("facts"),
            ),
        }.get(event.action, event.action)
        items.append(
            HistoryItem(
                event.at,
                event.reviewer,
                event.action,
                what,
                detail.get("resolved", []),
                detail.get("raised", []),
            )
        )
    return sorted(items, key=lambda item: item.at, reverse=True)


def rechecked(session: Session, document_id: int, event_id: int | None) -> models.Event | None:
    """The event of this report's checks run again, if that is what `event_id` names."""
    if event_id is None:
        return None
    event = session.get(models.Event, event_id)
    if event is None or event.document_id != document_id or event.action != "recheck":
        return None
    return event


def _note(note: str | None, templates: dict[str, Message]) -> list[tuple[str, Message | None]]:
    """A fact's note in parts, each with its template where a check's message is
    what it says: the checks write the message of the verdict that flags a fact
    as its note, and add an OCR doubt to it after "; " (`jixiao.check.registry`).
    A note no check wrote (a reviewer's correction) is one part, without."""
    if not note:
        return []
    if note in templates:
        return [(note, templates[note])]
    parts = note.split("; ")
    if all(part in templates for part in parts):
        return [(part, templates[part]) for part in parts]
    return [(note, None)]


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
            M_(
                "OCR read this on page %(page)s with confidence %(confidence).2f:"
                " compare it with the scan",
                page=reading.page,
                confidence=reading.confidence,
            ),
        )
        for reading in report.document.ocr_low_confidence
    ]
    unread = [
        (
            stretch.start,
            stretch.end,
            M_("not read by the pipeline: %(why)s", why=stretch.template or stretch.reason),
        )
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
