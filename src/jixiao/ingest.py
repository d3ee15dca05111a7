"""Run reports through the whole pipeline and write one contract JSON each."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from jixiao.cassettes import CassetteMode, cassette
from jixiao.check import run_checks
from jixiao.extract import extract
from jixiao.llm import ModelClient
from jixiao.load import SUPPORTED_SUFFIXES
from jixiao.pipeline import prepare
from jixiao.records import Report


@dataclass
class Outcome:
    path: Path
    report: Report | None
    seconds: float
    error: str | None = None
    written: Path | None = None


def report_files(paths: Iterable[Path]) -> list[Path]:
    """The report files named, folders walked (hidden files left out)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in SUPPORTED_SUFFIXES
                and not p.name.startswith(".")
            )
        else:
            files.append(path)
    return files


def run_one(
    path: Path,
    client: ModelClient,
    cassettes: Path | None = None,
    mode: CassetteMode = "replay",
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """One report, from its file to its record; model traffic through a cassette
    when `cassettes` is given."""
    prepared = prepare(path)
    recording = cassette(cassettes, path, mode) if cassettes else contextlib.nullcontext()
    with recording:
        report = extract(prepared, client, progress)
    run_checks(report, prepared.tables)
    return report


def write_record(report: Report, out_dir: Path, source: Path) -> Path:
    """Write the record of `source` into `out_dir`, as `<stem>.json`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{source.stem}.json"
    save_record(report, target)
    return target


def save_record(report: Report, target: Path) -> None:
    """Write a record whole or not at all: a crash never leaves half a file."""
    partial = target.with_suffix(".json.partial")
    partial.write_text(
        json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    partial.replace(target)


@contextlib.contextmanager
def timed() -> Iterator[Callable[[], float]]:
    started = time.perf_counter()
    yield lambda: time.perf_counter() - started
