"""database roles: the desk's own role reads and appends to the audit log, and owns nothing

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

Run as the role that owns the tables (DESK_MIGRATE_DATABASE_URL), on PostgreSQL this grants the
role the desk runs as (DESK_APP_DATABASE_ROLE):

- SELECT, INSERT, UPDATE, DELETE on the desk's tables, but on audit_events SELECT and INSERT
  only, and nothing on alembic_version;
- USAGE on the sequences (nextval, not setval); EXECUTE on audit_events_append, taken from
  PUBLIC;
- CONNECT and TEMPORARY on the database (the importer stages into temporary tables).

Never TRUNCATE, TRIGGER or REFERENCES, and never ownership: only an owner can disable a trigger,
drop it, alter a table or replace a function. Tables and sequences that later migrations make
(as this owner) are granted the same DML by ALTER DEFAULT PRIVILEGES, so they need no grants of
their own; one that must be append-only revokes UPDATE and DELETE in its own migration, as this
one does for audit_events. PUBLIC loses CREATE on schema public (PostgreSQL 15's default, made
explicit for older servers), so the desk's role cannot create a table or function of its own.

Without DESK_APP_DATABASE_ROLE nothing is granted and a warning says so: set it and run
`flask db downgrade 0008 && flask db upgrade` (downgrading only takes the grants back).
"""

import logging

from alembic import context, op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")

APPEND = (
    "audit_events_append("
    "bigint, timestamptz, varchar, integer, varchar, integer, integer, json, bytea)"
)
DML = "SELECT, INSERT, UPDATE, DELETE"


def app_role():
    """The desk's role, quoted, or None when there is nothing to grant."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return None
    role = context.config.attributes.get("app_database_role")
    if not role:
        logger.warning(
            "DESK_APP_DATABASE_ROLE is not set: no grants made, so the desk must run as the "
            "owner of its tables, who can disable the audit log's triggers"
        )
        return None
    if role == bind.exec_driver_sql("SELECT current_user").scalar():
        raise RuntimeError(
            f"DESK_APP_DATABASE_ROLE is {role}, the role running the migrations: the desk needs "
            "a role of its own, and the migrations its owner (DESK_MIGRATE_DATABASE_URL)"
        )
    return bind.dialect.identifier_preparer.quote(role)


def database():
    bind = op.get_bind()
    name = bind.exec_driver_sql("SELECT current_database()").scalar()
    return bind.dialect.identifier_preparer.quote(name)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite, the demo's, has no roles
    op.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    role = app_role()
    if role is None:
        return
    op.execute(f"REVOKE EXECUTE ON FUNCTION {APPEND} FROM PUBLIC")
    op.execute(f"GRANT CONNECT, TEMPORARY ON DATABASE {database()} TO {role}")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    op.execute(f"GRANT {DML} ON ALL TABLES IN SCHEMA public TO {role}")
    op.execute(f"REVOKE ALL ON alembic_version FROM {role}")
    op.execute(f"REVOKE UPDATE, DELETE ON audit_events FROM {role}")
    op.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
    op.execute(f"GRANT EXECUTE ON FUNCTION {APPEND} TO {role}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {DML} ON TABLES TO {role}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO {role}")


def downgrade():
    # PUBLIC's CREATE on schema public is not given back: no desk needs it.
    if op.get_bind().dialect.name != "postgresql":
        return
    role = app_role()
    if role is None:
        return
    op.execute(f"GRANT EXECUTE ON FUNCTION {APPEND} TO PUBLIC")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE ON SEQUENCES FROM {role}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE {DML} ON TABLES FROM {role}")
    op.execute(f"REVOKE EXECUTE ON FUNCTION {APPEND} FROM {role}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
    op.execute(f"REVOKE ALL ON SCHEMA public FROM {role}")
    op.execute(f"REVOKE ALL ON DATABASE {database()} FROM {role}")
