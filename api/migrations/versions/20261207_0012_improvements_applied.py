"""Improvements live in the database: approving one only changes its row, and the retrain job records when it
wrote the change to the bot's files, which model learnt it, or why the files refused it.

Rows approved before this revision were written to the files when approved: they count as applied then (their
model was not recorded).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("improvements") as batch:
        batch.add_column(sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("applied_model", sa.String(100), nullable=True))
        batch.add_column(sa.Column("apply_error", sa.Text, nullable=True))
    op.execute("UPDATE improvements SET applied_at = decided_at WHERE status = 'approved' AND applied_file IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("improvements") as batch:
        batch.drop_column("apply_error")
        batch.drop_column("applied_model")
        batch.drop_column("applied_at")
