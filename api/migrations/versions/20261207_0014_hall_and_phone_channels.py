"""Two more 受理渠道 for petitions staff register: 办税服务厅 (taken at the hall) and 税务机关电话 (a call to the
bureau's own numbers, not 12366). The notice's four channels (12366热线, 12366平台, 税务网站, 其他渠道) stay; these
two are recorded instead of lumping them into 其他.

Downgrade: such petitions become 其他 again (the channel the earlier schema had for them).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BEFORE = ("12366热线", "12366平台", "税务网站", "智能助手", "其他")
AFTER = ("12366热线", "12366平台", "税务网站", "办税服务厅", "税务机关电话", "智能助手", "其他")


def _in(values: tuple[str, ...]) -> str:
    return f"channel IN ({', '.join(repr(v) for v in values)})"


def _constrain(values: tuple[str, ...]) -> None:
    with op.batch_alter_table("petitions") as batch:
        batch.drop_constraint("ck_petitions_channel", type_="check")
        batch.create_check_constraint("ck_petitions_channel", _in(values))


def upgrade() -> None:
    _constrain(AFTER)


def downgrade() -> None:
    op.execute(f"UPDATE petitions SET channel = '其他' WHERE NOT ({_in(BEFORE)})")
    _constrain(BEFORE)
