"""The audit log is append-only and proves itself: a changed or missing row is found and named."""

import hashlib
import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, text

from desk.app import create_app
from desk.core.audit import chain
from desk.core.audit.models import AuditEvent
from desk.core.audit.service import record
from desk.core.extensions import db
from tests.conftest import TEST_CONFIG


def write_events(count: int) -> list[int]:
    ids = [record("test.event", call_id=n, data={"n": n}).id for n in range(count)]
    db.session.commit()
    return ids


def test_events_chain_each_to_the_one_before(ctx: Flask) -> None:
    write_events(3)
    events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    assert events[0].prev_hash == chain.GENESIS
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]


def test_row_hash_is_the_one_existing_rows_were_written_with() -> None:
    # Pinned values: if the hash's definition changes, every row already stored stops verifying.
    searched = chain.row_hash(
        chain.GENESIS,
        datetime(2026, 11, 25, 9, 30, 0, 123456, tzinfo=UTC),
        "search.made",
        (7, "50000001", 3, None),
        {
            "form": "name_and_postcode",
            "criteria": {"family_name": "O'Neill", "given_names": "Zoë"},
            "match_count": 2,
            "is_too_many": False,
            "matched": ["9434765919"],
        },
    )
    purpose = chain.row_hash(
        "ab" * 32,
        datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
        "call.purpose_recorded",
        (None, None, None, 4),
        {"purpose": "safeguarding", "ratio": 0.5},
    )
    assert searched == "525b0cdfd3db58c2619907ca58541584631c37fe1bab9e486ee6f35249c1c669"
    assert purpose == "ffc52e232655833580d114adfe0d770e7580b11329f78fe6af2125f221336932"


JSONObject = dict[str, Any]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children),
    max_leaves=8,
)


@given(
    prev_hash=st.just(chain.GENESIS) | st.binary(min_size=32, max_size=32).map(bytes.hex),
    occurred_at=st.datetimes(timezones=st.just(UTC)),
    kind=st.text(max_size=64),
    subjects=st.tuples(
        st.none() | st.integers(),
        st.none() | st.text(max_size=8),
        st.none() | st.integers(),
        st.none() | st.integers(),
    ),
    data=st.dictionaries(st.text(), JSON_VALUES, max_size=5),
)
def test_the_hash_made_from_the_stored_json_is_row_hash(
    prev_hash: str, occurred_at: datetime, kind: str, subjects: chain.Subjects, data: JSONObject
) -> None:
    stored = chain.canonical_data(data)
    expected = chain.row_hash(prev_hash, occurred_at, kind, subjects, data)
    # As the audit_events_append function finishes it, given what the application sends it.
    hashed = f'["{prev_hash}",'.encode() + chain.hashed_after_prev_hash(
        occurred_at, kind, subjects, stored
    )
    assert hashlib.sha256(hashed).hexdigest() == expected
    # As verify checks it: from the canonical JSON stored, or decoded from any other layout.
    for layout in (stored, json.dumps(data), json.dumps(data, indent=1, ensure_ascii=True)):
        assert chain.stored_row_holds(expected, prev_hash, occurred_at, kind, subjects, layout)
    assert not chain.stored_row_holds(
        expected, prev_hash, occurred_at, kind + "x", subjects, stored
    )


def test_concurrent_writers_append_to_one_unbroken_chain(committed_app: Flask) -> None:
    app = committed_app
    with app.app_context():
        before = chain.count()
    failures: list[BaseException] = []

    def append(writer: int) -> None:
        with app.app_context():
            try:
                for n in range(25):
                    record("test.concurrent", call_id=writer, data={"n": n})
                    db.session.commit()
            except BaseException as error:  # reported by the test, not lost in the thread
                failures.append(error)

    threads = [threading.Thread(target=append, args=(writer,)) for writer in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    with app.app_context():
        assert chain.count() == before + 150
        prev_hashes = db.session.scalars(select(AuditEvent.prev_hash)).all()
        assert len(set(prev_hashes)) == len(prev_hashes), "two rows follow the same row"
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_the_event_recorded_is_the_row_stored_and_its_hash_holds(ctx: Flask) -> None:
    write_events(1)
    event = record(
        "search.made",
        call_id=7,
        practitioner_id="50000001",
        operator_id=3,
        data={"criteria": {"family_name": "Ó Séaghdha", "given_names": "Zoë 🌟"}, "n": 1.5},
    )
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(AuditEvent, event.id)
    assert stored is not None
    assert (stored.prev_hash, stored.hash) == (event.prev_hash, event.hash)
    subjects = (stored.call_id, stored.practitioner_id, stored.operator_id, stored.supervisor_id)
    assert stored.hash == chain.row_hash(
        stored.prev_hash, stored.occurred_at, stored.kind, subjects, stored.data
    )
    assert stored.data["criteria"]["given_names"] == "Zoë 🌟"
    # Stored as it is hashed, so verify need not decode it.
    stored_json = db.session.scalar(
        select(sa.cast(AuditEvent.data, sa.Text)).where(AuditEvent.id == event.id)
    )
    assert stored_json == chain.canonical_data(stored.data)


def test_rows_stored_before_data_was_canonical_still_verify(app: Flask, ctx: Flask) -> None:
    write_events(2)
    last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last is not None
    occurred_at, data = datetime(2026, 11, 1, 12, tzinfo=UTC), {"n": "Zoë", "a": [1, 2.5]}
    db.session.execute(
        text(
            "INSERT INTO audit_events (occurred_at, kind, data, prev_hash, hash) "
            "VALUES (:occurred_at, 'test.old', CAST(:data AS json), :prev_hash, :hash)"
        ),
        {
            "occurred_at": occurred_at,
            "data": json.dumps(data),  # as the ORM's JSON column wrote it
            "prev_hash": last.hash,
            "hash": chain.row_hash(
                last.hash, occurred_at, "test.old", (None, None, None, None), data
            ),
        },
    )
    write_events(1)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact: 4 rows" in result.output


def test_verify_passes_on_an_honest_log(app: Flask, ctx: Flask) -> None:
    write_events(5)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact: 5 rows" in result.output


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET kind = 'edited'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ],
)
def test_postgresql_refuses_to_change_the_log(ctx: Flask, statement: str) -> None:
    write_events(2)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.session.begin_nested():
        db.session.execute(text(statement))
    assert len(list(db.session.scalars(select(AuditEvent)))) == 2


def test_a_row_edited_behind_the_triggers_back_is_named(app: Flask, ctx: Flask) -> None:
    ids = write_events(4)
    db.session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update"))
    db.session.execute(
        text("UPDATE audit_events SET data = '{\"n\": 99}' WHERE id = :id"), {"id": ids[2]}
    )
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at audit row {ids[2]}" in result.output


def test_a_row_deleted_behind_the_triggers_back_is_found_at_the_next_row(
    app: Flask, ctx: Flask
) -> None:
    ids = write_events(4)
    db.session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update"))
    db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[1]})
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at audit row {ids[2]}" in result.output


def test_sqlite_refuses_to_change_the_log_too(tmp_path: Path) -> None:
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/desk.db"})
    with app.app_context():
        upgrade()
        write_events(2)
        for statement in ("UPDATE audit_events SET kind = 'edited'", "DELETE FROM audit_events"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                db.session.execute(text(statement))
            db.session.rollback()
        assert [e.kind for e in db.session.scalars(select(AuditEvent))] == ["test.event"] * 2
        db.session.remove()
        db.engine.dispose()


def test_sqlite_chains_and_verifies_the_log_too(tmp_path: Path) -> None:
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/desk.db"})
    with app.app_context():
        upgrade()
        write_events(3)
        db.session.remove()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact: 3 rows" in result.output
    with app.app_context():
        db.engine.dispose()
