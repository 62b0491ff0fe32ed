"""/healthz says the process is alive; /readyz says whether it can serve, and what is not ready."""

from datetime import timedelta
from typing import Any

import time_machine
from flask import Flask
from flask.testing import FlaskClient

from desk.app import create_app
from desk.core.audit import anchoring
from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.extensions import db
from desk.core.types import utcnow
from tests.conftest import TEST_CONFIG


def readiness(client: FlaskClient) -> tuple[int, dict[str, Any]]:
    response = client.get("/readyz")
    return response.status_code, response.get_json()


def test_a_ready_desk_says_so_part_by_part(client: FlaskClient) -> None:
    status, answer = readiness(client)
    assert status == 200 and answer["status"] == "ready"
    assert answer["checks"] == {
        "database": "answering",
        "audit_log": "writable",
        "rate_limits": "not counted in Redis",
        "audit_checkpoint": "not configured",
    }


def test_alive_whatever_else_is_down(database_uri: str) -> None:
    broken = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://127.0.0.1:1/none"}
    )
    client = broken.test_client()
    assert client.get("/healthz").status_code == 200
    status, answer = readiness(client)
    assert status == 503 and answer["checks"]["database"].startswith("not ready")


def test_redis_down_is_not_ready(app: Flask, database_uri: str) -> None:
    down = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "DESK_RATE_LIMIT_STORAGE": "redis://127.0.0.1:1/0",
        }
    )
    status, answer = readiness(down.test_client())
    assert status == 503
    checks = answer["checks"]
    assert "Redis" in checks["rate_limits"] and checks["database"] == "answering"


def test_an_overdue_checkpoint_is_not_ready_while_the_log_grows(
    app: Flask, client: FlaskClient, tmp_path: Any
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    app.config["DESK_AUDIT_SIGNING_KEY"] = pem.decode()
    app.config["DESK_AUDIT_WITNESS"] = f"dir:{tmp_path}"
    app.config["DESK_AUDIT_CHECKPOINT_MINUTES"] = 15
    with app.app_context():
        record(Event.RECORDS_ARCHIVED, data={"children": 0})
        db.session.commit()
    status, answer = readiness(client)
    assert status == 503 and "no checkpoint" in answer["checks"]["audit_checkpoint"]

    with app.app_context():
        anchoring.checkpoint(utcnow(), by="test")
        db.session.commit()
    assert readiness(client)[0] == 200
    # Forty minutes on, with nothing added, the log needs no new checkpoint...
    with time_machine.travel(utcnow() + timedelta(minutes=40)):
        assert readiness(client)[0] == 200
        with app.app_context():
            record(Event.RECORDS_ARCHIVED, data={"children": 0})
            db.session.commit()
        # ...but rows added since an overdue checkpoint are unprotected: not ready.
        status, answer = readiness(client)
    assert status == 503 and "overdue" in answer["checks"]["audit_checkpoint"]
