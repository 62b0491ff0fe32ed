"""the softphone and the line: which leg an operator answers on, the conference's state, listen-ins

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

Staff say how the desk rings them (the browser's softphone, a phone number or a SIP address),
and each has an opaque identity for the softphone's access token. A call keeps its
conference's SID and what Twilio last said of the line; a supervisor's listen-in is a row.
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff") as batch_op:
        batch_op.add_column(sa.Column("phone_kind", sa.String(16), nullable=True))
        batch_op.add_column(sa.Column("softphone_identity", sa.String(32), nullable=True))
    staff = sa.table(
        "staff",
        sa.column("id", sa.Integer),
        sa.column("phone_leg", sa.String),
        sa.column("phone_kind", sa.String),
        sa.column("softphone_identity", sa.String),
    )
    connection = op.get_bind()
    for row in connection.execute(sa.select(staff.c.id, staff.c.phone_leg)).all():
        leg = row.phone_leg or ""
        if leg.startswith("client:"):
            # A Twilio Client leg named by an administrator is the browser's softphone now,
            # answered under an opaque identity rather than a name.
            kind, leg = "browser", None
        elif leg.startswith("sip:"):
            kind = "sip"
        elif leg:
            kind = "number"
        else:
            kind, leg = None, None
        connection.execute(
            staff.update()
            .where(staff.c.id == row.id)
            .values(phone_kind=kind, phone_leg=leg, softphone_identity=secrets.token_hex(16))
        )
    with op.batch_alter_table("staff") as batch_op:
        batch_op.alter_column("softphone_identity", nullable=False)
        batch_op.create_unique_constraint("uq_staff_softphone_identity", ["softphone_identity"])

    with op.batch_alter_table("calls") as batch_op:
        batch_op.add_column(sa.Column("conference_sid", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("caller_in_conference_at", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("caller_left_at", sa.DateTime(timezone=True)))
        batch_op.add_column(
            sa.Column("is_caller_on_hold", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("operator_leg_status", sa.String(16), nullable=True))
        batch_op.add_column(sa.Column("operator_joined_at", sa.DateTime(timezone=True)))
        batch_op.add_column(
            sa.Column("is_operator_muted", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    op.create_table(
        "listen_ins",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("call_id", sa.Integer(), sa.ForeignKey("calls.id"), nullable=False, index=True),
        sa.Column(
            "supervisor_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False, index=True
        ),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("call_sid", sa.String(64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    # A supervisor is in at most one call at a time, as an operator is.
    op.create_index(
        "uq_listen_ins_open_per_supervisor",
        "listen_ins",
        ["supervisor_id"],
        unique=True,
        postgresql_where=sa.text("ended_at IS NULL"),
        sqlite_where=sa.text("ended_at IS NULL"),
    )
    # The desk's role is granted DML on it by 0009's default privileges.


def downgrade():
    op.drop_index("uq_listen_ins_open_per_supervisor", table_name="listen_ins")
    op.drop_table("listen_ins")
    with op.batch_alter_table("calls") as batch_op:
        batch_op.drop_column("is_operator_muted")
        batch_op.drop_column("operator_joined_at")
        batch_op.drop_column("operator_leg_status")
        batch_op.drop_column("caller_left_at")
        batch_op.drop_column("is_caller_on_hold")
        batch_op.drop_column("caller_in_conference_at")
        batch_op.drop_column("conference_sid")
    with op.batch_alter_table("staff") as batch_op:
        batch_op.drop_constraint("uq_staff_softphone_identity", type_="unique")
        batch_op.drop_column("softphone_identity")
        batch_op.drop_column("phone_kind")
