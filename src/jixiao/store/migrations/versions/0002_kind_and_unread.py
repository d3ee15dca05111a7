"""documents: the report's kind and how many stretches nothing read

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows stored before stay NULL: their records were made under schema 1,
    # which never looked for either.
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("unread", sa.Integer(), nullable=True))


def downgrade() -> None:
    # In place (SQLite has dropped columns since 3.35): copying the table instead
    # would, with the store's foreign keys on, delete the chunks, facts and checks
    # of every row.
    with op.batch_alter_table("documents", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("unread")
        batch_op.drop_column("kind")
