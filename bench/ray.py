"""The batch on one machine against the batch on a Ray cluster of 2 worker nodes,
one of which is killed mid-batch, both held to the endpoint's limits by the
limiter.

The reports are variants of the samples (bench/ingest.py makes them); the model
is the tests' fake server, answering each request as the real model answered the
sample's, after `--delay` seconds, and refusing with 429 (Retry-After: 1) any
request past `--limit` a second. Both batches ask at most `--concurrency` calls
at once, at `--rpm` requests a minute (default: 90 % of the server's limit). The
cluster is Ray's own `ray.cluster_utils.Cluster`: a head node with no CPU for
reports and 2 worker nodes of `--node-cpus` CPUs, all on this machine; when half
the reports are stored, one worker node is removed, its running tasks killed.

    python bench/ray.py [--reports 500] [--limit 40] [--concurrency 16]

Prints `reports/s local: A, ray: B` (goal: B ≥ 0.9 A on 2 cores), `429s: C`
(goal 0 with the limiter) and, last, `lost: L, duplicated: D` (goal 0, 0): the
reports the cluster's database lacks, and those it holds or reported twice.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import multiprocessing
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# Run as a script, this folder leads sys.path, where this file would stand for
# the `ray` package itself.
sys.path = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH]
sys.path.insert(0, str(ROOT / "tests"))

_spec = importlib.util.spec_from_file_location("bench_ingest", BENCH / "ingest.py")
assert _spec is not None and _spec.loader is not None
variants = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = variants  # its dataclasses look their module up there
_spec.loader.exec_module(variants)


# Every node on the loopback address, as Ray keeps a cluster on macOS: the bench
# sends nothing off this machine. Set before Ray is imported; its nodes inherit it.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"


class Throttled:
    """The recorded model, refusing what arrives past `limit` requests a second."""

    def __init__(self, recorded, limit: int) -> None:
        self.recorded = recorded
        self.limit = limit
        self.arrivals: collections.deque[float] = collections.deque()
        self.refused = 0
        self._lock = threading.Lock()

    def __call__(self, body: dict):
        from fake_openai import Step

        with self._lock:
            now = time.monotonic()
            while self.arrivals and self.arrivals[0] <= now - 1.0:
                self.arrivals.popleft()
            if len(self.arrivals) >= self.limit:
                self.refused += 1
                return Step(status=429, body="{}", headers={"retry-after": "1"})
            self.arrivals.append(now)
        return self.recorded(body)


def _serve(places: list[str], delay: float, limit: int, ready, orders, answers) -> None:
    """The model, in a process of its own as a remote one would be; tells how many
    requests it refused whenever asked."""
    from fake_openai import FakeServer

    model = Throttled(variants.recorded_model(places, delay), limit)
    with FakeServer(model) as server:
        ready.put(server.url)
        while orders.get() != "stop":
            answers.put(model.refused)
        answers.put(model.refused)


def _client(url: str, arguments, limits):
    from jixiao.batch.limiter import RateLimiter, lease_for
    from jixiao.extract.llm import ModelClient, Settings

    settings = Settings(base_url=url, concurrency=arguments.concurrency)
    return ModelClient(settings, use_cache=False, limiter=RateLimiter(limits, lease_for(settings)))


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


def run_local(files: list[Path], url: str, arguments, limits, database: Path):
    """Seconds, and CPU seconds: the batch's, its worker processes' included."""
    from jixiao.batch import Batch
    from jixiao.store import Store

    store = Store(f"sqlite:///{database}")
    started, cpu = time.perf_counter(), _cpu()
    Batch(store, _client(url, arguments, limits)).run(files, lambda _: None)
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    store.close()
    return seconds, cpu


def run_cluster(files: list[Path], url: str, arguments, limits, database: Path):
    """Seconds, the outcomes' paths, and the database's (sha256, rows) of done reports."""
    import ray
    from ray.cluster_utils import Cluster
    from sqlalchemy import func, select

    from jixiao.batch.cluster import RayBatch
    from jixiao.store import Store, models

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    nodes = [cluster.add_node(num_cpus=arguments.node_cpus) for _ in range(2)]
    ray.init(address=cluster.address, logging_level="WARNING", log_to_driver=False)
    store = Store(f"sqlite:///{database}")
    delivered: list[Path] = []

    def follow(outcome) -> None:
        delivered.append(outcome.path)
        if len(delivered) == len(files) // 2:
            # Mid-batch: one worker node goes, with the tasks it is running.
            threading.Thread(target=cluster.remove_node, args=(nodes[1],)).start()
            print(f"removed a worker node after {len(delivered)} reports", flush=True)

    started = time.perf_counter()
    RayBatch(store, _client(url, arguments, limits), limits=limits).run(files, follow)
    seconds = time.perf_counter() - started
    with store.session() as session:
        rows = session.execute(
            select(models.Document.sha256, func.count())
            .where(models.Document.status == "done")
            .group_by(models.Document.sha256)
        ).all()
    store.close()
    ray.shutdown()
    cluster.shutdown()
    return seconds, delivered, dict(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=500)
    parser.add_argument("--delay", type=float, default=0.3, help="the model's answer time")
    parser.add_argument("--limit", type=int, default=40, help="requests a second the model takes")
    parser.add_argument("--rpm", type=float, help="the limiter's (default: 90 %% of --limit)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--node-cpus", type=int, default=2, help="CPUs of each worker node")
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()

    from jixiao.batch.limiter import Limits
    from jixiao.read import load

    rpm = arguments.rpm or 0.9 * arguments.limit * 60
    limits = Limits(rpm=rpm, concurrency=arguments.concurrency)
    print(
        f"{arguments.reports} reports, the model {arguments.delay:g} s a call and"
        f" {arguments.limit} calls/s; the limiter {rpm:g} requests/min,"
        f" {arguments.concurrency} at once",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        (folder / "reports").mkdir()
        places = variants.make_variants(folder / "reports", arguments.reports, arguments.seed)
        files = sorted((folder / "reports").glob("*.txt"))

        context = multiprocessing.get_context("spawn")
        ready, orders, answers = context.Queue(), context.Queue(), context.Queue()
        model = context.Process(
            target=_serve,
            args=(places, arguments.delay, arguments.limit, ready, orders, answers),
            daemon=True,
        )
        model.start()
        url = ready.get(timeout=60)

        local, cpu = run_local(files, url, arguments, limits, folder / "local.db")
        orders.put("count")
        refused_local = answers.get(timeout=30)
        print(
            f"local: {len(files)} reports in {local:.1f} s,"
            f" {cpu / len(files):.2f} CPU s a report (the model's server not counted)",
            flush=True,
        )
        clustered, delivered, stored = run_cluster(files, url, arguments, limits, folder / "ray.db")
        orders.put("stop")
        refused = answers.get(timeout=30)
        model.join(timeout=30)
        print(f"ray: {len(files)} reports in {clustered:.1f} s", flush=True)
        digests = {load(path).sha256 for path in files}

    times_delivered = collections.Counter(delivered)
    lost = len(digests - set(stored)) + len(set(files) - set(times_delivered))
    duplicated = sum(n - 1 for n in stored.values()) + sum(n - 1 for n in times_delivered.values())
    print(f"reports/s local: {len(files) / local:.2f}, ray: {len(files) / clustered:.2f}")
    print(f"429s: {refused} (local {refused_local}, ray {refused - refused_local})")
    print(f"lost: {lost}, duplicated: {duplicated}")


if __name__ == "__main__":
    main()
