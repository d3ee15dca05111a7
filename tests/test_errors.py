"""Every failure a user sees belongs to one family, `JixiaoError`."""

from __future__ import annotations

import re

from conftest import ROOT

from jixiao.errors import JixiaoError
from jixiao.evaluate import EvaluationError
from jixiao.extract.llm import ContextTooLong, ModelError, OutputTooLong, ReplayMissing
from jixiao.read import LoadError
from jixiao.review.actions import Conflict, NotFound, Refused
from jixiao.store import StoreError


def test_no_public_exception_stands_outside_the_family():
    """An exception class of the package's own derives from JixiaoError, unless
    it is private to its module (never reaching a user)."""
    outside = []
    for path in (ROOT / "src" / "jixiao").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for name in re.findall(
            r"^class (\w+)\((?:Exception|RuntimeError|ValueError)\)", text, re.MULTILINE
        ):
            if not name.startswith("_") and name != "JixiaoError":
                outside.append(f"{path.name}: {name}")
    assert not outside


def test_the_family():
    for error in (LoadError, ModelError, ContextTooLong, OutputTooLong, ReplayMissing,
                  StoreError, EvaluationError, Conflict, Refused, NotFound):  # fmt: skip
        assert issubclass(error, JixiaoError), error
