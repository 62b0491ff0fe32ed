"""Least privilege: the desk's role reads and appends to the audit log, and can do no more.

A database of its own, owned by an owner role that migrates it (DESK_MIGRATE_DATABASE_URL),
and a login role for the desk (DESK_APP_DATABASE_ROLE) that the migrations grant to.
"""

from collections.abc import Iterator

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select, text

from desk.app import create_app
from desk.core.audit import chain
from desk.core.audit.models import AuditEvent
from desk.core.audit.service import record
from desk.core.extensions import db
from desk.dev.simulator import Twilio
from desk.records import staging
from ivr.models import CallStatus
from tests.conftest import ADMIN_URL, TEST_CONFIG, TEST_DATABASE
from tests.factories import PIN, current_code, make_practitioner
from tests.stored import stored_call

DATABASE = f"{TEST_DATABASE}_roles"
OWNER = f"desk_owner_{TEST_DATABASE}"
DESK = f"desk_app_{TEST_DATABASE}"


def url(database: str, role: str) -> str:
    return (
        sa.engine.make_url(ADMIN_URL)
        .set(database=database, username=role)
        .render_as_string(hide_password=False)
    )


def as_server_admin(*statements: str) -> None:
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for statement in statements:
            connection.execute(text(statement))
    admin.dispose()


def fresh_owned_database(name: str) -> None:
    """An empty database owned by OWNER, that nobody else may connect to unless granted."""
    as_server_admin(
        f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
        f"CREATE DATABASE {name} OWNER {OWNER}",
        f"REVOKE ALL ON DATABASE {name} FROM PUBLIC",
    )


def drop_roles() -> None:
    as_server_admin(*(f"DROP ROLE IF EXISTS {role}" for role in (DESK, OWNER)))


@pytest.fixture(scope="module")
def roles() -> Iterator[None]:
    as_server_admin(
        f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)",
        f"DROP DATABASE IF EXISTS {DATABASE}_ungranted WITH (FORCE)",
    )
    drop_roles()
    as_server_admin(f"CREATE ROLE {OWNER} LOGIN", f"CREATE ROLE {DESK} LOGIN")
    yield
    as_server_admin(
        f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)",
        f"DROP DATABASE IF EXISTS {DATABASE}_ungranted WITH (FORCE)",
    )
    drop_roles()


@pytest.fixture(scope="module")
def desk(roles: None) -> Iterator[Flask]:
    """The desk as its own role, on a database its owner migrated."""
    fresh_owned_database(DATABASE)
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": url(DATABASE, DESK),
            "DESK_MIGRATE_DATABASE_URL": url(DATABASE, OWNER),
            "DESK_APP_DATABASE_ROLE": DESK,
        }
    )
    with app.app_context():
        upgrade()
        assert db.session.scalar(text("SELECT current_user")) == DESK
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_the_migrations_ran_as_the_owner_and_the_desk_owns_nothing(desk: Flask) -> None:
    with desk.app_context():
        owners = db.session.execute(
            text(
                "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class"
                " WHERE relnamespace = 'public'::regnamespace"
            )
        ).scalars()
        assert set(owners) == {OWNER}
        owned = db.session.execute(
            text(
                "SELECT 'relation', relname FROM pg_class WHERE relowner = CAST(:role AS regrole)"
                " UNION ALL SELECT 'function', proname FROM pg_proc"
                " WHERE proowner = CAST(:role AS regrole)"
                " UNION ALL SELECT 'schema', nspname FROM pg_namespace"
                " WHERE nspowner = CAST(:role AS regrole)"
                " UNION ALL SELECT 'type', typname FROM pg_type"
                " WHERE typowner = CAST(:role AS regrole)"
                " UNION ALL SELECT 'database', datname FROM pg_database"
                " WHERE datdba = CAST(:role AS regrole)"
            ),
            {"role": DESK},
        ).all()
        assert owned == []


def test_the_desk_appends_to_the_audit_log_and_reads_it(desk: Flask) -> None:
    with desk.app_context():
        event = record("test.as_the_desk", call_id=1, data={"n": 1})
        db.session.commit()
        stored = db.session.scalar(select(AuditEvent).where(AuditEvent.id == event.id))
        assert stored is not None and stored.hash == event.hash
        assert chain.count() >= 1
        db.session.remove()
    result = desk.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_the_desk_may_only_read_and_append_to_the_audit_log(desk: Flask) -> None:
    with desk.app_context():
        may = {
            privilege: db.session.scalar(
                text("SELECT has_table_privilege('audit_events', :privilege)"),
                {"privilege": privilege},
            )
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER")
        }
        db.session.remove()
    assert may == {
        "SELECT": True,
        "INSERT": True,
        "UPDATE": False,
        "DELETE": False,
        "TRUNCATE": False,
        "TRIGGER": False,
    }


def test_every_other_table_of_the_desk_is_the_desks_to_use_but_not_to_empty(desk: Flask) -> None:
    tables = set(db.metadata.tables) - {"audit_events"}
    with desk.app_context():
        for table in tables:
            for privilege, expected in (
                ("SELECT", True),
                ("INSERT", True),
                ("UPDATE", True),
                ("DELETE", True),
                ("TRUNCATE", False),
            ):
                held = db.session.scalar(
                    text("SELECT has_table_privilege(:table, :privilege)"),
                    {"table": table, "privilege": privilege},
                )
                assert held is expected, (table, privilege)
        db.session.remove()


REFUSED = [
    "UPDATE audit_events SET kind = 'edited'",
    "DELETE FROM audit_events",
    "TRUNCATE audit_events",
    "ALTER TABLE audit_events DISABLE TRIGGER ALL",
    "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update",
    "DROP TRIGGER audit_events_no_update ON audit_events",
    f"ALTER TABLE audit_events OWNER TO {DESK}",
    "DROP TABLE audit_events",
    "CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger"
    " LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$",
    "SELECT setval('audit_events_id_seq', 1)",
    "CREATE TABLE shadow (id integer)",
    "CREATE SCHEMA shadow",
    "ALTER TABLE children DROP CONSTRAINT uq_children_contactpoint_id",
    "UPDATE alembic_version SET version_num = '0001'",
]


@pytest.mark.parametrize("statement", REFUSED)
def test_the_desk_cannot_change_the_audit_log_or_the_schema(desk: Flask, statement: str) -> None:
    with desk.app_context():
        record("test.before_tampering")
        db.session.commit()
        rows = chain.count()
        with pytest.raises(sa.exc.DBAPIError) as refused:
            db.session.execute(text(statement))
        db.session.rollback()
        assert isinstance(refused.value.orig, psycopg.errors.InsufficientPrivilege), refused.value
        assert chain.count() == rows
        db.session.remove()


def test_tables_later_migrations_make_are_granted_to_the_desk_too(desk: Flask) -> None:
    owner = sa.create_engine(url(DATABASE, OWNER))
    with owner.begin() as connection:
        connection.execute(text("CREATE TABLE later_table (id serial PRIMARY KEY, note text)"))
    try:
        with desk.app_context():
            db.session.execute(text("INSERT INTO later_table (note) VALUES ('by the desk')"))
            db.session.commit()
            assert db.session.scalar(text("SELECT count(*) FROM later_table")) == 1
            db.session.remove()
    finally:
        with owner.begin() as connection:
            connection.execute(text("DROP TABLE later_table"))
        owner.dispose()


def test_a_call_is_verified_and_queued_with_the_desks_grants_alone(desk: Flask) -> None:
    with desk.app_context():
        sam = make_practitioner().id
        db.session.remove()
    twilio = Twilio(desk.test_client(), desk.config["TWILIO_AUTH_TOKEN"])
    phone = twilio.call("+447700900123")
    phone.dial()
    phone.verify(sam, PIN, current_code())
    phone.wait(position=1)
    assert stored_call(desk, phone.sid).status is CallStatus.QUEUED


def test_the_records_commands_work_as_the_desk_without_owning_the_index(desk: Flask) -> None:
    with desk.app_context():
        assert not staging.owns_index(db.session.connection())
        db.session.remove()
    runner = desk.test_cli_runner()
    loaded = runner.invoke(args=["records", "generate", "--count", "40", "--seed", "3"])
    assert loaded.exit_code == 0, loaded.output
    assert "40 added" in loaded.output
    assert "This role does not own the index's tables" in loaded.output
    for command in ("archive", "purge"):
        done = runner.invoke(args=["records", command])
        assert done.exit_code == 0, done.output
    with desk.app_context():
        owners = sa.create_engine(url(DATABASE, OWNER))
        with owners.connect() as connection:
            assert staging.owns_index(connection)
        owners.dispose()
        db.session.remove()


def test_a_desk_role_that_is_the_owner_is_refused_and_none_is_warned_of(
    roles: None, capfd: pytest.CaptureFixture[str]
) -> None:
    name = f"{DATABASE}_ungranted"
    fresh_owned_database(name)
    config = {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url(name, OWNER)}
    same = create_app({**config, "DESK_APP_DATABASE_ROLE": OWNER})
    with same.app_context(), pytest.raises(SystemExit):
        upgrade()
    assert "the desk needs a role of its own" in capfd.readouterr().err
    ungranted = create_app(config)
    with ungranted.app_context():
        upgrade()
        assert not db.session.scalar(
            text("SELECT has_table_privilege(:role, 'audit_events', 'SELECT')"), {"role": DESK}
        )
        # Refused, the whole upgrade was rolled back; this one made every table afresh.
        assert db.session.scalar(text("SELECT to_regclass('audit_events') IS NOT NULL"))
        db.session.remove()
        db.engine.dispose()
    with same.app_context():
        db.engine.dispose()
    assert "DESK_APP_DATABASE_ROLE is not set: no grants made" in capfd.readouterr().err
