"""Alembic's entry point. The store hands over its open connection, so that the
migrations run on the database the user named (see `jixiao.store.Store`)."""

from alembic import context

from jixiao.store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite alters tables by copying them; Alembic's batch mode does that for us.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
