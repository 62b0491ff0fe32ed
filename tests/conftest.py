"""Test fixtures: a PostgreSQL database migrated once, and each test rolled back."""

import os
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session
from sqlalchemy.engine import make_url

from desk.app import create_app
from desk.core.extensions import db
from desk.dev.simulator import Twilio
from ivr.telephony import LocalTelephony, telephony
from tests.factories import make_practitioner

# The server CI and developers have; the tests make and own a database of their own on it.
ADMIN_URL = os.environ.get("DESK_TEST_DATABASE_URL", "postgresql+psycopg://127.0.0.1:5432/test")
# Separate names let several checkouts test on one server at once.
TEST_DATABASE = os.environ.get("DESK_TEST_DATABASE", "desk_test")

TEST_CONFIG = {
    "TESTING": True,
    "DESK_ENV": "production",
    "SECRET_KEY": "test-secret-key",
    "DESK_TOTP_KEY": Fernet.generate_key().decode(),
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "test-auth-token",
    "DESK_TELEPHONY": "local",
    # The test client's own address, as Twilio would be given the desk's; no proxy in front.
    "DESK_PUBLIC_URL": "http://localhost",
    "DESK_PROXY_HOPS": 0,
    # Every test signs in from 127.0.0.1; tests/desk/web/test_rate_limits.py turns the limits on.
    "RATELIMIT_ENABLED": False,
    # Cheap hashes keep the suite fast; production costs are set in config.py.
    "DESK_ARGON2_TIME_COST": 1,
    "DESK_ARGON2_MEMORY_KIB": 1024,
    "DESK_ARGON2_PARALLELISM": 1,
}


class BoundSession(Session):
    """Flask-SQLAlchemy's session, but held to the test's connection when given one."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        return self.bind or super().get_bind(*args, **kwargs)


def fresh_database(name: str, server_url: str = ADMIN_URL) -> Flask:
    """The desk on a new, empty database of this name, migrated to head, on the server."""
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    uri = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="session")
def database_uri() -> str:
    """A fresh database, migrated to head, for the whole run."""
    app = fresh_database(TEST_DATABASE)
    with app.app_context():
        db.engine.dispose()
    return str(app.config["SQLALCHEMY_DATABASE_URI"])


@pytest.fixture(scope="session")
def committed_app() -> Iterator[Flask]:
    """The desk on a database of its own whose data is really committed, for tests that need
    other threads or a server to see it (races, the browser). Tests using it make unique data.
    """
    app = fresh_database(f"{TEST_DATABASE}_committed")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def base_app(database_uri: str) -> Flask:
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_uri})


@pytest.fixture
def app(base_app: Flask) -> Iterator[Flask]:
    """The app, with every session of this test inside one transaction that is rolled back."""
    with base_app.app_context():
        connection = db.engine.connect()
    transaction = connection.begin()
    original = db.session
    db.session = db._make_scoped_session(
        {"bind": connection, "class_": BoundSession, "join_transaction_mode": "create_savepoint"}
    )
    saved_config = dict(base_app.config)
    try:
        yield base_app
    finally:
        with base_app.app_context():
            db.session.remove()
        db.session = original
        base_app.config.clear()
        base_app.config.update(saved_config)
        transaction.rollback()
        connection.close()


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """An application context, for calling services and reading the database directly."""
    with app.app_context():
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client; don't hold `ctx` open while using it, or requests share its session."""
    return app.test_client()


@pytest.fixture
def sam(app: Flask) -> str:
    """Sam Field, an active practitioner, registered to call from tests.factories.PHONE."""
    with app.app_context():
        return make_practitioner().id


@pytest.fixture
def twilio(client: FlaskClient, app: Flask) -> Twilio:
    """Twilio's side of calls to the desk, signing with the desk's auth token."""
    return Twilio(client, app.config["TWILIO_AUTH_TOKEN"])


@pytest.fixture
def phones(app: Flask) -> Iterator[LocalTelephony]:
    """The local telephony adapter, fresh for this test, to see what the desk asked of it."""
    app.extensions.pop("desk.telephony", None)
    with app.app_context():
        adapter = telephony()
    assert isinstance(adapter, LocalTelephony)
    yield adapter
    app.extensions.pop("desk.telephony", None)
