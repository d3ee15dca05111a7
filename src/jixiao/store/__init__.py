"""The database: every report with its chunks, model calls, facts, checks and reviews.

SQLite by default: one file, in WAL mode so that the review pages read while a
batch writes. PostgreSQL (or any database SQLAlchemy speaks) by URL, from `--db`
or JIXIAO_DB_URL. The schema is brought up to date by Alembic when a store opens.

A report is written in one transaction, whole or not at all: a crash leaves the
database as it was before that report, and the next run does it again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import ColumnElement, create_engine, delete, event, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from jixiao.errors import JixiaoError
from jixiao.extract.llm import CallLog
from jixiao.records import Report, facts_of
from jixiao.store import models
from jixiao.store.carry import carry_reviews
from jixiao.store.current import check_row, current, skeleton
from jixiao.store.summary import refresh
from jixiao.structure.chunks import Chunk

DEFAULT_URL = "sqlite:///jixiao.db"
MIGRATIONS = Path(__file__).parent / "migrations"


class StoreError(JixiaoError):
    pass


def database_url(value: str | None = None) -> str:
    """The SQLAlchemy URL of the database named by `value`, JIXIAO_DB_URL or the
    default; a bare path names a SQLite file."""
    value = value or os.environ.get("JIXIAO_DB_URL") or DEFAULT_URL
    if "://" not in value:
        return f"sqlite:///{Path(value)}"
    # The URL most hosts hand out names no driver; psycopg 3 is the one installed.
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", value)


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"://[^/@]*@", "://***@", url)


def _now() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL keeps commits atomic with it
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")  # a reviewer's write waits for a batch's
    # 64 MB of pages per connection (the default is 2 MB): the review queue's table
    # and indexes of 100,000 reports stay in memory between requests.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


class Store:
    def __init__(self, url: str | None = None, *, create: bool = True) -> None:
        """Open (and bring up to date) the database at `url`. With ``create=False``,
        a SQLite file that does not exist is an error instead of a new, empty
        database: commands that only read must not leave one behind."""
        self.url = database_url(url)
        try:
            self.engine: Engine = create_engine(self.url)
        except (ArgumentError, ImportError) as error:  # a malformed URL, or no such driver
            raise StoreError(
                f"{safe_url(self.url)}: not a database URL"
                f" ({error}); give --db a file path, sqlite:///FILE or"
                " postgresql://USER:PASSWORD@HOST/DATABASE"
            ) from None
        if self.engine.dialect.name == "sqlite":
            database = self.engine.url.database
            if database and database != ":memory:":
                if not create and not Path(database).is_file():
                    raise StoreError(
                        f"{database}: no such database; give --db the database `jixiao ingest`"
                        " wrote (`make samples` writes out/jixiao.db), or set JIXIAO_DB_URL"
                    )
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._upgrade()

    def _upgrade(self) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except OperationalError as error:
            raise StoreError(
                f"{safe_url(self.url)}: cannot open the database"
                f" ({str(error.orig).strip().splitlines()[0]}); check that it is running and"
                " that the URL's user, password and database are right"
            ) from None

    def close(self) -> None:
        self.engine.dispose()

    def session(self) -> Session:
        return self.sessions()

    # --- runs ------------------------------------------------------------------

    def run_id(self, key: str, model: str, base_url: str, prompts: dict, settings: dict) -> int:
        """The run with this key, created on first use."""
        for _ in range(2):  # another process may create the same run between the two steps
            with self.sessions.begin() as session:
                found = session.scalar(select(models.Run.id).where(models.Run.key == key))
                if found is not None:
                    return found
            try:
                with self.sessions.begin() as session:
                    run = models.Run(
                        key=key,
                        model=model,
                        base_url=base_url,
                        prompts=prompts,
                        settings=settings,
                        created_at=_now(),
                    )
                    session.add(run)
                    session.flush()
                    return run.id
            except IntegrityError:
                continue
        raise StoreError(f"{safe_url(self.url)}: cannot create the run {key}")

    def ingested(self, run_id: int) -> set[str]:
        """The digests of the reports this run has finished."""
        with self.sessions() as session:
            return set(
                session.scalars(
                    select(models.Document.sha256).where(
                        models.Document.run_id == run_id, models.Document.status == "done"
                    )
                )
            )

    def stored_record(self, run_id: int, sha256: str) -> Report | None:
        """The record this run made of the report with this digest, if it finished
        it: as the pipeline made it, before reviewers changed it."""
        with self.sessions() as session:
            document = session.scalar(
                select(models.Document).where(
                    models.Document.run_id == run_id,
                    models.Document.sha256 == sha256,
                    models.Document.status == "done",
                )
            )
            return None if document is None else current(session, document, extracted=True).report

    # --- writing a report ---------------------------------------------------------

    def save(
        self,
        run_id: int,
        path: Path,
        report: Report,
        chunks: Sequence[Chunk],
        calls: Sequence[CallLog],
        seconds: float,
    ) -> int:
        """Store one finished report in one transaction; a failed attempt at the
        same report is replaced."""
        info = report.document
        with self.sessions.begin() as session:
            self._forget(session, run_id, info.sha256)
            document = models.Document(
                run_id=run_id,
                path=str(path),
                sha256=info.sha256,
                format=info.format,
                pages=info.pages,
                chars=info.chars,
                ocr=info.ocr,
                status="done",
                kind=report.kind,
                unread=len(report.unread),
                seconds=seconds,
                ingested_at=_now(),
                record=skeleton(report),
            )
            document.chunks = [
                models.Chunk(
                    position=position,
                    kind=chunk.kind,
                    start=chunk.start,
                    end=chunk.end,
                    tokens=chunk.tokens,
                    headings=chunk.path,
                )
                for position, chunk in enumerate(chunks)
            ]
            document.calls = [models.Call(**asdict(call)) for call in calls]
            document.checks = [check_row(check) for check in report.checks]
            session.add(document)
            session.flush()  # the chunks' ids, for the facts that point at them
            document.facts = [
                models.Fact(
                    chunk_id=_chunk_at(document.chunks, fact.start),
                    path=fact_path,
                    value=fact.value,
                    number=fact.value if isinstance(fact.value, int | float) else None,
                    unit=fact.unit,
                    raw=fact.raw,
                    start=fact.start,
                    end=fact.end,
                    status=fact.status,
                    note=fact.note,
                )
                for fact_path, fact in facts_of(report)
            ]
            session.flush()
            carry_reviews(session, document)
            refresh(session, document)
            return document.id

    def save_failure(
        self, run_id: int, path: Path, sha256: str, error: str, seconds: float
    ) -> None:
        """Record a report that could not be ingested, with the reason."""
        with self.sessions.begin() as session:
            self._forget(session, run_id, sha256)
            session.add(
                models.Document(
                    run_id=run_id,
                    path=str(path),
                    sha256=sha256,
                    format=path.suffix.lower().lstrip(".") or None,
                    status="failed",
                    error=error,
                    seconds=seconds,
                    ingested_at=_now(),
                )
            )

    @staticmethod
    def _forget(session: Session, run_id: int, sha256: str) -> None:
        session.execute(
            delete(models.Document).where(
                models.Document.run_id == run_id, models.Document.sha256 == sha256
            )
        )

    # --- reading -------------------------------------------------------------------

    def latest_documents(
        self, session: Session, *where: ColumnElement[bool]
    ) -> Iterator[models.Document]:
        """Each report's most recent successful ingestion (the queue's), in the
        order they came; `where` filters on the queue's columns."""
        query = (
            select(models.Document)
            .join(models.QueueEntry, models.QueueEntry.document_id == models.Document.id)
            .where(*where)
            .order_by(models.Document.id)
            .execution_options(yield_per=100)  # thousands of records never sit in memory at once
        )
        yield from session.scalars(query)


def _chunk_at(chunks: Sequence[models.Chunk], offset: int) -> int | None:
    return next((chunk.id for chunk in chunks if chunk.start <= offset < chunk.end), None)
