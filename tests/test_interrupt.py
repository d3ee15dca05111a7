"""kill -9 in the middle of a batch, then the same command again: every report
ends in the store exactly once, whole. Run on SQLite and PostgreSQL.

The model is a fake server (tests only) that answers as the real model did when
the cassettes were recorded, a little slowly, so that the batch can be caught
half way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from conftest import ROOT, SAMPLES
from fake_openai import FakeServer, Recorded
from sqlalchemy import func, select

from jixiao.check import facts_of
from jixiao.records import Report
from jixiao.store import Store, models

COPIES = 3  # of each sample: 12 reports


def reports(folder):
    """Copies of the samples that differ only in trailing blank lines: new files
    to the store, the same requests to the model."""
    folder.mkdir()
    for copy in range(COPIES):
        for sample in SAMPLES:
            (folder / f"{sample.stem}-{copy}.txt").write_bytes(
                sample.read_bytes() + b"\n" * (copy + 1)
            )
    return folder


def ingest(folder, db_url: str, server: FakeServer) -> subprocess.Popen:
    env = os.environ | {
        "JIXIAO_BASE_URL": server.url,
        "JIXIAO_CACHE_DIR": "",
        "JIXIAO_CONCURRENCY": "3",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "jixiao", "ingest", str(folder), "--db", db_url, "--workers", "1"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its worker processes die with it
    )


def done(store: Store) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).where(models.Document.status == "done"))


def test_kill_9_mid_batch_then_run_again(db_url, tmp_path):
    folder = reports(tmp_path / "reports")
    total = COPIES * len(SAMPLES)
    store = Store(db_url)
    with FakeServer(Recorded(ROOT / "cassettes", delay=0.15)) as server:
        first = ingest(folder, db_url, server)
        deadline = time.monotonic() + 120
        while done(store) < 3 and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        stored_before = done(store)
        assert 3 <= stored_before < total, first.stdout.read().decode()

        second = ingest(folder, db_url, server)
        output, _ = second.communicate(timeout=300)
        assert second.returncode == 0, output.decode()
        assert f"{total - stored_before} ingested, {stored_before} skipped, 0 failed" in " ".join(
            output.decode().split()
        )

    with store.session() as session:
        documents = session.scalars(select(models.Document)).all()
        assert len(documents) == total
        assert {document.status for document in documents} == {"done"}
        assert len({document.sha256 for document in documents}) == total
        for document in documents:
            report = Report.model_validate(document.record)
            stored = session.scalar(
                select(func.count()).where(models.Fact.document_id == document.id)
            )
            assert stored == len(list(facts_of(report))) > 0
            assert len(document.calls) == report.usage.calls > 0
