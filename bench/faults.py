"""The fault matrix and the kill trials: does anything get lost or stored twice?

1. Faults: batches of the four samples against a fake OpenAI-compatible server
   (the tests' fake) that gives the real model's recorded answers, with one kind
   of fault injected into a seeded share of the first attempts, or (`keeps
   failing`) every request of one report answered with a 500. A report counts
   as recovered when its stored facts equal a fault-free run's, or, for the
   report the model keeps failing on, when it is stored as failed with the error.
2. Kills: `jixiao ingest` over copies of the samples, `kill -9` at a seeded
   random moment, then the same command run to the end. A report counts as
   recovered when it is stored once, whole.

Prints one row per fault (trials counted in reports) and ends with the line
`lost: L, duplicated: D` over all trials (goal: both 0).

    python bench/faults.py [--trials 3] [--kills 20] [--seed 1] [--db-url URL]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from crash import SAMPLES, audit, report_copies, start_ingest
from fake_openai import FAULTS, FakeServer, Faulty, Recorded

from jixiao.batch import Batch
from jixiao.extract.llm import LOCAL_MODEL, ModelClient, Settings
from jixiao.store import Store, models

RECORDED = Recorded(ROOT / "cassettes")
KEEPS_FAILING = "keeps failing"
FAILING_UNIT = "祁东县医疗保障事务中心"  # the second sample's unit


def facts_by_report(store: Store) -> dict[str, object]:
    with store.session() as session:
        return {
            document.sha256: (
                document.status,
                sorted((fact.path, fact.raw, str(fact.value)) for fact in document.facts),
            )
            for document in session.query(models.Document)
        }


def batch(responder, database: Path) -> Store:
    store = Store(f"sqlite:///{database}")
    with FakeServer(responder) as server:
        settings = Settings(
            base_url=server.url, model=LOCAL_MODEL, concurrency=4, timeout=1.0, backoff=0.01
        )
        Batch(store, ModelClient(settings, use_cache=False), workers=0).run(
            SAMPLES, lambda outcome: None
        )
    return store


def fault_rows(trials: int, seed: int, folder: Path) -> list[tuple[str, int, int, int, int]]:
    clean = facts_by_report(batch(Faulty(RECORDED, None), folder / "clean.db"))
    rows = []
    for name in [*FAULTS, KEEPS_FAILING]:
        recovered = lost = duplicated = 0
        for trial in range(trials):
            if name == KEEPS_FAILING:
                responder = Faulty(RECORDED, None, always=FAILING_UNIT)
            else:
                responder = Faulty(RECORDED, FAULTS[name], share=0.4, seed=seed + trial)
            store = batch(responder, folder / f"{name}-{trial}.db".replace(" ", "-"))
            result = audit(store, SAMPLES)
            lost += result.lost
            duplicated += result.duplicated
            for digest, (status, facts) in facts_by_report(store).items():
                expected = clean[digest]
                if name == KEEPS_FAILING and expected[1] and FAILING_UNIT in str(expected[1]):
                    recovered += status == "failed"
                    lost -= status == "failed"  # stored as failed, with its error: not lost
                else:
                    recovered += (status, facts) == expected
        rows.append((name, trials * len(SAMPLES), recovered, lost, duplicated))
    return rows


def kill_row(kills: int, seed: int, folder: Path, db_url: str | None) -> tuple:
    rng = random.Random(seed)
    recovered = lost = duplicated = 0
    files = report_copies(folder / "reports", copies=2)
    with FakeServer(Recorded(ROOT / "cassettes", delay=0.1)) as server:
        started = time.perf_counter()
        whole_run = start_ingest(
            folder / "reports", f"sqlite:///{folder / 'timing.db'}", server.url
        )
        whole_run.communicate(timeout=600)
        duration = time.perf_counter() - started
        for trial in range(kills):
            url = db_url or f"sqlite:///{folder / f'kill-{trial}.db'}"
            store = Store(url)
            if db_url:
                _empty(store)
            first = start_ingest(folder / "reports", url, server.url)
            time.sleep(rng.uniform(0.2, duration))
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
            second = start_ingest(folder / "reports", url, server.url)
            second.communicate(timeout=600)
            result = audit(store, files)
            store.close()
            recovered += result.whole
            lost += result.lost
            duplicated += result.duplicated
    return ("kill -9 at a random moment", kills * len(files), recovered, lost, duplicated)


def _empty(store: Store) -> None:
    with store.sessions.begin() as session:
        session.query(models.Document).delete()
        session.query(models.Run).delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3, help="batches per fault")
    parser.add_argument("--kills", type=int, default=20, help="kill -9 trials")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db-url", help="run the kill trials on this (emptied!) database")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        rows = fault_rows(arguments.trials, arguments.seed, folder)
        rows.append(kill_row(arguments.kills, arguments.seed, folder, arguments.db_url))
    print(f"{'fault':<28} {'trials':>6} {'recovered':>9} {'lost':>5} {'duplicated':>10}")
    for name, trials, recovered, lost, duplicated in rows:
        print(f"{name:<28} {trials:>6} {recovered:>9} {lost:>5} {duplicated:>10}")
    print(f"lost: {sum(row[3] for row in rows)}, duplicated: {sum(row[4] for row in rows)}")


if __name__ == "__main__":
    main()
