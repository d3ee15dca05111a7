"""The docs cannot drift from the program: each command's `--help` in
docs/commands.md is what the command prints (cog blocks, `make docs` writes them
again), every shell example marked `<!-- run -->` in the README and docs/ runs in
a copy of the repository where `make samples` has run (offline, from the
cassettes), and every link leads to a file and heading that exist."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
import typer.main
from conftest import ROOT

from jixiao.cli import app

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
COMMANDS = ROOT / "docs" / "commands.md"

# An example to run: the marker line, then a sh block.
MARKER = "<!-- run -->"
RUNNABLE = re.compile(r"^<!-- run -->\n```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
# The README's demo, which `make samples` runs: the fixture below runs it once,
# and the other examples run after it.
MAKE_SAMPLES = "jixiao ingest samples --db out/jixiao.db --out out --replay cassettes"


def test_the_help_in_the_docs_is_what_the_commands_print():
    from cogapp import Cog

    status = Cog().main(["cog", "--check", *map(str, DOCS)])
    assert status == 0, "a command's --help changed: run `make docs` and commit docs/"


def _command_paths(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [path]
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            paths += _command_paths(sub, (*path, name))
    return paths


def test_every_command_has_its_help_in_the_docs():
    text = COMMANDS.read_text(encoding="utf-8")
    for path in _command_paths(typer.main.get_command(app)):
        shown = " ".join(["jixiao", *path, "--help"])
        assert f"$ {shown}\n" in text, (
            f"docs/commands.md lacks `{shown}`: add `<!-- [[[cog show_help"
            f"({', '.join(map(repr, path))}) ]]] -->` and `<!-- [[[end]]] -->`, then `make docs`"
        )


def _examples() -> list:
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for match in RUNNABLE.finditer(text):
            if match.group(1) == f".venv/bin/{MAKE_SAMPLES}\n":
                continue  # the fixture's own
            line = text.count("\n", 0, match.start()) + 2
            found.append(pytest.param(match.group(1), id=f"{path.relative_to(ROOT)}:{line}"))
    return found


def test_the_readme_demo_is_what_make_samples_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"{MARKER}\n```sh\n.venv/bin/{MAKE_SAMPLES}\n```" in readme
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert f"$(BIN)/{MAKE_SAMPLES}\n" in makefile


def test_every_run_marker_stands_before_a_sh_block():
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        markers = text.count(f"\n{MARKER}\n")
        assert markers == len(RUNNABLE.findall(text)), (
            f"{path.relative_to(ROOT)}: a `{MARKER}` line must stand right before a ```sh block"
        )


@pytest.fixture(scope="session")
def after_make_samples(tmp_path_factory) -> Path:
    """A copy of what the examples read, after `make samples`: the samples and
    their cassettes, the gold files, `out/` ingested offline by the README's demo,
    and `.venv/bin/jixiao` running the jixiao under test."""
    repo = tmp_path_factory.mktemp("docs") / "repo"
    for part in ("samples", "cassettes", "tests/gold"):
        shutil.copytree(ROOT / part, repo / part)
    bin_dir = repo / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    jixiao = bin_dir / "jixiao"
    jixiao.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m jixiao "$@"\n', encoding="utf-8")
    jixiao.chmod(0o755)
    result = _run(f".venv/bin/{MAKE_SAMPLES}", repo)
    assert result.returncode == 0, result.stdout + result.stderr
    return repo


def _run(script: str, repo: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{repo / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])
        ),
        # Nothing cached in the user's home, no database but the ones named.
        "JIXIAO_CACHE_DIR": "",
        "JIXIAO_DB_URL": f"sqlite:///{repo / 'jixiao.db'}",
    }
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        check=False,
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize("script", _examples())
def test_the_example_runs(script, after_make_samples, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(after_make_samples, repo, symlinks=True)
    result = _run(script, repo)
    assert result.returncode == 0, f"{script}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def _anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown file."""
    anchors = set()
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            heading = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", heading).replace(" ", "-"))
    return anchors


def test_every_link_leads_to_a_file_and_heading():
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            name, _, anchor = target.partition("#")
            linked = (path.parent / name).resolve() if name else path
            where = f"{path.relative_to(ROOT)}: ({target})"
            assert linked.exists(), f"{where}: no such file"
            if anchor and linked.suffix == ".md":
                assert anchor in _anchors(linked), f"{where}: no such heading"


def test_the_help_names_what_a_parameter_takes_not_its_python_type():
    # typer shows `<bool>`, `<list[Path]>`… unless an option names a metavar;
    # the CLI's own command class hides them for --help and arguments.
    typed = re.compile(r"│\s+\*?\s*(\S+)\s+<[a-zA-Z]")
    shown = {m.group(1) for m in typed.finditer(COMMANDS.read_text(encoding="utf-8"))}
    assert not shown, f"give these options a metavar: {sorted(shown)}"
