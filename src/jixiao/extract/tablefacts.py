"""Tables to facts with no model call: indicator rows, budget figures, project
tables (header block, funds, total) and a table listing projects a row each."""

from __future__ import annotations

import re
from dataclasses import replace

from jixiao.extract.ground import quantity_fact
from jixiao.records import (
    DocumentInfo,
    Fact,
    IndicatorRecord,
    OcrReading,
    Project,
    Report,
    ReportKind,
    SectionSpan,
    StoredGrid,
    Unread,
)
from jixiao.structure import Prepared
from jixiao.structure.labels import column_field, form_field
from jixiao.structure.numbers import Quantity
from jixiao.structure.sections import flatten
from jixiao.structure.tables import BudgetLine, Form, Indicator, Table


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

    def number_fact(role: str, quantity: Quantity | None) -> Fact | None:
        cell = record.cells.get(role)
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
        weight=number_fact("weight", record.weight_quantity),
        score=number_fact("score", record.score_quantity),
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
    fields = [
        field
        for column, field in enumerate(table.columns)
        if field in _SUMMARY_COLUMNS and not _repeats_left(table, column)
    ]
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


def _repeats_left(table: Table, column: int) -> bool:
    """Whether a column is the one on its left again: one merged cell over both
    in every row, where the rows of a Word table divide it differently (a
    converter that moves cell borders writes such tables)."""
    return (
        column > 0
        and table.header[column] == table.header[column - 1]
        and all(row[column].text == row[column - 1].text for row in table.rows if len(row) > column)
    )


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
            project.self_score = quantity_fact(table.total, "score")
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


def report_kind(prepared: Prepared) -> ReportKind:
    """A report of project tables is a project report (a transfer payment's when its
    title says so); any other, the department's whole spending, a table listing
    its projects a row each included."""
    if not any(table.form is not None for table in prepared.tables):
        return "department"
    head = prepared.document.text[: prepared.sections[0].start if prepared.sections else 300]
    return "transfer" if _TRANSFER.search(head or prepared.document.text[:300]) else "project"


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


def document_info(prepared: Prepared) -> DocumentInfo:
    """What a record says of its source, the text OCR was unsure of included, and
    the grids and sections the pipeline found in it, for the checks to read."""
    document = prepared.document
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
        grids=[StoredGrid.of(grid, document.text) for grid in prepared.grids],
        sections=[
            SectionSpan(title=s.title, level=s.level, start=s.start, body_end=s.body_end)
            for s in flatten(prepared.sections)
        ],
    )


def from_tables(prepared: Prepared) -> Report:
    """What a report's tables state, read with no model call: indicator rows,
    budget figures, project tables, and the stretches nothing could read."""
    text = prepared.document.text
    report = Report(document=document_info(prepared))
    report.projects, of_table = project_tables(prepared.tables, text)
    report.kind = report_kind(prepared)
    report.indicators = indicator_records(prepared.tables, text, of_table)
    report.unread = [
        Unread.because(region.start, region.end, region.reason) for region in prepared.unread
    ]
    for name, fact in budget_facts(prepared.tables).items():
        setattr(report.budget, name, fact)
    report.usage.table_tokens_saved = sum(
        chunk.tokens
        for chunk in prepared.chunks
        if chunk.kind == "table"
        and chunk.table is not None
        and prepared.tables[chunk.table].kind in ("indicators", "budget")
    )
    return report
