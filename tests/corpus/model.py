"""The corpus's building blocks.

A report is a list of blocks: prose paragraphs (str) and tables. A table is a
grid in which merged cells are marked (UP: covered by the cell above, LEFT:
covered by the cell to the left), so that every layout family can show a merge
its own way. Tables that the gold learns from (indicator tables, project forms,
summary tables) are built from typed data by the builders below, so that the
text and the gold cannot disagree by accident; deliberate disagreements are
written into the spec and listed in its gold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace


class Merged:
    """A cell covered by a merged neighbour."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


UP = Merged("UP")
LEFT = Merged("LEFT")
Cell = str | Merged


def num(value: float) -> str:
    """A figure as forms print it: up to two decimals, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def money(yuan: float, unit: str, decimals: int = 2, thousands: bool = False) -> str:
    """A sum in 元 shown in the table's unit (万元 or 元)."""
    value = yuan / 10000 if unit == "万元" else yuan
    return f"{value:,.{decimals}f}" if thousands else f"{value:.{decimals}f}"


@dataclass
class Table:
    rows: list[list[Cell]]
    # rows at which the one_line family starts a new line (a flattened
    # spreadsheet usually comes out as a few long lines, not one)
    breaks: tuple[int, ...] = ()
    indicators: list[Indicator] = field(default_factory=list)
    projects: list[ProjectGold] = field(default_factory=list)
    # the project (by position in `projects`) that `indicators` belong to
    indicator_project: int | None = None
    # the total score the table states, and what it adds to the rows' scores
    # (a project form's budget-execution score): for the corpus's own checks
    stated_total: float | None = None
    added_score: float = 0

    def __post_init__(self) -> None:
        widths = {len(row) for row in self.rows}
        assert len(widths) == 1, f"ragged table: widths {widths} in {self.rows[0]}"

    @property
    def width(self) -> int:
        return len(self.rows[0])


@dataclass
class Indicator:
    """One indicator row. `target` and `actual` are the cell text a reader sees
    (for split columns, the three cells read together, e.g. ≥120公里)."""

    level3: str  # "" for a row whose name cell is blank
    target: str
    actual: str | None
    weight: float
    score: float
    level1: str | None = None
    level2: str | None = None
    reason: str = ""


@dataclass
class ProjectGold:
    """What the gold says about a project; money in 元."""

    name: str
    budget: float | None
    actual: float | None
    supervisor: str | None = None
    implementer: str | None = None
    initial_budget: float | None = None
    execution_rate: float | None = None
    goal: str | None = None
    self_score: float | None = None


@dataclass(frozen=True)
class Columns:
    """An indicator table's vocabulary. `target` as a 3-tuple means the split
    指标性质 + 指标值 + 度量单位 columns; a None level drops that column."""

    level1: str | None = "一级指标"
    level2: str | None = "二级指标"
    level3: str = "三级指标"
    target: str | tuple[str, str, str] = "指标值"
    actual: str = "实际完成值"
    weight: str = "分值"
    score: str = "得分"
    reason: str | None = "偏差原因分析及改进措施"
    prefix: str | None = None  # e.g. "指标{n}：" before each name
    merge_levels: bool = True  # level cells merged down (else repeated per row)

    @property
    def headers(self) -> list[str]:
        target = list(self.target) if isinstance(self.target, tuple) else [self.target]
        heads = [self.level1, self.level2, self.level3, *target, self.actual, self.weight]
        heads += [self.score, self.reason]
        return [head for head in heads if head is not None]


_SPLIT = re.compile(r"^([≥≤=＞＜<>≧≦═])([0-9０-９.,]+)(.*)$")


def split_target(target: str) -> tuple[str, str, str]:
    """指标性质, 指标值, 度量单位 of a target; text without a comparator is 定性."""
    match = _SPLIT.match(target)
    if match is None:
        return "定性", target, ""
    return match.group(1), match.group(2), match.group(3)


def as_read(columns: Columns, indicators: list[Indicator]) -> list[Indicator]:
    """The rows as a reader of this table knows them: no level the table lacks."""
    return [
        replace(
            row,
            level1=row.level1 if columns.level1 else None,
            level2=row.level2 if columns.level2 else None,
        )
        for row in indicators
    ]


def indicator_cells(columns: Columns, indicators: list[Indicator]) -> list[list[Cell]]:
    """The body rows of an indicator table, level cells merged down as the
    source's Word table would have them."""
    rows: list[list[Cell]] = []
    previous: Indicator | None = None
    for n, row in enumerate(indicators, start=1):
        cells: list[Cell] = []
        same1 = previous is not None and previous.level1 == row.level1
        if columns.level1 is not None:
            cells.append(UP if same1 and columns.merge_levels else row.level1 or "")
        if columns.level2 is not None:
            same2 = same1 and previous is not None and previous.level2 == row.level2
            cells.append(UP if same2 and columns.merge_levels else row.level2 or "")
        name = row.level3
        if columns.prefix and name:
            name = columns.prefix.format(n=n) + name
        cells.append(name)
        if isinstance(columns.target, tuple):
            cells.extend(split_target(row.target))
        else:
            cells.append(row.target)
        cells += [row.actual or "", num(row.weight), num(row.score)]
        if columns.reason is not None:
            cells.append(row.reason)
        rows.append(cells)
        previous = row
    return rows


def spread(cells: list[Cell], width: int) -> list[Cell]:
    """Pad a row to `width` by merging its last cell to the right."""
    return cells + [LEFT] * (width - len(cells))


def total_row(
    columns: Columns, label: str, weight: float | None, score: float | None, lead: int = 0
) -> list[Cell]:
    """A 总分/合计 row: the label spans the name columns, the figures sit under
    分值 and 得分. `lead` extra columns precede the indicator columns."""
    heads = columns.headers
    at = lead + heads.index(columns.weight)
    cells: list[Cell] = [label] + [LEFT] * (at - 1)
    cells += ["" if weight is None else num(weight), "" if score is None else num(score)]
    return cells + [""] * (lead + len(heads) - len(cells))


def indicator_table(
    columns: Columns,
    indicators: list[Indicator],
    total: tuple[str, float | None, float | None] | None = None,
    title: str | None = None,
) -> Table:
    """A department's own indicator table, optionally with a title row and a
    totals row (label, weight, score)."""
    width = len(columns.headers)
    rows: list[list[Cell]] = []
    if title:
        rows.append(spread([title], width))
    rows.append(list(columns.headers))
    rows += indicator_cells(columns, indicators)
    if total is not None:
        rows.append(total_row(columns, *total))
    return Table(
        rows, indicators=as_read(columns, indicators), stated_total=total[2] if total else None
    )


@dataclass
class Funds:
    """One row of a project form's money block; figures in 元, None for none."""

    label: str
    initial: float | None
    full: float | None
    actual: float | None


@dataclass(frozen=True)
class FormLabels:
    """The words of a project form's header block: 项目支出 and 转移支付 forms
    differ only in these."""

    name: str = "项目名称"
    supervisor: str = "主管部门"
    implementer: str = "实施单位"
    funds: str = "项目资金（{unit}）"
    money: tuple[str, ...] = ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分")
    goal: str = "年度总体目标"
    goal_heads: tuple[str, str] = ("预期目标", "实际完成情况")
    indicators: str = "绩效指标"
    total: str = "总分"


TRANSFER = FormLabels(
    name="转移支付（项目）名称",
    supervisor="主管部门",
    implementer="资金使用单位",
    funds="资金情况（{unit}）",
)


@dataclass
class Project:
    """A 项目支出 (or 转移支付) self-evaluation form."""

    name: str
    supervisor: str
    implementer: str
    funds: list[Funds]  # the first row is 年度资金总额
    rate: float | None  # 执行率 as the form states it
    goal: str
    achieved: str
    indicators: list[Indicator]
    total: float | None  # 总分 as the form states it
    budget_weight: float | None = 10
    budget_score: float | None = None
    unit: str = "万元"
    decimals: int = 2
    thousands: bool = False
    none: str = "—"  # how the form writes "nothing"
    total_weight: float | None = 100

    def gold(self) -> ProjectGold:
        head = self.funds[0]
        return ProjectGold(
            name=self.name,
            budget=head.full,
            actual=head.actual,
            supervisor=self.supervisor,
            implementer=self.implementer,
            initial_budget=head.initial,
            execution_rate=self.rate,
            goal=self.goal,
            self_score=self.total,
        )


def project_table(project: Project, columns: Columns, labels: FormLabels = FormLabels()) -> Table:
    """The form: header block, money block, goal, indicator rows, 总分."""
    heads = columns.headers
    width = 1 + len(heads)
    assert width >= 8, "a project form needs at least seven indicator columns"

    def figure(yuan: float | None) -> str:
        if yuan is None:
            return project.none
        return money(yuan, project.unit, project.decimals, project.thousands)

    half = width // 2
    rows: list[list[Cell]] = [
        spread([labels.name, project.name], width),
        spread([labels.supervisor, project.supervisor], half)
        + spread([labels.implementer, project.implementer], width - half),
    ]
    label_span = width - 1 - len(labels.money)
    rows.append(
        spread([labels.funds.format(unit=project.unit), ""], 1 + label_span) + list(labels.money)
    )
    none = project.none
    for n, funds in enumerate(project.funds):
        cells = [figure(funds.initial), figure(funds.full), figure(funds.actual)]
        if n == 0:
            cells += [
                none if project.budget_weight is None else num(project.budget_weight),
                none if project.rate is None else f"{num(project.rate)}%",
                none if project.budget_score is None else num(project.budget_score),
            ]
        else:
            cells += [none, none, none]
        rows.append(spread([UP, funds.label], 1 + label_span) + cells)
    goal_at = 1 + (width - 1) // 2
    rows.append(
        spread([labels.goal, labels.goal_heads[0]], goal_at)
        + spread([labels.goal_heads[1]], width - goal_at)
    )
    rows.append(spread([UP, project.goal], goal_at) + spread([project.achieved], width - goal_at))
    indicator_start = len(rows)
    rows.append([labels.indicators, *heads])
    for cells in indicator_cells(columns, project.indicators):
        rows.append([UP, *cells])
    rows.append(total_row(columns, labels.total, project.total_weight, project.total, lead=1))
    return Table(
        rows,
        breaks=(indicator_start, len(rows) - 1),
        indicators=as_read(columns, project.indicators),
        projects=[project.gold()],
        indicator_project=0,
        stated_total=project.total,
        added_score=project.budget_score or 0,
    )


def summary_table(
    projects: list[ProjectGold],
    unit: str,
    heads: list[str],
    total: tuple[float, float] | None = None,
    decimals: int = 2,
    thousands: bool = False,
) -> Table:
    """A 绩效自评结果汇总表: 序号, 项目名称, 预算数, 执行数, 结余数, 执行率, 自评得分."""
    rows: list[list[Cell]] = [list(heads)]
    for n, project in enumerate(projects, start=1):
        budget, actual = project.budget or 0, project.actual or 0
        # a balance of nothing is written as a bare 0, as such tables do
        balance = money(budget - actual, unit, decimals, thousands) if budget != actual else "0"
        rows.append(
            [
                str(n),
                project.name,
                money(budget, unit, decimals, thousands),
                money(actual, unit, decimals, thousands),
                balance,
                f"{num(project.execution_rate)}%" if project.execution_rate is not None else "",
                num(project.self_score) if project.self_score is not None else "",
            ]
        )
    if total is not None:
        budget, actual = total
        rows.append(
            [
                "合计",
                LEFT,
                money(budget, unit, decimals, thousands),
                money(actual, unit, decimals, thousands),
                money(budget - actual, unit, decimals, thousands),
                "",
                "",
            ]
        )
    return Table(rows, projects=list(projects))


@dataclass
class Budget:
    """Department-wide figures in 元 (execution_rate in %)."""

    initial_budget: float | None = None
    full_year_budget: float | None = None
    total_expenditure: float | None = None
    basic_expenditure: float | None = None
    personnel_expenditure: float | None = None
    public_expenditure: float | None = None
    project_expenditure: float | None = None
    execution_rate: float | None = None


Block = str | Table


@dataclass
class Report:
    """One base report: its text blocks and the gold facts not read off tables."""

    key: str
    kind: str  # department / project / transfer
    unit_name: str
    fiscal_year: int | None
    body: list[Block]
    layouts: tuple[str, ...]
    report_date: str | None = None
    doc_number: str | None = None
    staffing: tuple[int | None, int | None] = (None, None)
    budget: Budget = field(default_factory=Budget)
    three_public: tuple[float | None, float | None] = (None, None)
    self_score: float | None = None
    grade: str | None = None
    projects: list[ProjectGold] = field(default_factory=list)  # stated in prose only
    problems_min: int = 0
    measures_min: int = 0
    alternatives: dict[str, list[float]] = field(default_factory=dict)
    skip: list[str] = field(default_factory=list)
    inconsistencies: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    script: str = "hans"  # hans, hant, or hant_pinyin (pinyin after some characters)
    glitches: tuple[tuple[str, str], ...] = ()  # stray Latin letters, run_together only
    gap: bool = False  # a blank line between paragraphs
