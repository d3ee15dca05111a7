"""Shared fixtures: the sample reports, prepared once per test session."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from jixiao.pipeline import Prepared, prepare
from jixiao.store import database_url

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "samples").glob("*.txt"))
GOLD = ROOT / "tests" / "gold"


@cache
def prepared(name: str) -> Prepared:
    """A sample by its number prefix ("000"), loaded through the whole front half."""
    path = next(path for path in SAMPLES if path.name.startswith(name))
    return prepare(path)


@cache
def gold(name: str) -> dict:
    """Hand-checked expected values for a sample (copied from ../shared/gold)."""
    path = next(path for path in GOLD.glob("*.json") if path.name.startswith(name))
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(params=[path.name[:3] for path in SAMPLES])
def sample(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(autouse=True)
def _no_database_in_the_repository(tmp_path, monkeypatch):
    """A command that names no database writes to jixiao.db in the working
    folder: in tests, that folder's stand-in is the test's own."""
    monkeypatch.setenv("JIXIAO_DB_URL", f"sqlite:///{tmp_path / 'default.db'}")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind the store supports. PostgreSQL comes from
    JIXIAO_TEST_PG_URL (`scripts/start-postgres` starts one and prints it); each
    test gets a database of its own, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'jixiao.db'}"
        return
    admin_url = os.environ.get("JIXIAO_TEST_PG_URL")
    if not admin_url:
        message = "no PostgreSQL: set JIXIAO_TEST_PG_URL (scripts/start-postgres prints one)"
        if os.environ.get("JIXIAO_TEST_REQUIRE_PG"):
            pytest.fail(message)
        pytest.skip(message)
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"jixiao_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(database_url(admin_url)).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
