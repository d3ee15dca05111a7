"""The `jixiao` command."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_args

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table as RichTable
from rich.tree import Tree
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from jixiao.check import run_checks
from jixiao.errors import JixiaoError
from jixiao.evaluate import EvaluationError, evaluate, iter_facts
from jixiao.read import LoadError
from jixiao.records import FactStatus, ReportKind, Usage
from jixiao.structure import Prepared, prepare
from jixiao.structure.chunks import DEFAULT_CHUNK_TOKENS
from jixiao.structure.sections import Section

# The model client, the store and the export are imported by the commands that
# use them. Each worker process of a batch imports the main module again, which
# for the `jixiao` script is this one: kept light, a worker costs some 40 MB,
# not 150.
if TYPE_CHECKING:
    from typer._click import Context as ClickContext

    from jixiao.batch import Batch, Outcome
    from jixiao.extract.cassettes import CassetteMode
    from jixiao.extract.llm import ModelClient
    from jixiao.store import Store


class _Argument(TyperArgument):
    def display_type_rich(self, ctx: ClickContext) -> str | None:
        return None  # its name and its help say what it takes


def _flag(option: TyperOption | None) -> TyperOption | None:
    if option is not None:
        option.metavar = ""  # a flag takes nothing
    return option


class _Command(TyperCommand):
    """Help that says what each parameter takes in words, not in Python types:
    typer shows `<bool>` beside its own --help and `<list[Path]>` beside every
    argument, and has no setting for either."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if type(param) is TyperArgument:
                param.__class__ = _Argument

    def get_help_option(self, ctx: ClickContext) -> TyperOption | None:
        return _flag(super().get_help_option(ctx))


class _Group(TyperGroup):
    def get_help_option(self, ctx: ClickContext) -> TyperOption | None:
        return _flag(super().get_help_option(ctx))


app = typer.Typer(
    help="Turn budget-performance self-evaluation reports (绩效自评报告) into verified records.",
    cls=_Group,
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
errors = Console(stderr=True)


def _error(message: str) -> None:
    """One line on standard error: the file, what is wrong, what to do."""
    errors.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)


def _version(shown: bool) -> None:
    if shown:
        from importlib.metadata import version

        console.print(f"jixiao {version('jixiao')}")
        raise typer.Exit


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            metavar="",
            callback=_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """jixiao: budget-performance reports in, verified records out."""


@app.command(cls=_Command)
def inspect(
    files: Annotated[
        list[Path], typer.Argument(help="Reports to inspect, in any format jixiao reads.")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", metavar="", help="Print one JSON object per file.")
    ] = False,
    chunk_tokens: Annotated[
        int, typer.Option(metavar="TOKENS", min=50, help="Token budget of one chunk of model work.")
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
            + (f", project {escape(table.form.cells['project_name'].text)}" if table.form else "")
            + (f", unit {table.unit}" if table.unit else "")
            + f", {len(table.rows)} rows  [dim]{table.start}–{table.end}[/dim]",
            title_justify="left",
        )
        if table.kind == "indicators":
            for name in ("level1", "level2", "level3", "target", "actual", "weight", "score"):
                summary.add_column(name)
            for record in table.indicators:
                fields = record.to_json()
                summary.add_row(
                    *(
                        escape("" if fields[name] is None else str(fields[name]))
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
    for region in prepared.unread:
        first_line = text[region.start : region.end].split("\n", 1)[0][:60]
        console.print(
            f"[yellow]unread[/yellow] {region.start}–{region.end}: {escape(str(region.reason))}"
            f"  [dim]{escape(first_line)}[/dim]"
        )
    tokens = sum(chunk.tokens for chunk in prepared.chunks)
    console.print(
        f"{len(prepared.chunks)} chunks, about {tokens:,} tokens "
        f"(largest {max((c.tokens for c in prepared.chunks), default=0):,})\n"
    )


_Replay = Annotated[
    Path | None,
    typer.Option(
        metavar="DIR", help="Replay the model traffic from the cassettes in this folder (offline)."
    ),
]
_Record = Annotated[
    Path | None,
    typer.Option(metavar="DIR", help="Record the model traffic into cassettes in this folder."),
]
_NoCache = Annotated[
    bool,
    typer.Option("--no-cache", metavar="", help="Ask the model again, ignoring cached answers."),
]
_Model = Annotated[
    str | None, typer.Option(metavar="NAME", help="Model name (default: $JIXIAO_MODEL).")
]
_BaseUrl = Annotated[
    str | None,
    typer.Option(metavar="URL", help="OpenAI-compatible endpoint (default: $JIXIAO_BASE_URL)."),
]
_Mode = Annotated[
    str | None,
    typer.Option(metavar="MODE", help="instructor mode: json, json_schema, tools or md_json."),
]


def _client(
    replay, record, no_cache, model, base_url, mode, concurrency=None
) -> tuple[ModelClient, Path | None, CassetteMode]:
    from jixiao.extract.llm import ModelClient, ModelError, Settings

    if replay and record:
        raise typer.BadParameter("give --replay or --record, not both")
    try:
        # A replay must ask what was recorded: the recording's settings, not the
        # environment's (a user's JIXIAO_BASE_URL would miss every request).
        chosen = {"model": model, "base_url": base_url, "mode": mode, "concurrency": concurrency}
        settings = (
            Settings(**{k: v for k, v in chosen.items() if v})
            if replay
            else Settings.from_env(**chosen)
        )
    except ModelError as error:
        raise typer.BadParameter(str(error)) from None
    # Cassettes hold every request: a cached answer would hide one from them.
    client = ModelClient(settings, use_cache=not (no_cache or replay or record))
    return client, replay or record, "record" if record else "replay"


@app.command(cls=_Command)
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
    from jixiao.batch import run_one

    client, cassettes, cassette_mode = _client(replay, record, no_cache, model, base_url, mode)
    try:
        report = run_one(file, client, cassettes, cassette_mode)
    except JixiaoError as error:
        _error(str(error))
        raise typer.Exit(code=1) from None
    print(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=1))


_Db = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="DB",
        help="Database: a SQLite file or a URL such as postgresql://user:pw@host/db"
        " (default: $JIXIAO_DB_URL, else jixiao.db).",
    ),
]


@app.command(cls=_Command)
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Report files, folders or glob patterns.")],
    db: _Db = None,
    out: Annotated[
        Path | None,
        typer.Option(metavar="DIR", help="Also write each record as JSON into this folder."),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            metavar="N", min=1, help="Model calls in flight at once (default: $JIXIAO_CONCURRENCY)."
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            min=0,
            help="Processes for reading, OCR and parsing (0: none; default: the CPUs, at most 4).",
        ),
    ] = None,
    cpu_timeout: Annotated[
        float | None,
        typer.Option(
            metavar="SECONDS",
            min=1,
            help="Seconds one report's reading, OCR and parsing may take (default: 1800).",
        ),
    ] = None,
    replay: _Replay = None,
    record: _Record = None,
    no_cache: _NoCache = False,
    model: _Model = None,
    base_url: _BaseUrl = None,
    mode: _Mode = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", metavar="", help="List each file a folder walk leaves out.")
    ] = False,
    rpm: Annotated[
        float | None,
        typer.Option(
            metavar="N",
            min=1,
            envvar="JIXIAO_RPM",
            help="Requests per minute the endpoint allows, for the whole batch (default: no limit).",
        ),
    ] = None,
    tpm: Annotated[
        float | None,
        typer.Option(
            metavar="N",
            min=1,
            envvar="JIXIAO_TPM",
            help="Tokens per minute the endpoint allows, prompt and max_tokens counted"
            " (default: no limit).",
        ),
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray",
            metavar="ADDRESS",
            help="Run on a Ray cluster: `local` starts one on this machine, `auto` joins the"
            " one this node belongs to, ray://HEAD:10001 reaches one (pip install"
            " 'jixiao\\[ray]').",
        ),
    ] = None,
) -> None:
    """Ingest reports into the database: skips what it already holds, records what fails."""
    from jixiao.batch import Batch, report_files
    from jixiao.batch.limiter import Limits, RateLimiter, lease_for
    from jixiao.extract.llm import ModelClient
    from jixiao.read import SUPPORTED_SUFFIXES
    from jixiao.store import safe_url

    client, cassettes, cassette_mode = _client(
        replay, record, no_cache, model, base_url, mode, concurrency
    )
    # One limit for the whole batch: every report's calls, on this machine or the cluster's.
    limits = Limits(rpm=rpm, tpm=tpm, concurrency=client.settings.concurrency)
    if ray_address is None:
        limiter = RateLimiter(limits, lease_for(client.settings))
        client = ModelClient(client.settings, use_cache=client.use_cache, limiter=limiter)
    found = report_files(paths)
    for path in found.missing:
        _error(f"{path}: no such file, folder or pattern match — check the path")
    _passed_over(found.passed_over, verbose)
    files = found.files
    if not files:
        _error(
            f"{' '.join(map(str, paths))}: no report files found — give report files"
            f" ({', '.join(sorted(SUPPORTED_SUFFIXES))}) or folders holding them"
        )
        raise typer.Exit(code=1)
    store = _store(db)
    batch: Batch
    if ray_address is not None:
        batch = _ray_batch(ray_address, store, client, limits, cassettes, cassette_mode, out)
    else:
        timeout = {"cpu_timeout": cpu_timeout} if cpu_timeout else {}
        batch = Batch(
            store,
            client,
            workers=workers,
            cassettes=cassettes,
            mode=cassette_mode,
            out=out,
            **timeout,
        )
    tally = Tally()
    with Progress(
        TextColumn("reports"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[tally]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
    ) as progress:
        task = progress.add_task("reports", total=len(files), tally="")
        client.on_wait = lambda message: progress.console.print(escape(message), soft_wrap=True)

        def on_outcome(outcome: Outcome) -> None:
            tally.add(outcome)
            if outcome.status == "failed":
                _error(outcome.error or str(outcome.path))
            line = tally.line(progress.tasks[0].elapsed or 0)
            progress.update(task, advance=1, tally=line)
            # Redirected to a log, the live bar draws nothing: a line per percent
            # of the batch instead.
            seen = tally.done + tally.failed + tally.skipped
            if not errors.is_terminal and (
                seen % max(1, len(files) // 100) == 0 or seen == len(files)
            ):
                errors.print(f"reports {seen}/{len(files)}: {line}", soft_wrap=True)

        try:
            batch.run(files, on_outcome)
        except KeyboardInterrupt:
            errors.print("interrupted: every finished report is stored; run again to go on")
            raise typer.Exit(code=130) from None
        finally:
            store.close()
    if tally.rows:
        console.print(tally.table())
    console.print(
        f"{tally.done} ingested, {tally.skipped} skipped, {tally.failed} failed, into"
        f" {escape(safe_url(store.url))}; tokens: {tally.usage.prompt_tokens:,} prompt +"
        f" {tally.usage.completion_tokens:,} completion in {tally.usage.calls} calls"
        f" ({tally.usage.cached_calls} cached); the table parser saved about"
        f" {tally.usage.table_tokens_saved:,} prompt tokens"
    )
    verdicts = ", ".join(f"{n} {status}" for status, n in sorted(tally.verdicts.items()))
    if not tally.done:
        verdicts = "none run (no report was read this time)"
    console.print(f"checks: {verdicts or 'none'}")
    console.print(
        f"unread: {tally.unread} of {tally.done} reports hold figures nothing read"
        " (marked in review)"
    )
    if tally.failed or found.missing:
        raise typer.Exit(code=1)


def _ray_batch(address, store, client, limits, cassettes, mode, out) -> Batch:
    """The batch on the Ray cluster at `address` (`local`: one started here)."""
    from jixiao.store import safe_url

    try:
        from jixiao.batch.cluster import RayBatch
    except ModuleNotFoundError as error:
        if error.name != "ray" and not (error.name or "").startswith("ray."):
            raise
        _error("--ray needs Ray, which is not installed: pip install 'jixiao[ray]'")
        raise typer.Exit(code=1) from None
    if address != "local" and store.engine.dialect.name == "sqlite":
        errors.print(
            f"warning: {escape(safe_url(store.url))} is a SQLite file on this machine: workers"
            " on other nodes cannot reach it; give --db postgresql://… for a cluster",
            soft_wrap=True,
        )
    return RayBatch(
        store,
        client,
        address=None if address == "local" else address,
        limits=limits,
        cassettes=cassettes,
        mode=mode,
        out=out,
    )


def _passed_over(passed_over: list[tuple[Path, str]], verbose: bool) -> None:
    """How many files the folder walk left out and why; each of them with --verbose."""
    if not passed_over:
        return
    reasons = Counter(reason for _, reason in passed_over)
    errors.print(
        f"left out {len(passed_over)} files: "
        + ", ".join(f"{count} {reason}" for reason, count in reasons.most_common())
        + ("" if verbose else " (--verbose lists them)"),
        soft_wrap=True,
    )
    if verbose:
        for path, reason in passed_over:
            errors.print(f"  {escape(str(path))}: {reason}", soft_wrap=True)


def _store(db: str | None, create: bool = True) -> Store:
    from jixiao.store import Store, StoreError

    try:
        return Store(db, create=create)
    except StoreError as error:
        _error(str(error))
        raise typer.Exit(code=1) from None


class Tally:
    """What a batch has done so far: for the progress line and the summary."""

    SHOWN = 50  # reports listed one by one; a larger batch gets its totals and failures

    def __init__(self) -> None:
        self.done = self.failed = self.skipped = self.chunks = 0
        self.unread = 0  # reports with figures nothing read
        self.usage = Usage()
        self.verdicts: Counter[str] = Counter()
        self.rows: list[tuple[str, ...]] = []
        self.failures: list[str] = []

    def add(self, outcome: Outcome) -> None:
        if outcome.status == "skipped":
            self.skipped += 1
            return
        if outcome.status == "failed" or outcome.report is None:
            self.failed += 1
            self.failures.append(outcome.error or str(outcome.path))
            self.rows.append(
                (escape(outcome.path.name), "failed", *["-"] * 5, f"{outcome.seconds:.1f}")
            )
            return
        report = outcome.report
        self.done += 1
        self.chunks += outcome.chunks
        self.usage.add(report.usage)
        self.verdicts.update(check.status for check in report.checks)
        self.unread += bool(report.unread)
        self.rows.append(
            (
                escape(outcome.path.name),
                str(sum(1 for _ in iter_facts(report.model_dump(mode="json")))),
                str(len(report.indicators)),
                str(len(report.rejected)),
                str(report.usage.calls),
                f"{report.usage.prompt_tokens + report.usage.completion_tokens:,}",
                f"{report.usage.table_tokens_saved:,}",
                f"{outcome.seconds:.1f}",
            )
        )

    def line(self, elapsed: float) -> str:
        tokens = self.usage.prompt_tokens + self.usage.completion_tokens
        rate = (self.done + self.failed) / elapsed if elapsed else 0.0
        return (
            f"[green]{self.done} done[/green] [red]{self.failed} failed[/red]"
            f" {self.skipped} skipped · {self.chunks:,} chunks · {tokens:,} tokens"
            f" · {rate:.2f} reports/s"
        )

    def table(self) -> RichTable:
        if len(self.rows) > self.SHOWN:
            summary = RichTable(title="failed reports", title_justify="left")
            summary.add_column("error")
            for failure in self.failures:
                summary.add_row(escape(failure))
            return summary
        summary = RichTable(title="ingest", title_justify="left")
        for column in ("report", "facts", "indicators", "rejected", "calls", "tokens", "saved"):
            # Folded, never cut: a log (not a terminal) is 80 columns wide.
            summary.add_column(
                column, justify="left" if column == "report" else "right", overflow="fold"
            )
        summary.add_column("seconds", justify="right")
        for row in self.rows:
            summary.add_row(*row)
        return summary


@app.command(cls=_Command)
def export(
    out: Annotated[
        Path,
        typer.Option(metavar="PATH", help="The file to write (a folder for csv and parquet)."),
    ],
    format: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="json, jsonl, csv, xlsx or parquet.")
    ] = "json",
    status: Annotated[
        list[str] | None,
        typer.Option(
            metavar="STATUS",
            help="Keep only facts of this status (repeatable): verified, source_inconsistent,"
            " unit_anomaly, confirmed, corrected.",
        ),
    ] = None,
    reviewed: Annotated[
        bool, typer.Option("--reviewed", metavar="", help="Only reports a reviewer marked done.")
    ] = False,
    year: Annotated[
        int | None, typer.Option(metavar="YEAR", help="Only reports of this fiscal year.")
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            metavar="TEXT", help="Only reports whose province, city or county name holds this text."
        ),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            metavar="KIND", help="Only reports of this kind: department, project, transfer."
        ),
    ] = None,
    db: _Db = None,
) -> None:
    """Export each report's latest record as it stands, the reviewers' work in it."""
    from jixiao.export import FORMATS, exported_reports
    from jixiao.export import export as write_export

    if format not in FORMATS:
        raise typer.BadParameter(
            f"{format!r}: use one of {', '.join(FORMATS)}", param_hint="--format"
        )
    unknown = set(status or ()) - set(get_args(FactStatus))
    if unknown:
        raise typer.BadParameter(
            f"{', '.join(sorted(unknown))}: use {', '.join(get_args(FactStatus))}",
            param_hint="--status",
        )
    kinds = get_args(ReportKind)
    if kind is not None and kind not in kinds:
        raise typer.BadParameter(f"{kind!r}: use one of {', '.join(kinds)}", param_hint="--kind")
    store = _store(db, create=False)
    try:
        reports = exported_reports(
            store, status or (), reviewed=reviewed, year=year, region=region, kind=kind
        )
        count = write_export(reports, format, out)
    finally:
        store.close()
    console.print(f"{count} reports written to {escape(str(out))} ({format})")


@app.command(cls=_Command)
def review(
    db: _Db = None,
    host: Annotated[
        str,
        typer.Option(
            metavar="HOST", help="Address to listen on; any but this machine's own needs --token."
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(metavar="PORT", min=1, max=65535, help="Port to listen on.")
    ] = 8000,
    token: Annotated[
        str | None,
        typer.Option(
            metavar="TOKEN",
            envvar="JIXIAO_REVIEW_TOKEN",
            help="A secret every request must carry (at least 12 characters); required"
            " with any --host but 127.0.0.1 or localhost.",
        ),
    ] = None,
) -> None:
    """Serve the review pages: confirm, correct or reject each fact beside its source."""
    import socket

    from jixiao.review.access import MIN_TOKEN, is_loopback

    if token is not None and len(token) < MIN_TOKEN:
        raise typer.BadParameter(
            f"use at least {MIN_TOKEN} characters, e.g. from"
            " `python3 -c 'import secrets; print(secrets.token_urlsafe())'`",
            param_hint="--token",
        )
    if token is None and not is_loopback(host):
        _error(
            f"--host {host}: other machines could reach the reviews there; give --token"
            " (or set JIXIAO_REVIEW_TOKEN) so that only people with the token get in"
        )
        raise typer.Exit(code=2)
    # The server, loaded only once the address and the token are known to be fine.
    import uvicorn

    from jixiao.review.app import create_app
    from jixiao.store import safe_url

    store = _store(db, create=False)
    shown = socket.gethostname() if host in ("0.0.0.0", "::") else host
    shown = f"[{shown}]" if ":" in shown else shown
    address = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    console.print(f"reviewing {escape(safe_url(store.url))} at {escape(address)}", soft_wrap=True)
    try:
        # No access log: the token comes once in an address, and would stand in it.
        uvicorn.run(create_app(store, token), host=host, port=port, access_log=False)
    finally:
        store.close()


@app.command("datasette-metadata", cls=_Command)
def datasette_metadata(db: _Db = None) -> None:
    """Print the Datasette metadata for a SQLite database: its views named in
    Chinese and English. `datasette DB -m metadata.json` then serves them."""
    from jixiao.store import safe_url
    from jixiao.store.views import datasette_metadata

    store = _store(db, create=False)  # brings the views up to date, as datasette reads them
    try:
        if store.engine.dialect.name != "sqlite" or not store.engine.url.database:
            _error(f"{safe_url(store.url)}: Datasette reads SQLite files; give --db a SQLite file")
            raise typer.Exit(code=1)
        name = Path(store.engine.url.database).stem  # the name datasette serves the file under
        print(json.dumps(datasette_metadata(name), ensure_ascii=False, indent=2))
    finally:
        store.close()


@app.command(cls=_Command)
def check(
    records: Annotated[
        list[Path],
        typer.Argument(
            help="Record files: one record (`ingest --out`), or an export"
            " (`export --format json` or `jsonl`)."
        ),
    ],
    write: Annotated[
        bool,
        typer.Option(
            "--write", metavar="", help="Save the re-checked records in place, in the same shape."
        ),
    ] = False,
) -> None:
    """Re-run the cross-checks on records and show every verdict but pass. They read
    the tables and sections the pipeline stored with each record."""
    from jixiao.batch import save_record
    from jixiao.export import read_records, write_records

    failed = 0
    for path in records:
        try:
            reports, shape = read_records(path)
        except (OSError, ValueError) as error:
            first = str(error).splitlines()[0]
            _error(
                f"{path}: not report records ({first}) — give a record `jixiao ingest --out`"
                " wrote, or a file `jixiao export --format json` (or jsonl) wrote"
            )
            failed += 1
            continue
        for number, report in enumerate(reports, 1):
            results = run_checks(report)
            counts = Counter(result.status for result in results)
            name = str(path) if shape == "record" else f"{path} [{number}] {report.document.path}"
            console.print(
                f"[bold]{escape(name)}[/bold]: "
                + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            )
            if report.document.grids is None:
                console.print(
                    "  note: a record older than its stored tables; they were guessed from"
                    " its text and may differ from what extraction saw — ingest it again"
                )
            for result in results:
                if result.status != "pass":
                    console.print(f"  {result.status}: {escape(result.message)}")
        if write and shape == "record":
            save_record(reports[0], path)
        elif write:
            write_records(reports, path, lines=shape == "jsonl")
    if failed:
        raise typer.Exit(code=1)


@app.command("eval", cls=_Command)
def eval_(
    folders: Annotated[
        list[Path] | None,
        typer.Argument(
            help="GOLD_DIR OUT_DIR: gold files and the records `ingest --out` wrote; with"
            " --reviewed, OUT_DIR alone, or nothing to score the database's own records.",
            show_default=False,
        ),
    ] = None,
    reviewed: Annotated[
        bool,
        typer.Option(
            "--reviewed",
            metavar="",
            help="Score against the facts reviewers confirmed or corrected in reports"
            " marked done (in --db), not gold files.",
        ),
    ] = False,
    db: _Db = None,
    show_misses: Annotated[
        bool, typer.Option("--misses", metavar="", help="List every miss.")
    ] = False,
) -> None:
    """Score records against gold files, or against the reviewers' work (--reviewed)."""
    folders = folders or []
    wanted = "OUT_DIR or nothing" if reviewed else "GOLD_DIR OUT_DIR"
    if len(folders) > 1 if reviewed else len(folders) != 2:
        _error(f"give {wanted} (jixiao eval --help)")
        raise typer.Exit(code=2)
    for folder in folders:
        if not folder.is_dir():
            _error(f"{folder}: not a folder — give the folder of JSON files")
            raise typer.Exit(code=1)
    try:
        if reviewed:
            from jixiao.gold import evaluate_reviewed

            store = _store(db, create=False)
            try:
                score, missing = evaluate_reviewed(store, folders[0] if folders else None)
            finally:
                store.close()
        else:
            score, missing = evaluate(folders[0], folders[1])
    except EvaluationError as error:
        _error(str(error))
        raise typer.Exit(code=1) from None
    for path in missing:
        errors.print(f"[yellow]no record:[/yellow] {escape(path)}")
    for name, ratio in score.ratios().items():
        console.print(f"{name}: {ratio:.1%}")
    console.print(f"facts not in source: {score.facts_not_in_source} of {score.facts}")
    if show_misses:
        for miss in score.misses:
            console.print(f"  {escape(miss)}")


gold = typer.Typer(help="Gold files made of reviewers' work.", cls=_Group, no_args_is_help=True)
app.add_typer(gold, name="gold")


@gold.command("export", cls=_Command)
def gold_export(
    out: Annotated[
        Path, typer.Option(metavar="DIR", help="The folder to write the gold files into.")
    ],
    db: _Db = None,
) -> None:
    """Write a gold file per report marked done: the facts reviewers confirmed or
    corrected (the format `jixiao eval GOLD_DIR OUT_DIR` reads)."""
    from jixiao.gold import reviewed_gold, write_gold

    store = _store(db, create=False)
    try:
        written = write_gold(reviewed_gold(store), out)
    finally:
        store.close()
    console.print(f"{len(written)} gold files written to {escape(str(out))}")
