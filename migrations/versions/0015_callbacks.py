"""later checks of who is on a call: the desk's call-back, the keypad re-check, the queued callback

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02

A recheck keeps its flow's state between webhooks, as a call does, and of what was keyed
only whether the PIN matched. A verified call-back's first leg is kept, so that its late
status callback is known for what it is.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("calls") as batch_op:
        batch_op.add_column(
            sa.Column(
                "is_callback_requested", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    op.create_table(
        "rechecks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("public_id", sa.String(32), nullable=False, unique=True),
        sa.Column("call_id", sa.Integer(), sa.ForeignKey("calls.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("operator_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("number", sa.String(16), nullable=True),
        sa.Column("leg_sid", sa.String(64), nullable=True, unique=True),
        sa.Column("replaced_sid", sa.String(64), nullable=True, index=True),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("turn", sa.Integer(), nullable=False),
        sa.Column("last_twiml", sa.Text(), nullable=False),
        sa.Column("is_pin_correct", sa.Boolean(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    # The desk's role is granted DML on it by 0009's default privileges.


def downgrade():
    op.drop_table("rechecks")
    with op.batch_alter_table("calls") as batch_op:
        batch_op.drop_column("is_callback_requested")
