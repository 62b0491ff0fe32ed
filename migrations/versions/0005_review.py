"""supervisors' review: assessed calls with their flags and sign-offs; purged children's matches

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("flag_count", sa.Integer(), nullable=False),
        sa.Column("signed_off_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_off_by_id", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_reviews_call_id_calls")),
        sa.ForeignKeyConstraint(
            ["signed_off_by_id"], ["staff.id"], name=op.f("fk_reviews_signed_off_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("call_id", name=op.f("uq_reviews_call_id")),
    )
    op.create_index(op.f("ix_reviews_flag_count"), "reviews", ["flag_count"])
    op.create_index(op.f("ix_reviews_signed_off_at"), "reviews", ["signed_off_at"])
    op.create_table(
        "review_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_review_flags_review_id_reviews")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_flags")),
        sa.UniqueConstraint("review_id", "rule", name=op.f("uq_review_flags_review_id")),
    )
    op.create_index(op.f("ix_review_flags_review_id"), "review_flags", ["review_id"])
    op.create_index(op.f("ix_review_flags_rule"), "review_flags", ["rule"])
    # A purged child leaves the matches that found it, unlinked: see desk/records/retention.py.
    with op.batch_alter_table("matches") as batch_op:
        batch_op.alter_column("child_id", existing_type=sa.Integer(), nullable=True)


def downgrade():
    # Unlinked matches cannot be linked again; they go with the downgrade.
    op.execute(
        "DELETE FROM read_backs WHERE match_id IN (SELECT id FROM matches WHERE child_id IS NULL)"
    )
    op.execute(
        "DELETE FROM brokered_requests"
        " WHERE match_id IN (SELECT id FROM matches WHERE child_id IS NULL)"
    )
    op.execute("DELETE FROM matches WHERE child_id IS NULL")
    with op.batch_alter_table("matches") as batch_op:
        batch_op.alter_column("child_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("review_flags")
    op.drop_table("reviews")
