"""The store and the batch: every report whole or absent, each once, on SQLite and
PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from conftest import NEW_PROJECT_FIELDS, ROOT, SAMPLES, project_report, schema_1
from sqlalchemy import MetaData, create_engine, func, insert, inspect, select
from sqlalchemy.engine import Engine

from jixiao.batch import Batch, Outcome
from jixiao.evaluate import iter_facts
from jixiao.export import exported_reports
from jixiao.extract.llm import ModelClient, Settings
from jixiao.records import Report, facts_of
from jixiao.store import MIGRATIONS, Store, StoreError, database_url, models
from jixiao.store.current import current

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
            # The stored record holds no fact of its own: the rows are the only copy.
            assert not list(iter_facts(document.record)) and document.record["checks"] == []
            report = current(session, document).report
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
    from jixiao.batch import ingest as ingest_module

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
    # Under the sample's name, its recording is found, but the changed text asks
    # what it never recorded.
    changed = tmp_path / SAMPLES[0].name
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


def save(store: Store, report: Report) -> int:
    run = store.run_id("invented", "model", "http://model", {}, {})
    return store.save(run, Path(report.document.path), report, [], [], 0.0)


def test_the_kind_unread_stretches_and_project_fields_are_stored(db_url):
    store = Store(db_url)
    report = project_report()
    document_id = save(store, report)
    run = store.run_id("invented", "model", "http://model", {}, {})
    store.save_failure(run, Path("broken.txt"), "f" * 64, "broken", 0.0)
    with store.session() as session:
        document = session.get(models.Document, document_id)
        assert (document.kind, document.unread) == ("project", 2)
        assert current(session, document).report == report
        failed = session.scalars(select(models.Document).where(models.Document.id != document_id))
        assert [(row.kind, row.unread) for row in failed] == [(None, None)]
        paths = set(
            session.scalars(select(models.Fact.path).where(models.Fact.document_id == document_id))
        )
    assert {f"projects[0].{name}" for name in NEW_PROJECT_FIELDS} <= paths
    store.close()


def _migrate(engine: Engine, revision: str, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def _columns(store: Store) -> dict[str, dict]:
    return {column["name"]: column for column in inspect(store.engine).get_columns("documents")}


def test_the_migration_brings_a_database_made_at_0001_up(db_url):
    engine = create_engine(database_url(db_url))
    _migrate(engine, "0001")
    legacy = schema_1(project_report())
    with engine.begin() as connection:
        tables = MetaData()
        tables.reflect(connection)
        now = datetime.now(UTC)
        run = connection.execute(
            insert(tables.tables["runs"]).values(
                key="old", model="m", base_url="http://m", prompts={}, settings={}, created_at=now
            )
        ).inserted_primary_key[0]
        document = connection.execute(
            insert(tables.tables["documents"]).values(
                run_id=run,
                path="invented/project.txt",
                sha256=legacy["document"]["sha256"],
                format="txt",
                ocr=False,
                status="done",
                ingested_at=now,
                record=legacy,
            )
        ).inserted_primary_key[0]
        unit = legacy["unit_name"]
        connection.execute(
            insert(tables.tables["facts"]).values(
                document_id=document,
                path="unit_name",
                **{name: unit[name] for name in ("value", "raw", "start", "end", "status")},
                review="confirmed",
                version=2,
            )
        )
    engine.dispose()

    store = Store(db_url)  # opening a store upgrades it to the head
    columns = _columns(store)
    assert columns["kind"]["nullable"] and columns["unread"]["nullable"]
    paths = [path for path, _ in facts_of(Report.model_validate(legacy))]
    with store.session() as session:
        (row,) = session.scalars(select(models.Document)).all()
        assert (row.kind, row.unread) == (None, None)
        # Schema 3: the record's facts moved into rows (a fact without one got
        # one), and the record keeps the rest.
        assert not list(iter_facts(row.record)) and row.record["document"] == legacy["document"]
        reviewed = {fact.path: fact.review for fact in row.facts}
        assert sorted(reviewed) == sorted(paths) and reviewed.pop("unit_name") == "confirmed"
        assert set(reviewed.values()) == {"unreviewed"}
        (entry,) = session.scalars(select(models.QueueEntry)).all()
        assert (entry.document_id, entry.facts, entry.to_review) == (
            row.id,
            len(paths),
            len(paths) - 1,
        )
        assert entry.state == "partly reviewed" and entry.fiscal_year == 2024
    # The schema 1 record loads and exports, with what schema 2 added left empty.
    (exported,) = exported_reports(store)
    assert exported.report.schema_version == "1" and exported.report.kind is None
    assert exported.report.unread == [] and exported.reviews["unit_name"] == "confirmed"
    assert dict(facts_of(exported.report)) == dict(facts_of(Report.model_validate(legacy)))
    assert exported.report.projects[0].supervisor is None
    assert exported.report.indicators[0].project is None

    # Down, with the store's foreign keys on: the record gets its facts back from
    # the rows; and up again: each fact still has one row.
    _migrate(store.engine, "0001", down=True)
    assert "kind" not in _columns(store) and "unread" not in _columns(store)
    with store.engine.connect() as connection:
        (record,) = connection.execute(select(models.Document.record)).scalars()
    assert record == legacy | {"checks": []}
    store.close()
    store = Store(db_url)
    with store.session() as session:
        (row,) = session.scalars(select(models.Document)).all()
        assert not list(iter_facts(row.record)) and len(row.facts) == len(paths)
    store.close()
