"""kill -9 in the middle of a batch, then the same command again: every report
ends in the store exactly once, whole. Run on SQLite and PostgreSQL.

The model is a fake server (tests only) that answers as the real model did when
the cassettes were recorded, a little slowly, so that the batch can be caught
half way."""

from __future__ import annotations

import os
import signal
import time

from conftest import ROOT
from crash import audit, report_copies, start_ingest, stored_done
from fake_openai import FakeServer, Recorded

from jixiao.store import Store


def test_kill_9_mid_batch_then_run_again(db_url, tmp_path):
    files = report_copies(tmp_path / "reports", copies=3)
    store = Store(db_url)
    with FakeServer(Recorded(ROOT / "cassettes", delay=0.15)) as server:
        first = start_ingest(tmp_path / "reports", db_url, server.url)
        deadline = time.monotonic() + 120
        while stored_done(store) < 3 and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        before = stored_done(store)
        assert 3 <= before < len(files), first.stdout.read().decode()

        second = start_ingest(tmp_path / "reports", db_url, server.url)
        output, _ = second.communicate(timeout=300)
        assert second.returncode == 0, output.decode()
        summary = " ".join(output.decode().split())
        assert f"{len(files) - before} ingested, {before} skipped, 0 failed" in summary

    result = audit(store, files)
    assert (result.whole, result.lost, result.duplicated) == (len(files), 0, 0)
