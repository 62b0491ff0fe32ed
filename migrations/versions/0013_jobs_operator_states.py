"""scheduled jobs' last runs; operators' states

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

`jobs run-due` keeps when each job last ran (a daily job runs once a day however often it is
asked); each operator has one row of state when not on a call (desk/console/states.py).
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "scheduled_jobs",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_outcome", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduled_jobs")),
    )
    op.create_table(
        "operator_states",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "available",
                "on_call",
                "after_call_work",
                "away",
                name="status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wrap_up_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_operator_states_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("staff_id", name=op.f("pk_operator_states")),
    )


def downgrade():
    op.drop_table("operator_states")
    op.drop_table("scheduled_jobs")
