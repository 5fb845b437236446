"""Joint handling (联合办理): each handling department of a petition has its own task — its answer, when and by
whom it was completed — on its ``petition_handlers`` row.

Backfill: the lead department of a petition already resolved completed its part when it resolved it (the
resolution is its answer); co-departments' parts stay open, as nothing recorded them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("petition_handlers") as batch:  # batch: SQLite cannot add a foreign key in place
        batch.add_column(sa.Column("answer", sa.Text, nullable=True))
        batch.add_column(sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("completed_by", sa.Integer, nullable=True))
        batch.create_foreign_key("fk_petition_handlers_completed_by_staff_accounts", "staff_accounts",
                                 ["completed_by"], ["id"])
    op.execute("""
        UPDATE petition_handlers SET
            answer = (SELECT p.resolution FROM petitions p WHERE p.id = petition_handlers.petition_id),
            completed_at = (SELECT p.resolved_at FROM petitions p WHERE p.id = petition_handlers.petition_id)
        WHERE petition_handlers.lead AND EXISTS (SELECT 1 FROM petitions p WHERE p.id = petition_handlers.petition_id
                               AND p.resolved_at IS NOT NULL)
    """)


def downgrade() -> None:
    with op.batch_alter_table("petition_handlers") as batch:
        batch.drop_constraint("fk_petition_handlers_completed_by_staff_accounts", type_="foreignkey")
        batch.drop_column("completed_by")
        batch.drop_column("completed_at")
        batch.drop_column("answer")
