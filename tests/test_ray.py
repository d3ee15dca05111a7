"""The batch on a Ray cluster started in the test process: the same records as
the batch on one machine, into SQLite and PostgreSQL, each report stored once;
one limiter for every worker; no key in Ray's files."""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES
from fake_openai import FakeServer, Recorded
from sqlalchemy import func, select
from typer.testing import CliRunner

from jixiao.batch import Batch, Outcome
from jixiao.cli import app
from jixiao.extract.llm import ModelClient, Settings
from jixiao.store import Store, models

CASSETTES = ROOT / "cassettes"
# A key the cassettes' replay never checks: here to be looked for in Ray's files.
SECRET = "sk-ray-test-5f1c0ffee0ddba11"
LOCAL_ONLY = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


def _ray():
    try:
        import ray
    except ImportError:
        message = "ray is not installed: pip install 'jixiao[ray]' (the test extra has it)"
        if os.environ.get("JIXIAO_TEST_REQUIRE_PROGRAMS"):
            pytest.fail(message)
        pytest.skip(message)
    return ray


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A local cluster of 2 CPUs, its files in a folder of the test's own."""
    ray = _ray()
    temp = tmp_path_factory.mktemp("ray")
    # Every address Ray uses on the loopback, as it keeps a cluster on macOS: the
    # tests send nothing off this machine. Its processes inherit the variable.
    before = os.environ.get(LOCAL_ONLY)
    os.environ[LOCAL_ONLY] = "0"
    ray.init(num_cpus=2, _temp_dir=str(temp), logging_level="WARNING", log_to_driver=False)
    yield temp
    ray.shutdown()
    if before is None:
        del os.environ[LOCAL_ONLY]
    else:
        os.environ[LOCAL_ONLY] = before


def _client(**settings) -> ModelClient:
    return ModelClient(Settings(api_key=SECRET, **settings), use_cache=False)


def _records(store: Store) -> dict[str, dict]:
    with store.session() as session:
        return {
            document.sha256: document.record
            for document in session.scalars(select(models.Document))
        }


@pytest.fixture(scope="module")
def local_records(tmp_path_factory) -> dict[str, dict]:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('local') / 'local.db'}")
    Batch(store, _client(), workers=1, cassettes=CASSETTES).run(SAMPLES, lambda _: None)
    records = _records(store)
    store.close()
    return records


def _ray_batch(store: Store, **options):
    from jixiao.batch.cluster import RayBatch

    return RayBatch(store, options.pop("client", None) or _client(), **options)


def test_the_cluster_stores_the_records_the_local_batch_does(cluster, db_url, local_records):
    store = Store(db_url)
    outcomes: list[Outcome] = []
    batch = _ray_batch(store, cassettes=CASSETTES)
    batch.run(SAMPLES, outcomes.append)
    assert sorted(o.status for o in outcomes) == ["done"] * len(SAMPLES)
    assert _records(store) == local_records
    # Every model request asked the cluster's limiter, re-asks included.
    calls = sum(outcome.report.usage.calls for outcome in outcomes if outcome.report)
    assert batch.limiter_counts()["granted"] >= calls > 0

    again: list[Outcome] = []
    _ray_batch(store, cassettes=CASSETTES).run(SAMPLES, again.append)
    assert [o.status for o in again] == ["skipped"] * len(SAMPLES)
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(models.Document)) == len(SAMPLES)
    store.close()


def test_a_retried_task_finds_its_report_stored_and_stores_it_no_more(cluster, tmp_path):
    """A finisher that died after its commit: Ray runs the call again, which
    finds the record and returns it, leaving one copy."""
    import ray

    from jixiao.batch.cluster import _finisher_actor, _Job, _limiter_actor
    from jixiao.batch.limiter import Limits
    from jixiao.structure import prepare

    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    outcomes: list[Outcome] = []
    batch = _ray_batch(store, cassettes=CASSETTES)
    batch.run(SAMPLES[:1], outcomes.append)
    (first,) = outcomes
    job = _Job(
        path=SAMPLES[0],
        sha256=first.report.document.sha256,
        run_id=batch.run_id,
        db_url=store.url,
        settings=batch.client.settings,
        use_cache=False,
        cassettes=CASSETTES,
        mode="replay",
        limiter=_limiter_actor.remote(Limits(), 60.0),
    )
    retried = ray.get(_finisher_actor.remote().finish.remote(job, (prepare(SAMPLES[0]), None, 0.0)))
    assert retried.status == "done"
    assert retried.report.model_dump() == first.report.model_dump()
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(models.Document)) == 1
        assert session.scalar(select(func.count()).select_from(models.Call)) == len(
            first.calls or []
        )
    store.close()


def test_one_rate_limit_holds_every_worker(cluster, tmp_path):
    """Reports on several workers at once, 4 calls in flight allowed, 300 requests
    a minute: the endpoint sees its requests at least 0.2 s apart."""
    from jixiao.batch.limiter import Limits

    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with FakeServer(Recorded(CASSETTES, delay=0.05)) as server:
        client = _client(base_url=server.url, concurrency=4)
        outcomes: list[Outcome] = []
        batch = _ray_batch(store, client=client, limits=Limits(rpm=300, concurrency=4))
        batch.run(SAMPLES[:3], outcomes.append)
    assert [o.status for o in outcomes] == ["done"] * 3
    times = sorted(at for at, _ in server.requests)
    gaps = sorted(later - earlier for earlier, later in itertools.pairwise(times))
    assert len(times) >= 20
    # Spaced when granted; a loaded machine may delay a request's sending (a
    # worker's thread waiting its turn), which lands it beside the next one
    # granted, but cannot shorten the whole run by more than the first one's
    # delay. Unlimited, 4 calls in flight of 0.05 s would be some 80 a second.
    assert gaps[len(gaps) // 2] >= 0.19
    assert times[-1] - times[0] >= 0.2 * (len(times) - 1) - 0.5
    store.close()


def test_no_key_reaches_rays_files(cluster, tmp_path):
    """The key travels to the workers in task arguments, in memory: none of Ray's
    logs, spilled objects or session files holds it."""
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    outcomes: list[Outcome] = []
    _ray_batch(store, cassettes=CASSETTES).run(SAMPLES[:1], outcomes.append)
    assert [o.status for o in outcomes] == ["done"]
    store.close()
    found = [
        path
        for path in cluster.rglob("*")
        if path.is_file() and not path.is_socket() and SECRET.encode() in _bytes(path)
    ]
    assert found == []


def _bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""  # a socket or a file gone since the listing


def test_without_ray_the_option_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as if never installed
    monkeypatch.delitem(sys.modules, "jixiao.batch.cluster", raising=False)
    result = CliRunner().invoke(
        app,
        ["ingest", str(SAMPLES[0]), "--db", str(tmp_path / "db.sqlite"), "--ray", "local"],
    )
    assert result.exit_code == 1
    assert "pip install 'jixiao[ray]'" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_command_runs_on_the_cluster(cluster, tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "ingest",
            *map(str, SAMPLES[:2]),
            "--db",
            str(tmp_path / "db.sqlite"),
            "--replay",
            str(CASSETTES),
            "--out",
            str(tmp_path / "out"),
            "--ray",
            "local",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2 ingested, 0 skipped, 0 failed" in result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        f"{path.stem}.json" for path in SAMPLES[:2]
    ]


def test_the_slots_of_a_node_that_died_are_given_back_at_once(monkeypatch):
    """A caller on a node that died never releases its slot; the limiter gives it
    back when others wait, instead of after its lease of minutes."""
    import asyncio

    _ray()
    from jixiao.batch import cluster
    from jixiao.batch.limiter import Limits

    limiter = cluster._LimiterActor(Limits(concurrency=1), lease=600.0)
    monkeypatch.setattr(
        cluster.ray,
        "nodes",
        lambda: [{"NodeID": "here", "Alive": True}, {"NodeID": "gone", "Alive": False}],
    )

    async def two_callers() -> int:
        await limiter.acquire(100, "gone")
        return await asyncio.wait_for(limiter.acquire(100, "here"), timeout=5)

    assert asyncio.run(two_callers()) > 0
    assert list(limiter.holders.values()) == ["here"]
