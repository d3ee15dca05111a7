"""The API key never leaves the request header: not into a cassette, the cache,
the output, an error message, the database or an export."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT, SAMPLES
from fake_openai import FakeServer, Recorded, Step

KEY = "sk-test-5ecret-d0-n0t-1eak"


def jixiao(*arguments: str, server: FakeServer, home) -> subprocess.CompletedProcess:
    env = os.environ | {
        "JIXIAO_API_KEY": KEY,
        "JIXIAO_BASE_URL": server.url,
        "JIXIAO_CACHE_DIR": str(home / "cache"),
    }
    return subprocess.run(
        [sys.executable, "-m", "jixiao", *arguments],
        env=env,
        cwd=home,
        capture_output=True,
        check=False,
        timeout=300,
    )


def test_the_key_is_nowhere_but_in_the_request(tmp_path):
    with FakeServer(Recorded(ROOT / "cassettes")) as server:
        database = f"sqlite:///{tmp_path / 'jixiao.db'}"
        runs = [
            jixiao("ingest", str(SAMPLES[0]), "--db", database, server=server, home=tmp_path),
            # the same through a cassette being recorded, and through the cache
            jixiao(
                "extract",
                str(SAMPLES[1]),
                "--record",
                str(tmp_path / "cassettes"),
                server=server,
                home=tmp_path,
            ),
            jixiao("extract", str(SAMPLES[1]), server=server, home=tmp_path),
        ]
        for fmt, out in [
            ("json", "all.json"),
            ("jsonl", "all.jsonl"),
            ("csv", "csv"),
            ("xlsx", "all.xlsx"),
            ("parquet", "parquet"),
        ]:
            runs.append(
                jixiao(
                    "export",
                    "--db",
                    database,
                    "--format",
                    fmt,
                    "--out",
                    str(tmp_path / out),
                    server=server,
                    home=tmp_path,
                )
            )
    with FakeServer(
        lambda body: Step(status=401, body='{"error": {"message": "bad key"}}')
    ) as server:
        refused = jixiao("extract", str(SAMPLES[2]), "--no-cache", server=server, home=tmp_path)
    assert refused.returncode == 1 and b"JIXIAO_API_KEY" in refused.stderr

    assert [run.returncode for run in runs] == [0] * len(runs), [r.stderr for r in runs]
    seen = [run.stdout + run.stderr for run in [*runs, refused]]
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert any(path.suffix == ".yaml" for path in files)  # a cassette was written
    assert any(path.parent.parent.name == "cache" for path in files)  # and a cache entry
    assert sum(path.name.startswith("jixiao.db") for path in files) >= 1
    leaks = [path for path in files if KEY.encode() in path.read_bytes()]
    leaks += [output[:80] for output in seen if KEY.encode() in output]
    assert leaks == []
