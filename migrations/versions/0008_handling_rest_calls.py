"""handlings: when the desk's REST calls to Twilio for a handling began, while they are in flight

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26

Taking and returning a call commit their intent before calling Twilio, so that no row lock is
held across a network call; the mark tells the call's other steps to wait for the outcome.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("handlings") as batch_op:
        batch_op.add_column(
            sa.Column("rest_calls_since", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("handlings") as batch_op:
        batch_op.drop_column("rest_calls_since")
