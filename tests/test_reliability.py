"""Faults on purpose: a model server that fails in every way we know of (a fake,
for tests only, answering with the real model's recorded answers between the
faults), and a batch that must go on and store nothing half-written."""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROOT, SAMPLES
from fake_openai import FAULTS, FakeServer, Faulty, Recorded
from sqlalchemy import func, select

from jixiao.batch import Batch, Outcome
from jixiao.extract.llm import LOCAL_MODEL, ModelClient, Settings
from jixiao.records import facts_of
from jixiao.store import Store, models
from jixiao.store.current import as_stored

REPORTS = SAMPLES[:2]
RECORDED = Recorded(ROOT / "cassettes")


def run(responder, tmp_path, name: str) -> tuple[Store, list[Outcome]]:
    store = Store(f"sqlite:///{tmp_path / f'{name}.db'}")
    outcomes: list[Outcome] = []
    with FakeServer(responder) as server:
        settings = Settings(
            base_url=server.url,
            model=LOCAL_MODEL,
            concurrency=4,
            timeout=1.0,
            backoff=0.01,
            attempts=4,
        )
        Batch(store, ModelClient(settings, use_cache=False), workers=0).run(
            REPORTS, outcomes.append
        )
    return store, outcomes


def stored(store: Store) -> dict[str, set[tuple[str, str, object]]]:
    """Each stored report's facts, after checking the report was stored whole."""
    facts: dict[str, set[tuple[str, str, object]]] = {}
    with store.session() as session:
        for document in session.scalars(select(models.Document)):
            if document.status != "done":
                assert document.record is None and document.error
                continue
            report, _ = as_stored(session, document)
            rows = session.scalars(
                select(models.Fact).where(models.Fact.document_id == document.id)
            ).all()
            assert len(rows) == len(list(facts_of(report))) and len(document.calls) > 0
            text = report.document.text
            assert all(text[row.start : row.end] == row.raw for row in rows)
            facts[document.path] = {(row.path, row.raw, row.value) for row in rows}
        duplicates = session.scalar(
            select(func.count()).select_from(
                select(models.Document.sha256)
                .group_by(models.Document.run_id, models.Document.sha256)
                .having(func.count() > 1)
                .subquery()
            )
        )
    assert duplicates == 0
    return facts


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    store, outcomes = run(Faulty(RECORDED, None), tmp_path_factory.mktemp("baseline"), "clean")
    assert {outcome.status for outcome in outcomes} == {"done"}
    return stored(store)


@pytest.mark.parametrize("fault", [name for name in FAULTS if name != "invented numbers"], ids=str)
def test_the_batch_recovers_the_same_record(fault, baseline, tmp_path):
    """Retried (transport faults) or re-asked (answers that do not parse):
    the records come out as if nothing had happened."""
    responder = Faulty(RECORDED, FAULTS[fault], share=0.4, seed=7)
    store, outcomes = run(responder, tmp_path, "faulty")
    assert responder.injected
    # Each spoiled answer was asked for again: retried, or re-asked with the error.
    assert all(responder.asked[question] >= 2 for question in responder.spoiled)
    assert [outcome.error for outcome in outcomes if outcome.status != "done"] == []
    assert stored(store) == baseline


def test_invented_numbers_never_reach_the_store(baseline, tmp_path):
    """Quotes that are not in the source fail validation; the model is asked
    again with the error, and what it says then is what is stored."""
    responder = Faulty(RECORDED, FAULTS["invented numbers"], share=0.5, seed=7)
    store, outcomes = run(responder, tmp_path, "invented")
    assert {outcome.status for outcome in outcomes} == {"done"}
    invented = {quote for step in responder.injected for quote in _quotes(step)}
    texts = [_bare(outcome.report.document.text) for outcome in outcomes]
    invented = {quote for quote in invented if not any(_bare(quote) in text for text in texts)}
    assert invented, "no invented figure was sent"
    facts = stored(store)  # every stored fact at its offsets in the source
    raws = {_bare(raw) for report in facts.values() for _, raw, _ in report}
    assert not raws & {_bare(quote) for quote in invented}
    assert facts == baseline


def _bare(text: str) -> str:
    return re.sub(r"\s", "", text)


def _quotes(step) -> list[str]:
    """The strings of an answer that hold a figure."""
    content = json.loads(json.loads(step.body)["choices"][0]["message"]["content"])

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, list | dict):
            for item in value.values() if isinstance(value, dict) else value:
                yield from strings(item)

    return [text for text in strings(content) if re.search(r"\d", text)]


def test_a_model_that_keeps_failing_fails_one_report_and_the_batch_goes_on(baseline, tmp_path):
    unit = "祁东县医疗保障事务中心"  # the unit of the second report
    assert unit in REPORTS[1].read_text(encoding="utf-8")
    store, outcomes = run(Faulty(RECORDED, None, always=unit), tmp_path, "failing")
    by_path = {outcome.path: outcome for outcome in outcomes}
    failed = by_path[REPORTS[1]]
    assert failed.status == "failed"
    assert str(REPORTS[1]) in failed.error and "kept failing after 4 attempts" in failed.error
    assert by_path[REPORTS[0]].status == "done"
    facts = stored(store)
    assert facts == {str(REPORTS[0]): baseline[str(REPORTS[0])]}
