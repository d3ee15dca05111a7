"""The `jixiao` command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable
from rich.tree import Tree

from jixiao.chunks import DEFAULT_CHUNK_TOKENS
from jixiao.load import LoadError
from jixiao.pipeline import Prepared, prepare
from jixiao.sections import Section

app = typer.Typer(
    help="Turn budget-performance self-evaluation reports (绩效自评报告) into verified records.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
errors = Console(stderr=True)


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
            errors.print(f"[red]error:[/red] {escape(str(error))}", soft_wrap=True)
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
