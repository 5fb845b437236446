"""Credit-repair applications belong to a unit: the unit whose seats serve the enterprise's chat, which
lists and decides them (``/api/repairs`` is scoped to the caller's unit tree).

Backfill: the unit of the enterprise's latest conversation (by USCC). An application whose enterprise never
chatted keeps NULL, which only an admin lists.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("repair_applications") as batch:  # batch: SQLite cannot add a foreign key in place
        batch.add_column(sa.Column("unit_id", sa.Integer, nullable=True))
        batch.create_foreign_key("fk_repair_applications_unit_id_units", "units", ["unit_id"], ["id"])
        batch.create_index("ix_repair_applications_unit_id", ["unit_id", "status"])
    op.execute("""
        UPDATE repair_applications SET unit_id = (
            SELECT c.unit_id FROM conversations c JOIN enterprises e ON e.uscc = c.uscc
            WHERE e.id = repair_applications.enterprise_id ORDER BY c.id DESC LIMIT 1)
        WHERE unit_id IS NULL
    """)


def downgrade() -> None:
    with op.batch_alter_table("repair_applications") as batch:
        batch.drop_index("ix_repair_applications_unit_id")
        batch.drop_constraint("fk_repair_applications_unit_id_units", type_="foreignkey")
        batch.drop_column("unit_id")
