"""The batch on a Ray cluster: each report read, OCR'd, parsed, extracted, checked
and stored by Ray tasks on whichever node has room; the driver lists the files,
sends each one's bytes, and follows the outcomes.

A report is read (OCR included) by a task holding one CPU, then finished (the
model asked, the checks run, the record stored) by a finisher: an actor on each
node whose threads each finish one report, as the batch on one machine does.
Finishing mostly waits on the endpoint, so a node's cores read other reports
meanwhile, and its waiting reports share one process instead of each starting
a Python process of its own. Every model request of every worker first asks one
actor holding the endpoint's limits (batch/limiter.py).

A reading whose worker or node dies is run again elsewhere (Ray's task retries;
a lost reading is rebuilt from its inputs), and a finisher whose node dies is
started again elsewhere, the reports it held finished there. A report is stored
in one transaction under the (sha256, run) key, looked for first: a finisher
that died after its commit finds its record there, so each report is stored
once, and whole.

The store must be one every node reaches (PostgreSQL); SQLite serves a cluster
on one machine only.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import ray
from ray.exceptions import RayError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
from sqlalchemy.engine import make_url

from jixiao.batch.ingest import (
    Batch,
    Outcome,
    _extract_and_check,
    _Finished,
    failure_message,
    save_finished,
    unreadable,
    write_record,
)
from jixiao.batch.limiter import Limits, RateLimiter, lease_for
from jixiao.extract.cassettes import CassetteMode
from jixiao.extract.llm import ModelClient, Settings
from jixiao.store import Store
from jixiao.structure import Prepared, prepare

# Runs of a task beyond its first when its worker or node dies.
RETRIES = 3
# How often, at most, the limiter looks for nodes gone while callers wait.
_NODES_LOOKED_AT = 2.0

# The reading's outcome: the prepared report or why it failed, and its seconds.
_Reading = tuple[Prepared | None, str | None, float]


@dataclass(frozen=True)
class _Job:
    """What a worker needs to finish one report. The settings and the database URL
    carry the API key and the password to the workers in the task's arguments, in
    memory: never in an environment variable or a runtime_env, which Ray's
    dashboard shows, and never in a repr, which an error message may show."""

    path: Path
    sha256: str
    run_id: int
    db_url: str = field(repr=False)
    settings: Settings
    use_cache: bool
    cassettes: Path | None
    mode: CassetteMode
    limiter: ray.actor.ActorHandle


@ray.remote(num_cpus=1, max_retries=RETRIES)
def _read(path: Path, data: bytes) -> _Reading:
    started = time.perf_counter()
    try:
        return prepare(path, data=data), None, time.perf_counter() - started
    except Exception as failure:  # noqa: BLE001 - a report's failure is its outcome, not the task's
        return None, failure_message(path, failure), time.perf_counter() - started


class _Finisher:
    """Finishes reports, one a thread: they wait on the endpoint, and their CPU
    (the checks, the store) is little. It holds no CPU of Ray's, which go to
    readings, but a byte of memory: Ray places an actor that asks for nothing on
    any node, whichever it was asked to stand on (ray-project/ray#25344)."""

    def finish(self, job: _Job, reading: _Reading) -> Outcome:
        return _finish(job, reading)


_finisher_actor = ray.remote(num_cpus=0, memory=1, max_restarts=-1, max_task_retries=RETRIES)(
    _Finisher
)


def _finish(job: _Job, reading: _Reading) -> Outcome:
    started = time.perf_counter()
    prepared, error, read_seconds = reading
    # A fresh finisher's threads all start at once: one opens the store (whose
    # schema check is no place for two) and the client, the others wait.
    with _opening:
        store = _store(job.db_url)
        shared = _client(job.settings, job.use_cache, job.limiter)
    stored = store.stored_record(job.run_id, job.sha256)
    if stored is not None:
        # An earlier run stored the report, then its finisher died.
        return Outcome(job.path, "done", report=stored, seconds=read_seconds)
    client = shared.for_report()
    report = None
    if prepared is not None:
        try:
            report = _extract_and_check(prepared, client, job.cassettes, job.mode)
        except Exception as failure:  # noqa: BLE001 - a bug must not stop the batch: record it
            error = failure_message(job.path, failure)
    seconds = read_seconds + time.perf_counter() - started
    finished = _Finished(job.path, job.sha256, prepared, report, client.log or [], error, seconds)
    return save_finished(store, job.run_id, finished)


_opening = threading.Lock()


@functools.cache
def _store(url: str) -> Store:
    """One store per worker process and database: opening one checks its schema."""
    return Store(url)


@functools.cache
def _client(settings: Settings, use_cache: bool, limiter: ray.actor.ActorHandle) -> ModelClient:
    """One model client per worker process and batch, as on one machine: making
    one (its TLS context, the SDK's wrappers) costs tens of milliseconds, and
    its connections stay open for the worker's next reports."""
    return ModelClient(settings, use_cache=use_cache, limiter=_ClusterLimiter(limiter))


class _LimiterActor:
    """The cluster's one limiter. A caller waits inside `acquire`, so that waiting
    costs no round trips. The slots of callers on a node that died are given
    back as soon as others wait for one: their lease would keep them for
    minutes, the cluster's calls in flight cut by as many. It stands on the head
    node, as Ray Train's state actor does: elsewhere, a worker node's death
    would restart it afresh, the spacing of the requests it let through and
    the hold-offs of 429s forgotten, and the next requests refused."""

    def __init__(self, limits: Limits, lease: float) -> None:
        self.limiter = RateLimiter(limits, lease)
        self.holders: dict[int, str] = {}  # each slot's ticket: its caller's node
        self.looked = 0.0

    async def acquire(self, tokens: int, node: str) -> int:
        while True:
            ticket, wait = self.limiter.try_acquire(tokens)
            if ticket is not None:
                self.holders[ticket] = node
                return ticket
            self._reclaim()
            await asyncio.sleep(wait)

    def release(self, ticket: int) -> None:
        self.holders.pop(ticket, None)
        self.limiter.release(ticket)

    def _reclaim(self) -> None:
        now = time.monotonic()
        if not self.holders or now - self.looked < _NODES_LOOKED_AT:
            return
        self.looked = now
        alive = {node["NodeID"] for node in ray.nodes() if node["Alive"]}
        for ticket, node in list(self.holders.items()):
            if node not in alive:
                self.release(ticket)

    def hold_off(self, seconds: float) -> None:
        self.limiter.hold_off(seconds)

    def counts(self) -> dict[str, int]:
        return {"granted": self.limiter.granted, "held_off": self.limiter.held_off}


# Wrapped here rather than decorated, so that the class keeps its own type.
_limiter_actor = ray.remote(
    num_cpus=0,
    resources={"node:__internal_head__": 0.001},
    max_restarts=-1,
    max_task_retries=-1,
    max_concurrency=10_000,
)(_LimiterActor)


class _ClusterLimiter:
    """A worker's side of the limiter actor, as the model client asks a limiter."""

    def __init__(self, actor: ray.actor.ActorHandle) -> None:
        self.actor = actor

    @contextmanager
    def slot(self, tokens: int) -> Iterator[None]:
        node = ray.get_runtime_context().get_node_id()
        ticket = ray.get(self.actor.acquire.remote(tokens, node))
        try:
            yield
        finally:
            self.actor.release.remote(ticket)

    def hold_off(self, seconds: float) -> None:
        self.actor.hold_off.remote(seconds)


def connect(address: str | None) -> None:
    """Join the cluster at `address` (`auto`, `ray://head:10001`), or start one on
    this machine when None; a process already connected stays so."""
    if ray.is_initialized():
        return
    # Workers' output would break the progress line; their failures come back as outcomes.
    ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)


def _reachable(url: str) -> str:
    """The store's URL as a worker in another folder reaches it: a SQLite file by
    its absolute path."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return url
    return parsed.set(database=str(Path(database).resolve())).render_as_string(hide_password=False)


class RayBatch(Batch):
    """The batch with the same promises as `Batch` (idempotent by (sha256, run),
    one transaction per report), its reports run on the cluster at `address`."""

    def __init__(
        self,
        store: Store,
        client: ModelClient,
        *,
        address: str | None = None,
        limits: Limits | None = None,
        cassettes: Path | None = None,
        mode: CassetteMode = "replay",
        out: Path | None = None,
    ) -> None:
        super().__init__(store, client, workers=0, cassettes=cassettes, mode=mode, out=out)
        self.address = address
        self.limits = limits or Limits(concurrency=client.settings.concurrency)
        self.limiter: ray.actor.ActorHandle | None = None
        self.finishers: list[ray.actor.ActorHandle] = []
        self.submitted = 0

    def run(self, files: list[Path], on_outcome: Callable[[Outcome], None]) -> None:
        done = self.store.ingested(self.run_id)
        seen: dict[str, Path] = {}
        running: dict[ray.ObjectRef, tuple[Path, str]] = {}
        window = 0
        try:
            for path in files:
                digest, outcome = self._admit(path, done, seen)
                if outcome is not None:
                    on_outcome(outcome)
                    continue
                if not window:  # the first report with work to do: only now is a cluster needed
                    window = self._start()
                while len(running) >= window:
                    self._follow(running, on_outcome)
                try:
                    data = path.read_bytes()
                except OSError as error:  # read a moment ago for its digest, gone since
                    on_outcome(self._fail(path, digest, unreadable(path, error), 0.0))
                    continue
                running[self._submit(path, digest, data)] = (path, digest)
            while running:
                self._follow(running, on_outcome)
        finally:
            for ref in running:
                ray.cancel(ref)

    def _start(self) -> int:
        """Join the cluster and start its limiter; how many reports to keep in flight."""
        connect(self.address)
        self.limiter = _limiter_actor.remote(self.limits, lease_for(self.client.settings))
        cpus = int(ray.cluster_resources().get("CPU", 1))
        # Enough reports in flight to keep every core reading and every call slot
        # busy; no more, so that the driver's memory stays flat.
        window = 2 * max(cpus, self.client.settings.concurrency)
        # A finisher on each node that reads, where its readings are; another
        # node takes it over if that one dies. Cassettes patch the process's
        # HTTP for one report at a time: with them, a finisher finishes one.
        threads = 1 if self.cassettes else window
        nodes = [
            node["NodeID"]
            for node in ray.nodes()
            if node["Alive"] and node["Resources"].get("CPU", 0) >= 1
        ]
        self.finishers = [
            _finisher_actor.options(
                max_concurrency=threads,
                scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=True),
            ).remote()
            for node in nodes
        ] or [_finisher_actor.options(max_concurrency=threads).remote()]
        return window

    def _submit(self, path: Path, sha256: str, data: bytes) -> ray.ObjectRef:
        job = _Job(
            path=path,
            sha256=sha256,
            run_id=self.run_id,
            db_url=_reachable(self.store.url),
            settings=self.client.settings,
            use_cache=self.client.use_cache,
            cassettes=self.cassettes.resolve() if self.cassettes else None,
            mode=self.mode,
            limiter=self.limiter,
        )
        finisher = self.finishers[self.submitted % len(self.finishers)]
        self.submitted += 1
        return finisher.finish.remote(job, _read.remote(path, data))

    def _follow(self, running: dict[ray.ObjectRef, tuple[Path, str]], on_outcome: Callable) -> None:
        ready, _ = ray.wait(list(running), num_returns=1)
        for ref in ready:
            path, sha256 = running.pop(ref)
            try:
                outcome: Outcome = ray.get(ref)
            except RayError as error:
                problem = str(error).strip().splitlines()[0][:200]
                outcome = self._fail(
                    path,
                    sha256,
                    f"{path}: the Ray task ingesting it failed ({problem}); check the"
                    " workers' memory and logs (`ray logs`), then ingest it again",
                    0.0,
                )
            if self.out is not None and outcome.report is not None:
                write_record(outcome.report, self.out, path)
            on_outcome(outcome)

    def limiter_counts(self) -> dict[str, int]:
        """How many requests the cluster's limiter let through, and held off."""
        assert self.limiter is not None, "run the batch first"
        return ray.get(self.limiter.counts.remote())
