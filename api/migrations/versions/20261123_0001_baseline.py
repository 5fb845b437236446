"""Baseline: the service's schema starts here; feature tables come in later revisions.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
