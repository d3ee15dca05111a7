"""The dashboard: the archive counted in SQL on the queue's rows (what the
report_overview view shows: each report's latest ingestion, its figures as the
reviewers left them) and the check rows, each bar with the address of the queue
filtered to the reports it counts. Every count is read off an index of the
queue or of the checks, so the page stays fast at 100,000 reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, desc, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from jixiao.check import CHECK_NAMES
from jixiao.messages import M_, N_, Message
from jixiao.review.i18n import LABELS, translate
from jixiao.review.views import KINDS, MEASURES, STATES, Filters
from jixiao.store import models

_ENTRY = models.QueueEntry

# The figures whose distributions are drawn, with the bounds of their bars: the
# grades' bounds (优 ≥ 90, 良 ≥ 80, 中 ≥ 60) cut finer near the top, where most
# reports are.
DISTRIBUTIONS: dict[str, tuple[str, str, tuple[float, ...]]] = {
    "execution_rate": (
        N_("Budget execution rate"),
        N_("budget execution rate, in percent"),
        (60, 70, 80, 90, 95, 100),
    ),
    "self_score": (
        N_("Self-evaluation score"),
        N_("self-evaluation score"),
        (60, 70, 80, 90, 95, 100),
    ),
    "indicator_completion": (
        N_("Indicator completion"),
        N_("indicators that met their target, in percent of each report's"),
        (50, 80, 90, 100),
    ),
}
TOP = 15  # regions and checks shown, the most frequent first


@dataclass
class Bar:
    label: Message | str  # translated by `dashboard`
    count: int
    href: str  # the queue, filtered to the reports the bar counts


@dataclass
class Chart:
    key: str
    title: Message | str  # translated by `dashboard`
    subtitle: Message | str
    bars: list[Bar]
    missing: int = 0  # reports with no value for what the chart counts
    horizontal: bool = False  # long labels read better down the side

    def data(self) -> dict[str, Any]:
        """What dashboard.js draws; labels are drawn as text on a canvas."""
        return {
            "labels": [bar.label for bar in self.bars],
            "counts": [bar.count for bar in self.bars],
            "links": [bar.href for bar in self.bars],
            "horizontal": self.horizontal,
        }


@dataclass
class Dashboard:
    reports: int
    facts: int
    unreviewed: int
    charts: list[Chart]


def dashboard(session: Session, language: str = "en") -> Dashboard:
    totals = select(
        func.count(),
        func.coalesce(func.sum(_ENTRY.facts), 0),
        func.coalesce(func.sum(_ENTRY.to_review), 0),
    )
    reports, facts, unreviewed = session.execute(totals).one()
    charts = [
        _years(session),
        _regions(session),
        _counted(
            session,
            "kind",
            (N_("Report kind"), N_("reports by kind")),
            {kind: LABELS[kind] for kind in KINDS},
            lambda kind: Filters(kind=kind),
        ),
        _counted(
            session,
            "review_state",
            (N_("Review state"), N_("reports by review state")),
            {state: LABELS[state] for state in STATES},
            lambda state: Filters(state=state),
            column="state",
        ),
        *(_distribution(session, measure) for measure in MEASURES),
        _failed_checks(session),
    ]
    for chart in charts:
        chart.title = translate(language, chart.title)
        chart.subtitle = translate(language, chart.subtitle)
        for bar in chart.bars:
            bar.label = translate(language, bar.label)
    return Dashboard(int(reports), int(facts), int(unreviewed), charts)


def _missing(session: Session, figure: ColumnElement[Any] | InstrumentedAttribute[Any]) -> int:
    return session.scalar(select(func.count()).select_from(_ENTRY).where(figure.is_(None))) or 0


def _years(session: Session) -> Chart:
    year = _ENTRY.fiscal_year
    counted = select(year, func.count()).where(year.is_not(None)).group_by(year).order_by(year)
    bars = [
        Bar(str(value), count, Filters(year=value).query())
        for value, count in session.execute(counted)
    ]
    return Chart("year", N_("Year"), N_("reports by fiscal year"), bars, _missing(session, year))


def _regions(session: Session) -> Chart:
    province, city = _ENTRY.province, _ENTRY.city
    counted = (
        select(province, city, func.count().label("reports"))
        .where(province.is_not(None) | city.is_not(None))
        .group_by(province, city)
        .order_by(desc("reports"), province, city)
        .limit(TOP)
    )
    bars = []
    for *places, count in session.execute(counted):
        # The queue's region filter finds the words in "province city county".
        region = " ".join(place for place in places if place)
        bars.append(Bar(region, count, Filters(region=region).query()))
    missing = session.scalar(
        select(func.count()).select_from(_ENTRY).where(province.is_(None), city.is_(None))
    )
    return Chart(
        "region",
        N_("Region"),
        M_("reports by province and prefecture, the %(top)s with most", top=TOP),
        bars,
        missing or 0,
        horizontal=True,
    )


def _counted(
    session: Session,
    name: str,
    title: tuple[str, str],
    labels: dict[str, str],
    filters: Callable[[str], Filters],
    column: str = "",
) -> Chart:
    """Reports by a column of few values, in the order of `labels` (value →
    label); `filters` is the queue's for a value."""
    figure = getattr(_ENTRY, column or name)
    counted = select(figure, func.count()).where(figure.is_not(None)).group_by(figure)
    counts: dict[str, int] = dict(session.execute(counted).all())
    bars = [
        Bar(label, counts[value], filters(value).query())
        for value, label in labels.items()
        if counts.get(value)
    ]
    return Chart(name, *title, bars, _missing(session, figure))


def _distribution(session: Session, measure: str) -> Chart:
    title, subtitle, edges = DISTRIBUTIONS[measure]
    figure = getattr(_ENTRY, measure)
    bucket = case(*((figure < edge, index) for index, edge in enumerate(edges)), else_=len(edges))
    counted = select(bucket, func.count()).where(figure.is_not(None)).group_by(bucket)
    counts: dict[int, int] = dict(session.execute(counted).all())
    bounds = [None, *edges, None]
    bars = []
    for index in range(len(edges) + 1 if counts else 0):  # no bars of nothing but zeros
        low, high = bounds[index], bounds[index + 1]
        label = (
            f"<{high:g}" if low is None else f"≥{low:g}" if high is None else f"{low:g}–{high:g}"
        )
        query = Filters(measure=measure, low=low, high=high).query()
        bars.append(Bar(label, counts.get(index, 0), query))
    return Chart(measure, title, subtitle, bars, _missing(session, figure))


def _failed_checks(session: Session) -> Chart:
    checks = models.Check
    reports = func.count(checks.document_id.distinct()).label("reports")
    counted = (
        select(checks.check_id, checks.status, reports)
        .join(_ENTRY, _ENTRY.document_id == checks.document_id)  # the latest ingestions
        .where(checks.status != "pass")
        .group_by(checks.check_id, checks.status)
        .order_by(desc("reports"), checks.check_id, checks.status)
        .limit(TOP)
    )
    bars = [
        Bar(
            M_(
                "%(check)s · %(verdict)s",
                check=M_(CHECK_NAMES[check_id]) if check_id in CHECK_NAMES else check_id,
                verdict=M_(LABELS.get(status, status)),
            ),
            count,
            Filters(check=check_id, verdict=status).query(),
        )
        for check_id, status, count in session.execute(counted)
    ]
    return Chart(
        "checks",
        N_("Failed checks"),
        M_("the %(top)s checks failed by most reports, and how", top=TOP),
        bars,
        horizontal=True,
    )
