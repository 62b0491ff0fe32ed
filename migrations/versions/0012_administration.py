"""administration: activation codes, hardware tokens, a PIN chosen by keypad

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

- practitioners.pin_hash may be NULL: a practitioner enrolled in bulk, or whose PIN was reset,
  has none until they choose one by keypad with an activation code;
- practitioners.activation_hash and activation_expires_at: the one-time code, as an
  HMAC-SHA256 only, and its expiry;
- practitioners.has_token and totp_drift: whether they hold a working token, and how far a
  hardware token's clock is known to have drifted;
- hardware_tokens: imported PSKC seeds (sealed), by serial, and whom each is assigned to;
- calls.is_activating and chosen_pin_hash: an activation in progress, and the hash of the
  first keying of the chosen PIN until the second confirms it.

The desk's database role gets DML on the new table by 0009's default privileges.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("practitioners") as batch_op:
        batch_op.alter_column("pin_hash", existing_type=sa.String(length=200), nullable=True)
        batch_op.add_column(sa.Column("activation_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("activation_expires_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("has_token", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("totp_drift", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_table(
        "hardware_tokens",
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("secret_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "in_stock", "assigned", "lost", "retired",
                name="tokenstatus", native_enum=False, length=16,
            ),
            nullable=False,
        ),
        sa.Column("practitioner_id", sa.String(length=8), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["practitioner_id"], ["practitioners.id"],
            name=op.f("fk_hardware_tokens_practitioner_id_practitioners"),
        ),
        sa.PrimaryKeyConstraint("serial", name=op.f("pk_hardware_tokens")),
    )
    op.create_index(
        op.f("ix_hardware_tokens_practitioner_id"), "hardware_tokens", ["practitioner_id"]
    )
    # At most one token assigned to a practitioner at a time, whoever assigns it.
    op.create_index(
        "uq_hardware_tokens_assigned",
        "hardware_tokens",
        ["practitioner_id"],
        unique=True,
        postgresql_where=sa.text("status = 'assigned'"),
        sqlite_where=sa.text("status = 'assigned'"),
    )
    with op.batch_alter_table("calls") as batch_op:
        batch_op.add_column(
            sa.Column("is_activating", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("chosen_pin_hash", sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table("calls") as batch_op:
        batch_op.drop_column("chosen_pin_hash")
        batch_op.drop_column("is_activating")
    op.drop_index("uq_hardware_tokens_assigned", table_name="hardware_tokens")
    op.drop_index(op.f("ix_hardware_tokens_practitioner_id"), table_name="hardware_tokens")
    op.drop_table("hardware_tokens")
    with op.batch_alter_table("practitioners") as batch_op:
        batch_op.drop_column("totp_drift")
        batch_op.drop_column("has_token")
        batch_op.drop_column("activation_expires_at")
        batch_op.drop_column("activation_hash")
        batch_op.alter_column("pin_hash", existing_type=sa.String(length=200), nullable=False)
