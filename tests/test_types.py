"""The type checker as a test: CI runs the README's test command only, so this is
where it type-checks src/jixiao (with pyproject.toml's [tool.mypy] settings)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, require


def test_mypy_finds_no_errors() -> None:
    if importlib.util.find_spec("mypy") is None:
        # Skips here, fails in CI (JIXIAO_TEST_REQUIRE_PROGRAMS), which installs it.
        require(Path(sys.executable).with_name("mypy"), "pip install -e '.[test]'")
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "src/jixiao"],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert checked.returncode == 0, f"mypy src/jixiao:\n{checked.stdout}{checked.stderr}"
