"""Helpers for crashing a batch on purpose (tests and bench/faults.py): report
files, the `jixiao ingest` command run as a process of its own, and an audit of
what the store holds afterwards."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from jixiao.records import facts_of
from jixiao.store import Store, models
from jixiao.store.current import as_stored

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "samples").glob("*.txt"))


def report_copies(folder: Path, copies: int) -> list[Path]:
    """Copies of the samples that differ only in trailing blank lines: new files
    to the store, the same requests to the model (so the recording answers them)."""
    folder.mkdir(parents=True, exist_ok=True)
    for copy in range(copies):
        for sample in SAMPLES:
            (folder / f"{sample.stem}-{copy}.txt").write_bytes(
                sample.read_bytes() + b"\n" * (copy + 1)
            )
    return sorted(folder.iterdir())


def start_ingest(folder: Path, db_url: str, model_url: str, concurrency: int = 3):
    """`jixiao ingest FOLDER` in a process group of its own, so that a kill
    takes its worker processes too."""
    env = os.environ | {
        "JIXIAO_BASE_URL": model_url,
        "JIXIAO_CACHE_DIR": "",
        "JIXIAO_CONCURRENCY": str(concurrency),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "jixiao", "ingest", str(folder), "--db", db_url, "--workers", "1"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stored_done(store: Store) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).where(models.Document.status == "done"))


@dataclass
class Audit:
    """What became of each report file of a batch, by the store's rows."""

    whole: int = 0  # stored once, done, every fact row matching its record
    lost: int = 0  # no row, or a row without its record or facts
    duplicated: int = 0  # more than one row for the same content and run


def audit(store: Store, files: list[Path]) -> Audit:
    result = Audit()
    with store.session() as session:
        rows: dict[str, list[models.Document]] = {}
        for document in session.scalars(select(models.Document)):
            rows.setdefault(document.sha256, []).append(document)
        for path in files:
            found = rows.get(hashlib.sha256(path.read_bytes()).hexdigest(), [])
            if len(found) > 1:
                result.duplicated += 1
            elif found and found[0].status == "done" and _whole(session, found[0]):
                result.whole += 1
            else:
                result.lost += 1
    return result


def _whole(session, document: models.Document) -> bool:
    report, _ = as_stored(session, document)
    facts = session.scalar(select(func.count()).where(models.Fact.document_id == document.id))
    return facts == len(list(facts_of(report))) > 0 and len(document.calls) == report.usage.calls
