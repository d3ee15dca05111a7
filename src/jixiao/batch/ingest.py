"""Ingest a batch of reports into the store: concurrently, idempotently, resumably.

Each report goes load → … → check in two kinds of worker: its CPU work (reading,
OCR, parsing) in a process pool, its model calls in threads, at most
`--concurrency` calls in flight across the batch. The main thread alone writes to
the store, one transaction per report, so that a crash at any moment leaves every
report either whole in the database or absent from it.

A report whose content was already ingested under the same run (model, endpoint,
mode and prompt versions) is skipped; one that failed before is tried again.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from jixiao.check import run_checks
from jixiao.extract import PROMPTS, extract, prompt
from jixiao.extract.cassettes import CassetteMode, cassette
from jixiao.extract.llm import CallLog, ModelClient, ModelError
from jixiao.read import SUPPORTED_SUFFIXES, LoadError
from jixiao.records import SCHEMA_VERSION, Report
from jixiao.store import Store
from jixiao.structure import Prepared, prepare

_GLOB_CHARACTERS = frozenset("*?[")
# Reading, OCR and parsing of one report: a 100-page scan takes some 6 minutes
# on two cores; far longer, and something is stuck on the file.
DEFAULT_CPU_TIMEOUT = 1800.0


@dataclass
class Found:
    """What a list of paths names: the report files, the paths that name nothing,
    and the files a folder walk or a pattern passed over, each with why."""

    files: list[Path] = field(default_factory=list)
    missing: list[Path] = field(default_factory=list)
    passed_over: list[tuple[Path, str]] = field(default_factory=list)


def report_files(paths: Iterable[Path]) -> Found:
    """The report files named: folders walked, glob patterns expanded, files taken
    as they are (their format is told from their content)."""
    found = Found()
    for path in paths:
        if path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if p.is_file())
        elif not path.exists() and _GLOB_CHARACTERS & set(str(path)):
            candidates = sorted(p for p in map(Path, glob.glob(str(path), recursive=True)))
            candidates = [p for p in candidates if p.is_file()]
        elif path.exists():
            found.files.append(path)
            continue
        else:
            found.missing.append(path)
            continue
        for candidate in candidates:
            reason = _passed_over(candidate)
            if reason is None:
                found.files.append(candidate)
            else:
                found.passed_over.append((candidate, reason))
    return found


def _passed_over(path: Path) -> str | None:
    """Why a folder walk leaves a file out, or None when it is read."""
    if any(part.startswith(".") for part in path.parts if part not in (".", "..")):
        return "hidden"
    if path.name.startswith("~$"):
        return "an Office lock file"
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return "not a report format"
    return None


def run_one(
    path: Path,
    client: ModelClient,
    cassettes: Path | None = None,
    mode: CassetteMode = "replay",
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """One report, from its file to its record; model traffic through a cassette
    when `cassettes` is given."""
    return _extract_and_check(prepare(path), client, cassettes, mode, progress)


def _extract_and_check(
    prepared: Prepared,
    client: ModelClient,
    cassettes: Path | None,
    mode: CassetteMode,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    path = prepared.document.path
    recording = (
        cassette(cassettes, path, prepared.document.text, mode)
        if cassettes
        else contextlib.nullcontext()
    )
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


# --- runs ----------------------------------------------------------------------------


def prompt_versions() -> dict[str, str]:
    return dict(prompt(file.stem)[0].split("@") for file in sorted(PROMPTS.glob("*.md")))


def run_description(client: ModelClient) -> dict:
    """What decides a run's answers; its hash is the run's key. The API key is
    not among them, and never reaches the store."""
    settings = client.settings
    return {
        "model": settings.model,
        "base_url": settings.base_url,
        "prompts": prompt_versions(),
        "settings": {
            "mode": settings.mode,
            "reasks": settings.reasks,
            "max_tokens": settings.max_tokens,
            "schema_version": SCHEMA_VERSION,
        },
    }


def open_run(store: Store, client: ModelClient) -> int:
    description = run_description(client)
    key = hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()
    return store.run_id(key, **description)


# --- the batch -------------------------------------------------------------------------


@dataclass
class Outcome:
    """What became of one report of a batch."""

    path: Path
    status: Literal["done", "failed", "skipped"]
    report: Report | None = None
    chunks: int = 0
    calls: list[CallLog] | None = None
    error: str | None = None
    seconds: float = 0.0


@dataclass
class _Finished:
    path: Path
    sha256: str
    prepared: Prepared | None
    report: Report | None
    calls: list[CallLog]
    error: str | None
    seconds: float


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


class Batch:
    """Runs files through the pipeline into a store.

    `workers` processes do the CPU work (0: none, all in this process), each
    report's for at most `cpu_timeout` seconds; the client's `concurrency`
    bounds the model calls. Under cassettes, reports run one at a time: vcrpy
    patches the HTTP client of the whole process, so two cassettes cannot be in
    use at once.
    """

    def __init__(
        self,
        store: Store,
        client: ModelClient,
        *,
        workers: int | None = None,
        cassettes: Path | None = None,
        mode: CassetteMode = "replay",
        out: Path | None = None,
        cpu_timeout: float = DEFAULT_CPU_TIMEOUT,
    ) -> None:
        self.store = store
        self.cpu_timeout = cpu_timeout
        self.client = client
        self.workers = min(os.cpu_count() or 1, 4) if workers is None else workers
        self.cassettes = cassettes
        self.mode = mode
        self.out = out
        self.run_id = open_run(store, client)
        self._pool: ProcessPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        # A report goes to the pool only when a worker is free, so that its time
        # limit counts its own work, not its wait behind others.
        self._free_workers = threading.BoundedSemaphore(max(1, self.workers))

    def run(self, files: list[Path], on_outcome: Callable[[Outcome], None]) -> None:
        in_flight = 1 if self.cassettes else max(1, self.client.settings.concurrency)
        done = self.store.ingested(self.run_id)
        seen: dict[str, Path] = {}
        running: dict[Future[_Finished], Path] = {}
        try:
            with ThreadPoolExecutor(in_flight, thread_name_prefix="report") as threads:
                for path in files:
                    digest, outcome = self._admit(path, done, seen)
                    if outcome is not None:
                        on_outcome(outcome)
                        continue
                    # A bounded window keeps memory flat however long the batch is.
                    while len(running) >= 2 * in_flight:
                        self._collect(running, on_outcome)
                    running[threads.submit(self._process, path, digest)] = path
                while running:
                    self._collect(running, on_outcome)
        finally:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)

    def _admit(
        self, path: Path, done: set[str], seen: dict[str, Path]
    ) -> tuple[str, Outcome | None]:
        """The file's digest, and its outcome already when it needs no work: the
        store holds it, this batch has it under another name, or it cannot be read."""
        try:
            digest = _digest(path)
        except OSError as error:
            digest = _path_digest(path)
            return digest, self._fail(path, digest, unreadable(path, error), 0.0)
        if digest in done:
            if self.out is not None:
                # A second run with --out still leaves every report's record there.
                stored = self.store.stored_record(self.run_id, digest)
                if stored is not None:
                    write_record(stored, self.out, path)
            return digest, Outcome(path, "skipped", error="already ingested")
        if digest in seen:
            return digest, Outcome(path, "skipped", error=f"same content as {seen[digest]}")
        seen[digest] = path
        return digest, None

    def _collect(self, running: dict[Future[_Finished], Path], on_outcome) -> None:
        finished, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in finished:
            del running[future]
            on_outcome(self._store(future.result()))

    def _process(self, path: Path, sha256: str) -> _Finished:
        """One report, in a thread: its CPU work in a worker process, then its model calls."""
        started = time.perf_counter()
        client = self.client.for_report()
        prepared = report = None
        error = None
        try:
            prepared = self._prepare(path)
            report = _extract_and_check(prepared, client, self.cassettes, self.mode)
        except Exception as failure:  # noqa: BLE001 - a bug must not stop the batch: record it
            error = failure_message(path, failure)
        return _Finished(
            path, sha256, prepared, report, client.log or [], error, time.perf_counter() - started
        )

    def _prepare(self, path: Path) -> Prepared:
        if self.workers == 0:
            return prepare(path)
        try:
            return self._in_pool(path)
        except BrokenProcessPool:
            pass  # perhaps another report's doing: once more, on a new pool
        try:
            return self._in_pool(path)
        except BrokenProcessPool:
            raise LoadError(
                path,
                "the worker reading it died (out of memory, or killed)",
                "check the file's size and content, then ingest it again",
            ) from None

    def _in_pool(self, path: Path) -> Prepared:
        with self._free_workers:
            pool = self._process_pool()
            try:
                future = pool.submit(prepare, path)
            except RuntimeError:  # shut down by another report's time limit meanwhile
                raise BrokenProcessPool from None
            try:
                return future.result(timeout=self.cpu_timeout)
            except TimeoutError:
                self._discard(pool)
                raise LoadError(
                    path,
                    f"reading it took over {self.cpu_timeout:g} s, and was stopped",
                    "check that it is one report (a scan of hundreds of pages takes long),"
                    " or allow more time with --cpu-timeout",
                ) from None
            except BrokenProcessPool:
                self._discard(pool)
                raise

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        """Kill a pool's workers (a stuck one among them) and let the batch start a
        new pool; the reports the others were reading are read again there."""
        with self._pool_lock:
            if self._pool is pool:
                self._pool = None
        # Python 3.11 has no public way to stop a running task's worker.
        for process in list((pool._processes or {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    def _process_pool(self) -> ProcessPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                # forkserver: forking a process with threads running can copy a held
                # lock. The server imports only what preparing needs, and the workers
                # it forks share those pages.
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(["jixiao.structure.prepare"])
                self._pool = ProcessPoolExecutor(self.workers, mp_context=context)
            return self._pool

    def _store(self, finished: _Finished) -> Outcome:
        outcome = save_finished(self.store, self.run_id, finished)
        if self.out is not None and outcome.report is not None:
            write_record(outcome.report, self.out, finished.path)
        return outcome

    def _fail(self, path: Path, sha256: str, error: str, seconds: float) -> Outcome:
        return save_failure(self.store, self.run_id, path, sha256, error, seconds)


def unreadable(path: Path, error: OSError) -> str:
    return f"{path}: cannot read the file ({error.strerror}); check that it exists"


def failure_message(path: Path, failure: Exception) -> str:
    """What a report's failure is, in one line that names the file."""
    if isinstance(failure, LoadError):
        return str(failure)
    if isinstance(failure, ModelError):
        return f"{path}: {failure}"
    return (
        f"{path}: internal error ({type(failure).__name__}: {failure});"
        " please report it with this file"
    )


def save_finished(store: Store, run_id: int, finished: _Finished) -> Outcome:
    """Store a report that ran, in one transaction: its record, or its failure."""
    if finished.report is None:
        error = finished.error or f"{finished.path}: no record"
        return save_failure(store, run_id, finished.path, finished.sha256, error, finished.seconds)
    chunks = finished.prepared.chunks if finished.prepared else []
    store.save(run_id, finished.path, finished.report, chunks, finished.calls, finished.seconds)
    return Outcome(
        finished.path,
        "done",
        report=finished.report,
        chunks=len(chunks),
        calls=finished.calls,
        seconds=finished.seconds,
    )


def save_failure(
    store: Store, run_id: int, path: Path, sha256: str, error: str, seconds: float
) -> Outcome:
    store.save_failure(run_id, path, sha256, error, seconds)
    return Outcome(path, "failed", error=error, seconds=seconds)


def _path_digest(path: Path) -> str:
    """A stand-in digest for a file that cannot be read, so that it has a row."""
    return hashlib.sha256(f"unreadable:{path}".encode()).hexdigest()
