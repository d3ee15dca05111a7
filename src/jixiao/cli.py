"""The `jixiao` command."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable
from rich.tree import Tree

from jixiao.check import run_checks
from jixiao.chunks import DEFAULT_CHUNK_TOKENS
from jixiao.evaluate import evaluate, iter_facts
from jixiao.ingest import report_files, run_one, save_record, timed, write_record
from jixiao.llm import ModelClient, ModelError, Settings
from jixiao.load import LoadError
from jixiao.pipeline import Prepared, prepare
from jixiao.records import Report, Usage
from jixiao.sections import Section

app = typer.Typer(
    help="Turn budget-performance self-evaluation reports (绩效自评报告) into verified records.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
errors = Console(stderr=True)


def _error(message: str) -> None:
    """One line on standard error: the file, what is wrong, what to do."""
    errors.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)


@app.callback()
def main() -> None:
    """jixiao: budget-performance reports in, verified records out."""


@app.command()
def inspect(
    files: Annotated[list[Path], typer.Argument(help="Reports to inspect: .txt, .docx or .pdf.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per file.")
    ] = False,
    chunk_tokens: Annotated[
        int, typer.Option(min=50, help="Token budget of one chunk of model work.")
    ] = DEFAULT_CHUNK_TOKENS,
) -> None:
    """Show how each report splits into sections, tables and chunks."""
    failed = 0
    for path in files:
        try:
            prepared = prepare(path, chunk_tokens)
        except LoadError as error:
            _error(str(error))
            failed += 1
            continue
        if as_json:
            print(json.dumps(prepared.to_json(), ensure_ascii=False))
        else:
            _show(prepared)
    if failed:
        raise typer.Exit(code=1)


def _show(prepared: Prepared) -> None:
    document = prepared.document
    text = document.text
    tree = Tree(
        f"[bold]{escape(str(document.path))}[/bold]  {document.format}"
        f"{', ' + document.encoding if document.encoding else ''}, {len(text):,} characters"
    )

    def add(branch: Tree, sections: list[Section]) -> None:
        for section in sections:
            label = escape(text[section.start : section.end])
            add(
                branch.add(f"{label}  [dim]{section.start}–{section.body_end}[/dim]"),
                section.children,
            )

    add(tree, prepared.sections)
    console.print(tree)
    for number, table in enumerate(prepared.tables, 1):
        summary = RichTable(
            title=f"table {number}: {table.kind}"
            + (f", unit {table.unit}" if table.unit else "")
            + f", {len(table.rows)} rows  [dim]{table.start}–{table.end}[/dim]",
            title_justify="left",
        )
        if table.kind == "indicators":
            for name in ("level1", "level2", "level3", "target", "actual", "weight", "score"):
                summary.add_column(name)
            for record in table.indicators:
                row = record.to_json()
                summary.add_row(
                    *(
                        escape("" if row[name] is None else str(row[name]))
                        for name in (
                            "level1",
                            "level2",
                            "level3",
                            "target",
                            "actual",
                            "weight",
                            "score",
                        )
                    )
                )
        else:
            width = max([len(table.header)] + [len(row) for row in table.rows])
            for column in range(width):
                summary.add_column(
                    escape(table.header[column]) if column < len(table.header) else ""
                )
            for row in table.rows:
                cells = [escape(cell.text) for cell in row]
                summary.add_row(*(cells + [""] * (width - len(cells))))
        console.print(summary)
    tokens = sum(chunk.tokens for chunk in prepared.chunks)
    console.print(
        f"{len(prepared.chunks)} chunks, about {tokens:,} tokens "
        f"(largest {max((c.tokens for c in prepared.chunks), default=0):,})\n"
    )


_Replay = Annotated[
    Path | None,
    typer.Option(help="Replay the model traffic from the cassettes in this folder (offline)."),
]
_Record = Annotated[
    Path | None,
    typer.Option(help="Record the model traffic into cassettes in this folder."),
]
_NoCache = Annotated[
    bool, typer.Option("--no-cache", help="Ask the model again, ignoring cached answers.")
]
_Model = Annotated[str | None, typer.Option(help="Model name (default: $JIXIAO_MODEL).")]
_BaseUrl = Annotated[
    str | None, typer.Option(help="OpenAI-compatible endpoint (default: $JIXIAO_BASE_URL).")
]
_Mode = Annotated[
    str | None, typer.Option(help="instructor mode: json, json_schema, tools or md_json.")
]


def _client(
    replay, record, no_cache, model, base_url, mode
) -> tuple[ModelClient, Path | None, str]:
    if replay and record:
        raise typer.BadParameter("give --replay or --record, not both")
    try:
        # A replay must ask what was recorded: the recording's settings, not the
        # environment's (a user's JIXIAO_BASE_URL would miss every request).
        settings = (
            Settings(
                **{
                    k: v
                    for k, v in {"model": model, "base_url": base_url, "mode": mode}.items()
                    if v
                }
            )
            if replay
            else Settings.from_env(model=model, base_url=base_url, mode=mode)
        )
    except ModelError as error:
        raise typer.BadParameter(str(error)) from None
    # Cassettes hold every request: a cached answer would hide one from them.
    client = ModelClient(settings, use_cache=not (no_cache or replay or record))
    return client, replay or record, "record" if record else "replay"


@app.command()
def extract(
    file: Annotated[Path, typer.Argument(help="The report.")],
    replay: _Replay = None,
    record: _Record = None,
    no_cache: _NoCache = False,
    model: _Model = None,
    base_url: _BaseUrl = None,
    mode: _Mode = None,
) -> None:
    """Print the report record of one report, as JSON."""
    client, cassettes, cassette_mode = _client(replay, record, no_cache, model, base_url, mode)
    try:
        report = run_one(file, client, cassettes, cassette_mode)  # type: ignore[arg-type]
    except (LoadError, ModelError) as error:
        _error(str(error))
        raise typer.Exit(code=1) from None
    print(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=1))


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Report files or folders.")],
    out: Annotated[Path, typer.Option(help="Folder for the records (one JSON per report).")],
    replay: _Replay = None,
    record: _Record = None,
    no_cache: _NoCache = False,
    model: _Model = None,
    base_url: _BaseUrl = None,
    mode: _Mode = None,
) -> None:
    """Extract every report and write one contract JSON per report into --out."""
    client, cassettes, cassette_mode = _client(replay, record, no_cache, model, base_url, mode)
    files = report_files(paths)
    summary = RichTable(title="ingest", title_justify="left")
    verdicts: Counter[str] = Counter()
    for column in (
        "report",
        "facts",
        "indicators",
        "rejected",
        "calls",
        "tokens",
        "saved",
        "seconds",
    ):
        summary.add_column(column, justify="left" if column == "report" else "right")
    total = Usage()
    failed = 0
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as progress:
        reports = progress.add_task("reports", total=len(files))
        for path in files:
            requests = progress.add_task(f"  {escape(path.name)}", total=None)
            with timed() as seconds:
                try:
                    report = run_one(
                        path,
                        client,
                        cassettes,
                        cassette_mode,  # type: ignore[arg-type]
                        lambda done, of, task=requests: progress.update(
                            task, completed=done, total=of
                        ),
                    )
                except (LoadError, ModelError) as error:
                    _error(str(error))
                    failed += 1
                    report = None
            progress.remove_task(requests)
            progress.advance(reports)
            if report is None:
                summary.add_row(escape(path.name), "-", "-", "-", "-", "-", "-", f"{seconds():.1f}")
                continue
            write_record(report, out, path)
            verdicts.update(check.status for check in report.checks)
            usage = report.usage
            total.add(usage)
            summary.add_row(
                escape(path.name),
                str(sum(1 for _ in iter_facts(report.model_dump(mode="json")))),
                str(len(report.indicators)),
                str(len(report.rejected)),
                str(usage.calls),
                f"{usage.prompt_tokens + usage.completion_tokens:,}",
                f"{usage.table_tokens_saved:,}",
                f"{seconds():.1f}",
            )
    console.print(summary)
    console.print(
        f"{len(files) - failed} of {len(files)} reports written to {escape(str(out))}; "
        f"tokens: {total.prompt_tokens:,} prompt + {total.completion_tokens:,} completion "
        f"in {total.calls} calls ({total.cached_calls} cached); "
        f"table parser saved about {total.table_tokens_saved:,} prompt tokens"
    )
    console.print(
        "checks: "
        + (", ".join(f"{n} {status}" for status, n in sorted(verdicts.items())) or "none")
    )
    if failed:
        raise typer.Exit(code=1)


@app.command()
def check(
    records: Annotated[list[Path], typer.Argument(help="Exported record JSON files.")],
    write: Annotated[
        bool, typer.Option("--write", help="Save the re-checked records in place.")
    ] = False,
) -> None:
    """Re-run the cross-checks on exported records and show every verdict but pass."""
    failed = 0
    for path in records:
        try:
            report = Report.model_validate_json(path.read_bytes())
        except (OSError, ValueError) as error:
            first = str(error).splitlines()[0]
            _error(
                f"{path}: not a report record ({first}) — give a JSON file written by `jixiao ingest`"
            )
            failed += 1
            continue
        results = run_checks(report)
        counts = Counter(result.status for result in results)
        console.print(
            f"[bold]{escape(str(path))}[/bold]: "
            + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        )
        for result in results:
            if result.status != "pass":
                console.print(f"  {result.status}: {escape(result.message)}")
        if write:
            save_record(report, path)
    if failed:
        raise typer.Exit(code=1)


@app.command("eval")
def eval_(
    gold_dir: Annotated[Path, typer.Argument(help="Folder of gold JSON files.")],
    out_dir: Annotated[Path, typer.Argument(help="Folder of exported records.")],
    show_misses: Annotated[bool, typer.Option("--misses", help="List every miss.")] = False,
) -> None:
    """Score exported records against gold files."""
    for folder in (gold_dir, out_dir):
        if not folder.is_dir():
            _error(f"{folder}: not a folder — give the folder of JSON files")
            raise typer.Exit(code=1)
    score, missing = evaluate(gold_dir, out_dir)
    for path in missing:
        errors.print(f"[yellow]no record:[/yellow] {escape(path)}")
    for name, ratio in score.ratios().items():
        console.print(f"{name}: {ratio:.1%}")
    console.print(f"facts not in source: {score.facts_not_in_source} of {score.facts}")
    if show_misses:
        for miss in score.misses:
            console.print(f"  {escape(miss)}")
