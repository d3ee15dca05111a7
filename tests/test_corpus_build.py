"""The development corpus (tests/corpus) is exactly what its generator writes,
and its gold states only what its texts say."""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from corpus import build as corpus_build
from corpus.render import FAMILIES, docx_text
from corpus.specs import reports

from jixiao.evaluate import SCALARS

CORPUS = Path(corpus_build.__file__).parent
ROOT = CORPUS.parents[1]
GOLDS = sorted(CORPUS.glob("*__*.json"))
# The money fields of a record: every budget figure but the rate.
MONEY = [path for path in SCALARS if path.startswith("budget.") and not path.endswith("_rate")]
MONEY += ["three_public.budget", "three_public.actual"]


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_committed_corpus_is_what_the_generator_writes(tmp_path: Path) -> None:
    corpus_build.build(tmp_path)
    made = {path.name: path for path in corpus_build.outputs(tmp_path)}
    committed = {path.name: path for path in corpus_build.outputs(CORPUS)}
    assert sorted(committed) == sorted(made), "run `python -m tests.corpus.build` and commit"
    for name, path in made.items():
        if path.suffix == ".docx":  # zip metadata aside, the parts must agree
            assert _members(path) == _members(committed[name]), name
        else:
            assert path.read_bytes() == committed[name].read_bytes(), (
                f"{name} differs from its generator: run `python -m tests.corpus.build`"
            )


def test_every_family_has_at_least_five_texts() -> None:
    texts = [path for path in corpus_build.outputs(CORPUS) if path.suffix == ".txt"]
    families = Counter(path.stem.split("__")[1] for path in texts)
    assert set(families) == set(FAMILIES)
    assert min(families.values()) >= 5, families
    assert len(texts) >= 44
    assert {gold["kind"] for gold in map(_gold, GOLDS)} == {"department", "project", "transfer"}
    total = sum(path.stat().st_size for path in CORPUS.rglob("*") if path.is_file())
    assert total < 2_000_000


def _gold(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def _text(name: str) -> str:
    path = CORPUS / name
    text = docx_text(path) if path.suffix == ".docx" else path.read_text(encoding="utf-8")
    return unicodedata.normalize("NFKC", text)


_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _figures(text: str) -> set[float]:
    return {float(match.replace(",", "")) for match in _NUMBER.findall(text)}


def _written(yuan: float, text: str) -> bool:
    """A sum is written in the text as some figure in 元, 万元 or 亿元 (for run
    together cells, as a piece of a longer run of digits)."""
    for scale in (1, 10_000, 100_000_000):
        value = yuan / scale
        for decimals in range(5):
            if abs(round(value, decimals) - value) < 1e-9 and f"{value:.{decimals}f}" in text:
                return True
    return False


def _get(record: dict, path: str):
    for part in path.split("."):
        record = record[part]
    return record


@pytest.mark.parametrize("path", GOLDS, ids=lambda path: path.stem)
def test_gold_money_figures_are_in_the_text(path: Path) -> None:
    """Every sum the gold states in 元 is written in the text, in 元, 万元 or 亿元."""
    gold = _gold(path)
    figures = _figures(_text(gold["file"]))
    run_together = _text(gold["file"]).replace(",", "") if gold["family"] == "run_together" else ""
    stated = [(p, _get(gold, p)) for p in MONEY]
    stated += [
        (f"alternatives.{p}", v)
        for p, values in gold["alternatives"].items()
        for v in values
        if p in MONEY
    ]
    for n, project in enumerate(gold["projects"]):
        stated += [
            (f"projects.{n}.{key}", project[key]) for key in ("budget", "actual", "initial_budget")
        ]
    for where, yuan in stated:
        if yuan is None:
            continue
        assert _written(yuan, run_together) or any(
            abs(figure * scale - yuan) < 0.01
            for figure in figures
            for scale in (1, 10_000, 100_000_000)
        ), f"{gold['file']}: {where} = {yuan} is not in the text"


@pytest.mark.parametrize("path", GOLDS, ids=lambda path: path.stem)
def test_gold_indicator_names_and_results_are_in_the_text(path: Path) -> None:
    gold = _gold(path)
    if gold["family"] == "spaces":  # long cells wrap within their column there
        return
    text = re.sub(r"\s", "", _text(gold["file"]))
    report = next(
        r for r in map(corpus_build.localise, reports()) if gold["file"].startswith(r.key + "__")
    )
    for old, new in report.glitches if gold["family"] == "run_together" else ():
        text = text.replace(unicodedata.normalize("NFKC", new), old)
    for row in gold["indicators"]:
        for key in ("level3", "actual"):
            if row[key]:
                assert unicodedata.normalize("NFKC", row[key]) in text, (gold["file"], row)


def test_scores_that_do_not_add_up_are_declared() -> None:
    """A total that is not the sum of its rows is one of the spec's deliberate
    inconsistencies, never an accident."""
    for report in reports():
        for gap in corpus_build.score_gaps(report):
            declared = " ".join(report.inconsistencies)
            assert gap in declared or (
                gap == "indicator table" and "indicator scores" in declared
            ), f"{report.key}: the total of {gap} is not the sum of its scores"


def _decimals(text: str) -> set[str]:
    text = unicodedata.normalize("NFKC", text).replace(",", "")
    return set(re.findall(r"(?<![\d.])\d+\.\d{2,}(?![\d.])", text))


def test_no_figure_of_the_samples_is_reused() -> None:
    """The corpus is invented: no number with two or more decimals that the
    sample reports contain appears in it."""
    samples = [*(ROOT / "samples").glob("*.txt"), *(ROOT.parent / "shared" / "seeds").glob("*.txt")]
    if not samples:
        pytest.skip("no sample reports here")
    taken = set().union(*(_decimals(path.read_text(encoding="utf-8")) for path in samples))
    for path in corpus_build.outputs(CORPUS):
        if path.suffix != ".json":
            reused = _decimals(_text(path.name)) & taken
            assert not reused, f"{path.name} reuses the samples' figures {sorted(reused)}"
