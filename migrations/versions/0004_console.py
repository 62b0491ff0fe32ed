"""the operator console: handlings, searches, matches, read-backs, brokered requests

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("calls") as batch_op:
        batch_op.add_column(sa.Column("public_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("queue_sid", sa.String(length=64), nullable=True))
    # Calls from before the console get an unguessable public id like every new one.
    random_id = (
        "md5(random()::text || id::text)"
        if op.get_bind().dialect.name == "postgresql"
        else "lower(hex(randomblob(16)))"
    )
    op.execute(f"UPDATE calls SET public_id = {random_id} WHERE public_id IS NULL")
    with op.batch_alter_table("calls") as batch_op:
        batch_op.alter_column("public_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(op.f("uq_calls_public_id"), ["public_id"])

    op.create_table(
        "handlings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operator_call_sid", sa.String(length=64), nullable=True),
        sa.Column("identity_confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_called_back", sa.Boolean(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=True),
        sa.Column("purpose_detail", sa.String(length=500), nullable=True),
        sa.Column("purpose_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("wrap_up", sa.String(length=32), nullable=True),
        sa.Column("wrap_up_note", sa.String(length=500), nullable=True),
        sa.Column("wrapped_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_handlings_call_id_calls")),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["staff.id"], name=op.f("fk_handlings_operator_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handlings")),
        sa.UniqueConstraint("call_id", name=op.f("uq_handlings_call_id")),
    )
    op.create_index(op.f("ix_handlings_operator_id"), "handlings", ["operator_id"])
    op.create_index(
        "uq_handlings_open_per_operator",
        "handlings",
        ["operator_id"],
        unique=True,
        postgresql_where=sa.text("wrapped_up_at IS NULL"),
        sqlite_where=sa.text("wrapped_up_at IS NULL"),
    )
    op.create_table(
        "searches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handling_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(length=32), nullable=False),
        sa.Column("match_count", sa.Integer(), nullable=False),
        sa.Column("is_too_many", sa.Boolean(), nullable=False),
        sa.Column("searched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["handling_id"], ["handlings.id"], name=op.f("fk_searches_handling_id_handlings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_searches")),
    )
    op.create_index(op.f("ix_searches_handling_id"), "searches", ["handling_id"])
    op.create_table(
        "matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("search_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["search_id"], ["searches.id"], name=op.f("fk_matches_search_id_searches")),
        sa.ForeignKeyConstraint(["child_id"], ["children.id"], name=op.f("fk_matches_child_id_children")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matches")),
        sa.UniqueConstraint("token", name=op.f("uq_matches_token")),
    )
    op.create_index(op.f("ix_matches_search_id"), "matches", ["search_id"])
    op.create_index(op.f("ix_matches_child_id"), "matches", ["child_id"])
    op.create_table(
        "read_backs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=64), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["match_id"], ["matches.id"], name=op.f("fk_read_backs_match_id_matches")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_read_backs")),
        sa.UniqueConstraint("match_id", "item_key", name=op.f("uq_read_backs_match_id")),
    )
    op.create_index(op.f("ix_read_backs_match_id"), "read_backs", ["match_id"])
    op.create_table(
        "brokered_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["match_id"], ["matches.id"], name=op.f("fk_brokered_requests_match_id_matches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brokered_requests")),
    )
    op.create_index(op.f("ix_brokered_requests_match_id"), "brokered_requests", ["match_id"])


def downgrade():
    op.drop_table("brokered_requests")
    op.drop_table("read_backs")
    op.drop_table("matches")
    op.drop_table("searches")
    op.drop_index("uq_handlings_open_per_operator", table_name="handlings")
    op.drop_table("handlings")
    with op.batch_alter_table("calls") as batch_op:
        batch_op.drop_constraint(op.f("uq_calls_public_id"), type_="unique")
        batch_op.drop_column("queue_sid")
        batch_op.drop_column("public_id")
