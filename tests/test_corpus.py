"""The development corpus (tests/corpus/): reports of other units than the
samples, each written in one table layout of LAYOUTS.md. Every layout gives
the gold's indicator rows and table figures with no model: those that separate
cells by their separators, the others (a form flattened onto one line, cells
run together) by what the column titles say the cells hold. A row that reads
more than one way, or none, is named unread and asked of the model."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest
from conftest import ROOT

from jixiao.check import run_checks
from jixiao.evaluate import Score, comparable, score_report
from jixiao.extract import from_tables, route
from jixiao.structure import prepare
from jixiao.structure.flattened import ROW_NOT_TOLD_APART

CORPUS = ROOT / "tests" / "corpus"
GOLDS = sorted(CORPUS.glob("*.json"))


@cache
def tables_only(gold_path: Path) -> tuple[dict, dict, object]:
    """A corpus report's record as its tables alone give it, checked."""
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    prepared = prepare(CORPUS / gold["file"])
    report = from_tables(prepared)
    run_checks(report, prepared.tables)
    return gold, report.model_dump(mode="json"), prepared


def family_scores() -> dict[str, Score]:
    scores: dict[str, Score] = defaultdict(Score)
    for path in GOLDS:
        gold, record, _ = tables_only(path)
        scores[gold["family"]].add(score_report(gold, record))
    return scores


def test_the_corpus_covers_every_layout_and_is_not_the_samples():
    families = {json.loads(p.read_text(encoding="utf-8"))["family"] for p in GOLDS}
    assert len(GOLDS) >= 40
    assert families >= {
        "pipe_lines",
        "markdown",
        "one_line",
        "run_together",
        "tab_cells",
        "tab_rows",
        "spaces",
        "one_cell_per_line",
        "docx",
    }


@pytest.mark.parametrize(
    "family",
    ["pipe_lines", "markdown", "tab_cells", "tab_rows", "spaces", "one_cell_per_line", "docx"],
)
def test_every_separated_layout_gives_the_gold_indicator_rows(family):
    score = family_scores()[family]
    ratios = score.ratios()
    assert ratios["indicator rows found"] >= 0.95, score.misses
    assert ratios["indicator fields right"] >= 0.99, score.misses


def test_a_form_flattened_onto_a_line_gives_the_gold_indicator_rows():
    score = family_scores()["one_line"]
    ratios = score.ratios()
    assert ratios["indicator rows found"] >= 0.95, score.misses
    assert ratios["indicator fields right"] >= 0.95, score.misses


def test_cells_run_together_give_the_rows_one_reading_tells_apart():
    """Rows whose target and actual are words with no boundary between them
    (明显提升有所提升) are left to the model; the rest are right."""
    score = family_scores()["run_together"]
    ratios = score.ratios()
    assert ratios["indicator rows found"] >= 0.93, score.misses
    assert ratios["indicator fields right"] >= 0.95, score.misses


def test_the_same_report_reads_the_same_in_every_separated_layout():
    """A property of the renderer and the parser together: one report written in
    several layouts gives one set of indicator rows."""
    rows: dict[str, dict[str, set]] = defaultdict(dict)
    for path in GOLDS:
        gold, record, _ = tables_only(path)
        if gold["family"] == "run_together":
            continue  # some of its rows are left to the model
        spec = gold["file"].split("__")[0]
        rows[spec][gold["family"]] = {
            tuple(comparable(row.get(key)) for key in ("level3", "target", "actual", "score"))
            for row in record["indicators"]
        }
    for spec, by_family in rows.items():
        distinct = {frozenset(found) for found in by_family.values()}
        assert len(distinct) == 1, (spec, sorted(by_family))


def test_table_figures_are_the_golds_where_the_tables_give_them():
    """A budget or project figure read from a table is never a wrong one."""
    wrong = []
    for path in GOLDS:
        gold, record, _ = tables_only(path)
        for name, fact in record["budget"].items():
            if fact is not None and comparable(fact) != comparable(gold["budget"].get(name)):
                wrong.append(f"{gold['file']}: budget.{name} {fact['raw']}")
        by_name = {comparable(p["name"]): p for p in gold.get("projects", [])}
        for project in record["projects"]:
            expected = by_name.get(comparable(project["name"]))
            assert expected is not None, (gold["file"], project["name"]["raw"])
            for key in ("budget", "actual", "initial_budget", "execution_rate", "self_score"):
                fact = project.get(key)
                if fact is None or key not in expected:
                    continue
                if comparable(fact) != comparable(expected[key]):
                    wrong.append(f"{gold['file']}: {project['name']['raw']} {key} {fact['raw']}")
    assert not wrong


def test_every_fact_of_the_corpus_is_at_its_offsets():
    for path in GOLDS:
        _, record, _ = tables_only(path)
        assert score_report({}, record).facts_not_in_source == 0


def test_each_row_no_reading_tells_apart_is_named_unread_and_asked_of_the_model():
    for path in GOLDS:
        gold, record, prepared = tables_only(path)
        if gold["family"] != "run_together":
            continue
        found = {comparable(row["level3"]) for row in record["indicators"]}
        unread = [r for r in record["unread"] if r["reason"] == str(ROW_NOT_TOLD_APART)]
        asked = [r for r in route(prepared) if r.kind.name == "table"]
        text = prepared.document.text
        for row in gold["indicators"]:
            if comparable(row["level3"]) in found or row["level3"] is None:
                continue
            key = str(row["level3"])[:4]
            assert any(key in text[r["start"] : r["end"]] for r in unread), (gold["file"], key)
            assert any(key in request.text for request in asked), (gold["file"], key)


def test_a_project_report_is_known_by_its_tables():
    for path in GOLDS:
        gold, record, _ = tables_only(path)
        kinds = {record["kind"], gold["kind"]}
        if gold["family"] == "run_together" or "transfer" in kinds:
            continue  # a transfer says so in its title, which any layout keeps
        assert record["kind"] == gold["kind"], gold["file"]


def test_no_source_flag_where_the_author_put_no_inconsistency():
    for path in GOLDS:
        gold, record, _ = tables_only(path)
        if gold.get("source_inconsistencies"):
            continue
        flags = [c["message"] for c in record["checks"] if c["status"] == "source_inconsistency"]
        assert not flags, (gold["file"], flags)


RECORDED = sorted((ROOT / "cassettes" / "corpus").glob("*.yaml"))


@pytest.mark.parametrize("cassette", RECORDED, ids=[path.stem for path in RECORDED])
def test_a_recorded_corpus_report_replays_with_every_fact_in_its_source(cassette):
    """The whole pipeline on a report of another unit, the model replayed: every
    fact at its offsets."""
    from jixiao.batch import run_one
    from jixiao.extract.llm import ModelClient, Settings

    (source,) = [path for path in CORPUS.glob(f"{cassette.stem}.*") if path.suffix != ".json"]
    report = run_one(source, ModelClient(Settings(), use_cache=False), cassette.parent, "replay")
    record = report.model_dump(mode="json")
    gold = json.loads((CORPUS / f"{cassette.stem}.json").read_text(encoding="utf-8"))
    score = score_report(gold, record)
    assert score.facts and score.facts_not_in_source == 0, score.misses
    assert record["usage"]["calls"] > 0
    if gold["kind"] != "department":
        # The funds a project report's prose states are its project's: such a
        # report gives no department budget, whatever the model took them for.
        assert record["budget"] == gold["budget"], record["budget"]


def test_the_corpus_reports_make_record_lists_are_the_recorded_ones():
    """`make record` re-records exactly the corpus reports that have cassettes."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    listed = re.search(
        r"CORPUS_RECORDED := \$\(addprefix tests/corpus/,(.*?)\)", makefile, re.DOTALL
    )
    assert listed is not None
    names = {Path(name).stem for name in listed.group(1).replace("\\", " ").split()}
    assert names == {path.stem for path in RECORDED} and len(names) >= 2
