"""checks: each verdict's message template, for the review pages to translate

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10 09:00:00.000000

A check's message stays English; its template (the English words with the
values apart, `jixiao.records.Check.template`) lets the review pages show it in
the reader's language. Rows stored before stay NULL: their English is shown
until the report's checks run again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A column added in place: no copy of the table, which the view
    # check_overview reads.
    with op.batch_alter_table("checks", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("template", sa.JSON(), nullable=True))


def downgrade() -> None:
    # In place, as 0002 drops its columns: a copy would, with the store's foreign
    # keys on, and the view on the table, not go through.
    with op.batch_alter_table("checks", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("template")
