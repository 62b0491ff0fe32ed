"""audit log: one database function takes the chain lock, reads the last hash and appends

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25

Appends are serialised from taking the chain lock to commit. Done from the application, that
span held three round trips (the lock, the last hash, the insert) with the application's work
between them; in the database it is one call, and the lock is held for the commit alone after.
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# row_hash (desk/audit/chain.py) is SHA-256 over the canonical JSON array [prev_hash, occurred_at,
# kind, subjects, data]. The application encodes all of it after prev_hash (chain.
# hashed_after_prev_hash); the function puts the last row's hash in front and hashes the whole.
PG_APPEND = """
CREATE FUNCTION audit_events_append(
    lock_key bigint,
    new_occurred_at timestamptz,
    new_kind varchar,
    new_call_id integer,
    new_practitioner_id varchar,
    new_operator_id integer,
    new_supervisor_id integer,
    new_data json,
    hashed_after_prev_hash bytea
) RETURNS TABLE (appended_id bigint, appended_prev_hash varchar, appended_hash varchar)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    -- Held until the transaction ends, so concurrent writers chain one after another.
    PERFORM pg_advisory_xact_lock(lock_key);
    -- A statement of its own, whose snapshot is taken after the lock was granted: it sees the
    -- row the writer before committed.
    SELECT hash INTO appended_prev_hash FROM audit_events ORDER BY id DESC LIMIT 1;
    appended_prev_hash := coalesce(appended_prev_hash, repeat('0', 64));
    appended_hash := encode(
        sha256(convert_to('["' || appended_prev_hash || '",', 'UTF8') || hashed_after_prev_hash),
        'hex'
    );
    INSERT INTO audit_events (
        occurred_at, kind, call_id, practitioner_id, operator_id, supervisor_id, data,
        prev_hash, hash
    ) VALUES (
        new_occurred_at, new_kind, new_call_id, new_practitioner_id, new_operator_id,
        new_supervisor_id, new_data, appended_prev_hash, appended_hash
    ) RETURNING id INTO appended_id;
    RETURN NEXT;
END
$$;
"""


def upgrade():
    # SQLite, for the demo, appends from the application: it has no function language.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_APPEND)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION audit_events_append("
            "bigint, timestamptz, varchar, integer, varchar, integer, integer, json, bytea)"
        )
