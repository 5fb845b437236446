"""属地: the regions each unit serves (``unit_regions``), so a logged-in enterprise's petitions and conversations go to
the unit that serves its region (api.org.service.serving_unit). No backfill: with no regions set everything goes to
the intake unit, as before.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_regions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", name="fk_unit_regions_unit_id_units"),
                  nullable=False),
        sa.Column("region", sa.String(100), nullable=False),
        sa.UniqueConstraint("unit_id", "region", name="uq_unit_regions_unit_id_region"),
    )
    op.create_index("ix_unit_regions_unit_id", "unit_regions", ["unit_id"])
    op.create_index("ix_unit_regions_region", "unit_regions", ["region"])


def downgrade() -> None:
    op.drop_index("ix_unit_regions_region", table_name="unit_regions")
    op.drop_index("ix_unit_regions_unit_id", table_name="unit_regions")
    op.drop_table("unit_regions")
