"""Shared fixtures: the sample reports, prepared once per test session."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from jixiao.pipeline import Prepared, prepare

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
