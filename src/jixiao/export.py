"""Export the stored reports: the contract's JSON, or one flat table per record kind.

What an export holds is each report's latest ingestion as it stands, read the
one way every reader reads it (`jixiao.store.current`): a corrected fact with
its new value, a fact a reviewer rejected gone from the record and listed in
`rejected`, the checks as they last ran. `statuses` keeps only facts of those
statuses (``confirmed``, ``corrected`` for what people have checked).

- json: one array of records; jsonl: one record per line;
- csv: a folder with one file per table; xlsx: one workbook, a sheet per table;
  parquet: a folder with one file per table.

The tables are reports, budget, projects, indicators, problems, measures and
checks, keyed by `report` (the file's sha256), with a status and a review column
beside every figure.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import ColumnElement

from jixiao.records import Budget, Fact, Project, Report
from jixiao.store import Store, models
from jixiao.store.current import Current, current

Format = Literal["json", "jsonl", "csv", "xlsx", "parquet"]
FORMATS: tuple[Format, ...] = ("json", "jsonl", "csv", "xlsx", "parquet")


# A report as exported is the report as it stands (`jixiao.store.current`).
Exported = Current


def exported_reports(
    store: Store,
    statuses: Iterable[str] = (),
    *,
    reviewed: bool = False,
    year: int | None = None,
    region: str | None = None,
    kind: str | None = None,
) -> Iterator[Exported]:
    """Each report's latest ingestion as it stands; `statuses` keeps facts of those
    statuses, the others keep reports marked done by a reviewer (`reviewed`), of
    a fiscal year, of a region (part of its province, city or county names) or
    of a kind."""
    entry = models.QueueEntry
    where: list[ColumnElement[bool]] = []
    if reviewed:
        where.append(entry.done_at.is_not(None))
    if year is not None:
        where.append(entry.fiscal_year == year)
    if region:
        where.append(entry.region.contains(region, autoescape=True))
    if kind:
        where.append(entry.kind == kind)
    with store.session() as session:
        for document in store.latest_documents(session, *where):
            yield current(session, document, statuses)


# --- flat tables ----------------------------------------------------------------------

_HEADER_FIELDS = ["unit_name", "fiscal_year", "report_date", "doc_number", "self_score", "grade"]
_NESTED_FIELDS = {
    "staffing": ["authorized", "actual"],
    "three_public": ["budget", "actual"],
}


def _figure(exported: Exported, path: str, fact: Fact | None, name: str) -> dict[str, Any]:
    return {
        name: None if fact is None else fact.value,
        f"{name}_raw": None if fact is None else fact.raw,
        f"{name}_status": None if fact is None else fact.status,
        f"{name}_review": None if fact is None else exported.reviews.get(path, "unreviewed"),
    }


def _reports_row(exported: Exported) -> dict[str, Any]:
    report = exported.report
    document = report.document
    row: dict[str, Any] = {
        "report": exported.key,
        "path": document.path,
        "format": document.format,
        "ocr": document.ocr,
        "pages": document.pages,
        "chars": document.chars,
        "kind": report.kind,
        "province": report.region.province,
        "city": report.region.city,
        "county": report.region.county,
    }
    for name in _HEADER_FIELDS:
        row |= _figure(exported, name, getattr(report, name), name)
    for holder, names in _NESTED_FIELDS.items():
        for name in names:
            path = f"{holder}.{name}"
            row |= _figure(
                exported, path, getattr(getattr(report, holder), name), path.replace(".", "_")
            )
    row |= {
        "indicators": len(report.indicators),
        "projects": len(report.projects),
        "checks_failed": sum(check.status != "pass" for check in report.checks),
        "rejected": len(report.rejected),
        "unread": len(report.unread),
        "review_state": exported.review_state,
    }
    return row


def _budget_row(exported: Exported) -> dict[str, Any]:
    row: dict[str, Any] = {"report": exported.key}
    for name in Budget.model_fields:
        path = f"budget.{name}"
        row |= _figure(exported, path, getattr(exported.report.budget, name), name)
    return row


def _projects_rows(exported: Exported) -> Iterator[dict[str, Any]]:
    for index, project in enumerate(exported.report.projects):
        row: dict[str, Any] = {"report": exported.key, "index": index}
        for name in Project.model_fields:
            row |= _figure(exported, f"projects[{index}].{name}", getattr(project, name), name)
        yield row


def _indicators_rows(exported: Exported) -> Iterator[dict[str, Any]]:
    for index, indicator in enumerate(exported.report.indicators):
        row: dict[str, Any] = {
            "report": exported.key,
            "index": index,
            "project": indicator.project,
            "level1": indicator.level1,
            "level2": indicator.level2,
            "level3": indicator.level3,
        }
        for name in ("target", "actual", "weight", "score"):
            path = f"indicators[{index}].{name}"
            row |= _figure(exported, path, getattr(indicator, name), name)
        row |= {
            "target_op": indicator.target_op,
            "target_value": indicator.target_value,
            "target_unit": indicator.target_unit,
            "actual_value": indicator.actual_value,
            "actual_unit": indicator.actual_unit,
            "note": indicator.note,
        }
        yield row


def _text_rows(kind: str) -> Callable[[Exported], Iterator[dict[str, Any]]]:
    def rows(exported: Exported) -> Iterator[dict[str, Any]]:
        for index, fact in enumerate(getattr(exported.report, kind)):
            path = f"{kind}[{index}]"
            yield {
                "report": exported.key,
                "index": index,
                "text": fact.value,
                "start": fact.start,
                "end": fact.end,
                "status": fact.status,
                "review": exported.reviews.get(path, "unreviewed"),
            }

    return rows


def _checks_rows(exported: Exported) -> Iterator[dict[str, Any]]:
    for check in exported.report.checks:
        yield {
            "report": exported.key,
            "check": check.id,
            "status": check.status,
            "message": check.message,
            "facts": "; ".join(check.facts),
        }


TABLES: dict[str, Callable[[Exported], Iterable[dict[str, Any]]]] = {
    "reports": lambda exported: [_reports_row(exported)],
    "budget": lambda exported: [_budget_row(exported)],
    "projects": _projects_rows,
    "indicators": _indicators_rows,
    "problems": _text_rows("problems"),
    "measures": _text_rows("measures"),
    "checks": _checks_rows,
}


def _empty_report() -> Exported:
    """A report with one of everything, to learn every table's columns from."""
    fact = Fact(value="", raw="", start=0, end=0)
    report = Report.model_validate(
        {
            "document": {
                "path": "",
                "sha256": "",
                "format": "",
                "encoding": None,
                "chars": 0,
                "text": "",
            },
            "projects": [{"name": fact}],
            "indicators": [{}],
            "problems": [fact],
            "measures": [fact],
            "checks": [{"id": "", "status": "pass", "message": ""}],
        }
    )
    return Exported(report, {})


def columns() -> dict[str, list[str]]:
    """Each table's columns, in order: the same whether or not a table has rows."""
    sample = _empty_report()
    return {name: list(next(iter(rows(sample)))) for name, rows in TABLES.items()}


def table_rows(reports: Iterable[Exported]) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    for exported in reports:
        for name, rows in TABLES.items():
            tables[name].extend(rows(exported))
    return tables


# --- writing --------------------------------------------------------------------------


def export(reports: Iterable[Exported], format: Format, out: Path) -> int:
    """Write the reports to `out` (a file for json, jsonl and xlsx, a folder for
    csv and parquet); returns how many reports were written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if format in ("json", "jsonl"):
        return write_records((e.report for e in reports), out, lines=format == "jsonl")
    reports = list(reports)
    tables = table_rows(reports)
    {"csv": _write_csv, "xlsx": _write_xlsx, "parquet": _write_parquet}[format](tables, out)
    return len(reports)


def write_records(reports: Iterable[Report], out: Path, lines: bool) -> int:
    """Records as one JSON array, or one a line. Streamed, so that thousands of
    reports never sit in memory together; written beside the target and moved
    into place, so a crash leaves no half file."""
    partial = out.with_name(out.name + ".partial")
    count = 0
    with partial.open("w", encoding="utf-8") as file:
        if not lines:
            file.write("[")
        for report in reports:
            record = json.dumps(report.model_dump(mode="json"), ensure_ascii=False)
            if lines:
                file.write(record + "\n")
            else:
                file.write(("," if count else "") + "\n" + record)
            count += 1
        if not lines:
            file.write("\n]\n")
    partial.replace(out)
    return count


RecordsShape = Literal["record", "json", "jsonl"]


def read_records(path: Path) -> tuple[list[Report], RecordsShape]:
    """The records of a file `ingest --out` wrote (one record) or `export` did (a
    JSON array, or a record a line), and which of these shapes it has. Raises
    ValueError (or OSError) for a file that holds none."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() != ".jsonl":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            # More than one JSON value: a JSON-lines file under another name.
            if not error.msg.startswith("Extra data"):
                raise
        else:
            if isinstance(data, list):
                return [_record(item, f"record {n + 1}") for n, item in enumerate(data)], "json"
            return [_record(data, "the record")], "record"
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    return [_record(json.loads(line), f"line {n}") for n, line in lines], "jsonl"


def _record(data: object, where: str) -> Report:
    try:
        return Report.model_validate(data)
    except ValueError as error:
        raise ValueError(f"{where}: {str(error).splitlines()[0]}") from None


def _write_csv(tables: dict[str, list[dict[str, Any]]], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, header in columns().items():
        # utf-8-sig: Excel, which most of our users open CSV files in, needs the
        # BOM to read Chinese as UTF-8.
        with (out / f"{name}.csv").open("w", encoding="utf-8-sig", newline="") as file:
            writer = csv.DictWriter(file, header)
            writer.writeheader()
            writer.writerows(
                {key: _csv_cell(value) for key, value in row.items()} for row in tables[name]
            )


def _write_xlsx(tables: dict[str, list[dict[str, Any]]], out: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for name, header in columns().items():
        sheet = workbook.create_sheet(name)
        sheet.append(header)
        for row in tables[name]:
            sheet.append([_xlsx_cell(sheet, row[column]) for column in header])
    partial = out.with_name(out.name + ".partial")
    workbook.save(partial)
    partial.replace(out)


# What makes a spreadsheet read a cell as a formula (OWASP's list for CSV
# injection); documents are untrusted, so no text of theirs may start one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?%?")


def _csv_cell(value: Any) -> Any:
    """A CSV value that no spreadsheet runs: text that would start a formula gets
    the apostrophe Excel and LibreOffice read as "this is text" (a signed figure
    such as -3.5 stays a figure)."""
    formula = isinstance(value, str) and value.startswith(_FORMULA_START)
    return "'" + value if formula and not _PLAIN_NUMBER.fullmatch(value) else value


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    """An XLSX cell: text is stored as text, whatever it starts with (openpyxl
    would store ``=…`` as a formula), so a reader sees the source's own words."""
    if not isinstance(value, str):
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def _write_parquet(tables: dict[str, list[dict[str, Any]]], out: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    for name, header in columns().items():
        rows = tables[name]
        # Values of one column can mix numbers and text (a fact's value is either):
        # such a column is written as text rather than rejected.
        data = {column: _column([row[column] for row in rows]) for column in header}
        pq.write_table(pa.table(data), out / f"{name}.parquet")


def _column(values: list[Any]) -> list[Any]:
    kinds = {type(value) for value in values if value is not None}
    if len(kinds) > 1 and kinds != {int, float}:
        return [None if value is None else str(value) for value in values]
    return values
