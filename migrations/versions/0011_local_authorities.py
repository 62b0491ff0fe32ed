"""local authorities: codes for practitioners and children, officers' scopes, shields, brokering

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

A practitioner's local authority was free text; it becomes the ONS code of an English
upper-tier authority (desk/core/authorities.csv). Names are matched as desk.core.authorities
matches them ("Rochdale", "Rochdale Borough Council" and "E08000005" are all Rochdale). A name
that matches none is set to NULL, never guessed, and the migration logs the practitioners
concerned by ID so that an administrator can set theirs (`flask practitioners` re-registers);
the free text is not kept. Downgrading puts each code's name back.

Children gain the code of their authority (NULL until their next import, which requires it),
and the flag of an officer's shield beside the import's own; officers' shields, the staff's
scopes to authorities and the working of brokered requests get tables of their own.
"""

import logging

import sqlalchemy as sa
from alembic import op

from desk.core import authorities

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")

practitioners = sa.table(
    "practitioners", sa.column("id", sa.String), sa.column("local_authority", sa.String)
)


def upgrade():
    bind = op.get_bind()
    rows = bind.execute(sa.select(practitioners.c.id, practitioners.c.local_authority)).all()
    unmatched = []
    with op.batch_alter_table("practitioners") as batch:
        batch.alter_column(
            "local_authority", existing_type=sa.String(200), type_=sa.String(200), nullable=True
        )
    for practitioner_id, text in rows:
        code = authorities.code_for(text or "")
        if code is None:
            unmatched.append(practitioner_id)
        bind.execute(
            practitioners.update()
            .where(practitioners.c.id == practitioner_id)
            .values(local_authority=code)
        )
    if unmatched:
        logger.warning(
            "%d practitioners' local authority matched no English upper-tier authority and is "
            "now empty; set it for: %s",
            len(unmatched),
            ", ".join(unmatched),
        )
    with op.batch_alter_table("practitioners") as batch:
        batch.alter_column("local_authority", existing_type=sa.String(200), type_=sa.String(9))

    with op.batch_alter_table("children") as batch:
        batch.add_column(sa.Column("local_authority", sa.String(9), nullable=True))
        batch.add_column(
            sa.Column("officer_shielded", sa.Boolean(), server_default="false", nullable=False)
        )
        batch.create_index("ix_children_local_authority", ["local_authority"])

    op.create_table(
        "staff_authorities",
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), primary_key=True),
        sa.Column("authority", sa.String(9), primary_key=True),
    )
    op.create_table(
        "shields",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("child_id", sa.Integer(), sa.ForeignKey("children.id"), nullable=False),
        sa.Column("reason", sa.String(24), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("shielded_by_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("shielded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unshield_requested_by_id", sa.Integer(), sa.ForeignKey("staff.id")),
        sa.Column("unshield_requested_at", sa.DateTime(timezone=True)),
        sa.Column("lifted_by_id", sa.Integer(), sa.ForeignKey("staff.id")),
        sa.Column("lifted_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_shields_child_id", "shields", ["child_id"])
    op.create_index(
        "uq_shields_standing_per_child",
        "shields",
        ["child_id"],
        unique=True,
        postgresql_where=sa.text("lifted_at IS NULL"),
        sqlite_where=sa.text("lifted_at IS NULL"),
    )

    with op.batch_alter_table("brokered_requests") as batch:
        batch.add_column(sa.Column("local_authority", sa.String(9)))
        batch.add_column(sa.Column("claimed_by_id", sa.Integer()))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("outcome", sa.String(32)))
        batch.add_column(sa.Column("outcome_note", sa.String(500)))
        batch.add_column(sa.Column("closed_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("sms_status", sa.String(16)))
        batch.create_foreign_key(
            "fk_brokered_requests_claimed_by_id_staff", "staff", ["claimed_by_id"], ["id"]
        )
        batch.create_index("ix_brokered_requests_local_authority", ["local_authority"])
    op.create_table(
        "brokered_steps",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "request_id", sa.Integer(), sa.ForeignKey("brokered_requests.id"), nullable=False
        ),
        sa.Column("officer_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("note", sa.String(500)),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_brokered_steps_request_id", "brokered_steps", ["request_id"])


def downgrade():
    op.drop_index("ix_brokered_steps_request_id", table_name="brokered_steps")
    op.drop_table("brokered_steps")
    with op.batch_alter_table("brokered_requests") as batch:
        batch.drop_index("ix_brokered_requests_local_authority")
        batch.drop_constraint("fk_brokered_requests_claimed_by_id_staff", type_="foreignkey")
        for name in (
            "sms_status",
            "closed_at",
            "outcome_note",
            "outcome",
            "claimed_at",
            "claimed_by_id",
            "local_authority",
        ):
            batch.drop_column(name)
    op.drop_index("uq_shields_standing_per_child", table_name="shields")
    op.drop_index("ix_shields_child_id", table_name="shields")
    op.drop_table("shields")
    op.drop_table("staff_authorities")
    with op.batch_alter_table("children") as batch:
        batch.drop_index("ix_children_local_authority")
        batch.drop_column("officer_shielded")
        batch.drop_column("local_authority")
    bind = op.get_bind()
    with op.batch_alter_table("practitioners") as batch:
        batch.alter_column("local_authority", existing_type=sa.String(9), type_=sa.String(200))
    for practitioner_id, code in bind.execute(
        sa.select(practitioners.c.id, practitioners.c.local_authority)
    ).all():
        name = authorities.authority_name(code) if code and authorities.is_authority(code) else ""
        bind.execute(
            practitioners.update()
            .where(practitioners.c.id == practitioner_id)
            .values(local_authority=name)
        )
    with op.batch_alter_table("practitioners") as batch:
        batch.alter_column("local_authority", existing_type=sa.String(200), nullable=False)
