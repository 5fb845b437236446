"""Joint handling: each co-department's task has its own deadline (``petition_handlers.due``, a Shanghai date;
``due_days``: the working days the lead set, NULL = the petition's handling deadline), and the handling
departments are found by unit (``ix_petition_handlers_unit_id`` on (unit_id, petition_id): a department's
queue and the visibility of handlers read the petition ids from the index alone).

Backfill: every task takes its petition's handling deadline (nothing earlier was ever set).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("petition_handlers") as batch:
        batch.add_column(sa.Column("due", sa.Date, nullable=True))
        batch.add_column(sa.Column("due_days", sa.Integer, nullable=True))
        batch.create_check_constraint("ck_petition_handlers_due_days", "due_days IS NULL OR due_days > 0")
    op.create_index("ix_petition_handlers_unit_id", "petition_handlers", ["unit_id", "petition_id"])
    op.execute("""
        UPDATE petition_handlers SET
            due = (SELECT p.handling_due FROM petitions p WHERE p.id = petition_handlers.petition_id)
    """)


def downgrade() -> None:
    op.drop_index("ix_petition_handlers_unit_id", table_name="petition_handlers")
    with op.batch_alter_table("petition_handlers") as batch:
        batch.drop_constraint("ck_petition_handlers_due_days", type_="check")
        batch.drop_column("due_days")
        batch.drop_column("due")
