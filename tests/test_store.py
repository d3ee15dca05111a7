"""The store and the batch: every report whole or absent, each once, on SQLite and
PostgreSQL alike."""

from __future__ import annotations

import pytest
from conftest import ROOT, SAMPLES
from sqlalchemy import func, select

from jixiao.check import facts_of
from jixiao.ingest import Batch, Outcome
from jixiao.llm import ModelClient, Settings
from jixiao.records import Report
from jixiao.store import Store, StoreError, models

CASSETTES = ROOT / "cassettes"


def ingest(store: Store, files, **settings) -> list[Outcome]:
    client = ModelClient(Settings(**settings), use_cache=False)
    outcomes: list[Outcome] = []
    Batch(store, client, workers=1, cassettes=CASSETTES).run(files, outcomes.append)
    return outcomes


def count(store: Store, table, *where) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(table).where(*where))


def test_every_report_is_stored_whole(db_url):
    store = Store(db_url)
    outcomes = ingest(store, SAMPLES)
    assert [outcome.status for outcome in outcomes] == ["done"] * len(SAMPLES)
    with store.session() as session:
        documents = session.scalars(select(models.Document)).all()
        assert len(documents) == len(SAMPLES)
        for document in documents:
            report = Report.model_validate(document.record)
            text = report.document.text
            facts = session.scalars(
                select(models.Fact).where(models.Fact.document_id == document.id)
            ).all()
            assert {fact.path for fact in facts} == {path for path, _ in facts_of(report)}
            # Offsets survive the round trip: every stored fact points at its raw text.
            assert all(text[fact.start : fact.end] == fact.raw for fact in facts)
            assert all(
                fact.chunk_id is not None for fact in facts if fact.path.startswith("budget")
            )
            assert len(document.checks) == len(report.checks)
            assert len(document.calls) == report.usage.calls
            assert sum(call.prompt_tokens for call in document.calls) == report.usage.prompt_tokens
            assert "header" in {call.prompt.split("@")[0] for call in document.calls}
            assert document.chunks and document.status == "done" and document.error is None


def test_a_second_run_skips_what_is_stored(db_url):
    store = Store(db_url)
    ingest(store, SAMPLES[:2])
    facts = count(store, models.Fact)
    outcomes = {outcome.path: outcome.status for outcome in ingest(store, SAMPLES[:3])}
    assert outcomes == {SAMPLES[0]: "skipped", SAMPLES[1]: "skipped", SAMPLES[2]: "done"}
    assert count(store, models.Document) == 3
    assert count(store, models.Fact) > facts


def test_the_same_content_twice_in_a_batch_is_ingested_once(tmp_path):
    copy = tmp_path / SAMPLES[0].name
    copy.write_bytes(SAMPLES[0].read_bytes())
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    outcomes = {outcome.path: outcome for outcome in ingest(store, [SAMPLES[0], copy])}
    assert (outcomes[SAMPLES[0]].status, outcomes[copy].status) == ("done", "skipped")
    assert f"same content as {SAMPLES[0]}" in outcomes[copy].error


def test_a_new_prompt_version_is_a_new_run(tmp_path, monkeypatch):
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    ingest(store, SAMPLES[:1])
    from jixiao import ingest as ingest_module

    versions = ingest_module.prompt_versions()
    monkeypatch.setattr(
        ingest_module, "prompt_versions", lambda: versions | {"budget": versions["budget"] + "1"}
    )
    assert [outcome.status for outcome in ingest(store, SAMPLES[:1])] == ["done"]
    assert count(store, models.Run) == 2 and count(store, models.Document) == 2


def test_a_bad_report_is_recorded_and_the_batch_goes_on(db_url, tmp_path):
    bad = tmp_path / "broken.docx"
    bad.write_bytes(b"not a zip")
    store = Store(db_url)
    outcomes = ingest(store, [bad, SAMPLES[0]])
    assert [outcome.status for outcome in outcomes] == ["failed", "done"]
    # Tried again on the next run, and still one row.
    ingest(store, [bad, SAMPLES[0]])
    with store.session() as session:
        (failed,) = session.scalars(
            select(models.Document).where(models.Document.status == "failed")
        ).all()
    assert failed.path == str(bad) and "not a valid DOCX" in failed.error
    assert count(store, models.Document) == 2


def test_a_report_the_model_cannot_answer_fails_alone(tmp_path):
    changed = tmp_path / "changed.txt"
    changed.write_text(SAMPLES[0].read_text(encoding="utf-8").replace("绩效", "效绩"), "utf-8")
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    outcomes = ingest(store, [changed, SAMPLES[1]])
    assert [outcome.status for outcome in outcomes] == ["failed", "done"]
    assert str(changed) in outcomes[0].error and "make record" in outcomes[0].error


def test_the_api_key_never_reaches_the_database(tmp_path):
    secret = "sk-test-d0-not-store-me"
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    ingest(store, SAMPLES[:1], api_key=secret)
    store.close()
    assert secret.encode() not in (tmp_path / "db.sqlite").read_bytes()
    assert not any(secret.encode() in path.read_bytes() for path in tmp_path.glob("db.sqlite*"))


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("postgresql://someone:hunter2@127.0.0.1:9/nothing", "cannot open the database"),
        ("nosuchdb://x", "not a database URL"),
    ],
)
def test_a_bad_database_url_says_what_to_do(url, problem):
    with pytest.raises(StoreError) as error:
        Store(url)
    assert problem in str(error.value) and "hunter2" not in str(error.value)
