"""Signed checkpoints catch what the hash chain cannot: its newest rows removed, or it rewritten.

The insider here owns the audit table: they turn its triggers off, change rows, and re-hash the
chain with desk.core.audit.chain, as anyone with the table's owner role could. The log is
really committed, on a database of this module's own, which is dropped afterwards.
"""

# The desk writes a range of rows with an en dash, as people do; so do these tests.
# ruff: noqa: RUF001

import base64
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select, text

from desk.app import create_app
from desk.core import config
from desk.core.audit import anchoring, chain, checkpoints, merkle
from desk.core.audit.events import Event
from desk.core.audit.models import AuditEvent
from desk.core.audit.service import record
from desk.core.audit.witnesses import DirectoryWitness, WitnessError
from desk.core.extensions import db
from tests.conftest import ADMIN_URL, TEST_CONFIG, TEST_DATABASE, fresh_database

DATABASE = f"{TEST_DATABASE}_checkpoints"
KEY = checkpoints.new_signing_key()
EVENING = datetime(2026, 12, 1, 21, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def log_app() -> Iterator[Flask]:
    app = fresh_database(DATABASE)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def desk(log_app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """The desk on an empty, committed log, signing with KEY into a witness directory."""
    with insider(log_app):
        db.session.execute(text("TRUNCATE audit_events RESTART IDENTITY"))
    saved = dict(log_app.config)
    log_app.config["DESK_AUDIT_SIGNING_KEY"] = KEY
    log_app.config["DESK_AUDIT_WITNESS"] = f"dir:{tmp_path / 'witness'}"
    yield log_app
    log_app.config.clear()
    log_app.config.update(saved)


@contextmanager
def insider(app: Flask) -> Iterator[None]:
    """As the table's owner could: the triggers off, the change committed, the triggers on."""
    with app.app_context():
        db.session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER ALL"))
        yield
        db.session.execute(text("ALTER TABLE audit_events ENABLE TRIGGER ALL"))
        db.session.commit()


@contextmanager
def chain_alone(app: Flask) -> Iterator[None]:
    """Verify as the desk did before checkpoints: no witness, no key."""
    saved = {name: app.config[name] for name in ("DESK_AUDIT_SIGNING_KEY", "DESK_AUDIT_WITNESS")}
    app.config.update(DESK_AUDIT_SIGNING_KEY=None, DESK_AUDIT_WITNESS=None)
    yield
    app.config.update(saved)


def write_events(app: Flask, count: int, kind: str = "test.event") -> None:
    with app.app_context():
        for n in range(count):
            record(kind, call_id=n, data={"n": n})
        db.session.commit()


def flask(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=list(args))


def checkpoint_at(app: Flask, when: datetime) -> anchoring.Signed:
    with app.app_context():
        made = anchoring.checkpoint(when, by="test")
        db.session.commit()
    return made


def rehash_from(first_id: int) -> None:
    """Re-chain every row from first_id on, so the chain holds again (inside `insider`)."""
    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    prev_hash = chain.GENESIS
    for row in rows:
        if row.id >= first_id:
            subjects = (row.call_id, row.practitioner_id, row.operator_id, row.supervisor_id)
            row.prev_hash = prev_hash
            row.hash = chain.row_hash(prev_hash, row.occurred_at, row.kind, subjects, row.data)
            db.session.flush()
        prev_hash = row.hash


def test_the_newest_rows_removed_pass_the_chain_but_not_the_checkpoint(desk: Flask) -> None:
    write_events(desk, 10)
    checkpoint_at(desk, EVENING)
    with insider(desk):
        db.session.execute(text("DELETE FROM audit_events WHERE id > 7"))

    # The finding: a shortened chain is still a valid chain.
    with chain_alone(desk):
        result = flask(desk, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert "Audit log intact: 7 rows" in result.output

    result = flask(desk, "audit", "verify")
    assert result.exit_code == 1, result.output
    assert "the log has 7 rows but a checkpoint signed 10" in result.output
    assert "rows have been removed" in result.output
    assert "intact" not in result.output


def test_a_history_rewritten_and_chained_afresh_does_not_match_the_checkpoint(
    desk: Flask,
) -> None:
    write_events(desk, 6)
    write_events(desk, 1, kind="search.made")  # the lookup the insider wants gone
    write_events(desk, 3)
    checkpoint_at(desk, EVENING)
    with insider(desk):
        # Every row out, then the same history without the lookup, chained from the start
        # and padded to the length the checkpoint saw.
        kept = [
            (row.occurred_at, row.kind, row.call_id, row.data)
            for row in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
            if row.kind != "search.made"
        ]
        db.session.execute(text("DELETE FROM audit_events"))
        prev_hash = chain.GENESIS
        for occurred_at, kind, call_id, data in [*kept, kept[-1], kept[-1]]:
            row_hash = chain.row_hash(
                prev_hash, occurred_at, kind, (call_id, None, None, None), data
            )
            db.session.add(
                AuditEvent(
                    occurred_at=occurred_at,
                    kind=kind,
                    call_id=call_id,
                    data=data,
                    prev_hash=prev_hash,
                    hash=row_hash,
                )
            )
            db.session.flush()
            prev_hash = row_hash

    with chain_alone(desk):
        assert flask(desk, "audit", "verify").exit_code == 0

    result = flask(desk, "audit", "verify")
    assert result.exit_code == 1, result.output
    assert "rows 1–10 do not match the checkpoint of 2026-12-01 21:00 UTC" in result.output
    assert "the log has been rewritten" in result.output


def test_a_row_edited_and_every_row_after_it_rehashed_is_found(desk: Flask) -> None:
    write_events(desk, 5)
    checkpoint_at(desk, EVENING)
    write_events(desk, 5)
    checkpoint_at(desk, EVENING + timedelta(hours=1))
    with insider(desk):
        db.session.execute(text("UPDATE audit_events SET data = '{\"n\": 99}' WHERE id = 8"))
        rehash_from(8)

    with chain_alone(desk):
        result = flask(desk, "audit", "verify")
    assert result.exit_code == 0, result.output

    result = flask(desk, "audit", "verify")
    assert result.exit_code == 1, result.output
    assert "rows 1–11 do not match the checkpoint of 2026-12-01 22:00 UTC" in result.output
    # The earlier checkpoint still holds, which says where the change lies.
    assert "Rows 1–5 still match the checkpoint of 2026-12-01 21:00 UTC" in result.output
    assert "what changed lies after row 5" in result.output


def test_an_untouched_log_passes_and_says_which_rows_are_covered(desk: Flask) -> None:
    write_events(desk, 4)
    checkpoint_at(desk, EVENING - timedelta(hours=1))
    write_events(desk, 4)
    made = checkpoint_at(desk, EVENING)
    write_events(desk, 2)

    result = flask(desk, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert "Audit log intact: 12 rows, hash chain unbroken, 2 checkpoints hold." in result.output
    assert (
        "Rows 1–9 are covered by the checkpoint of 2026-12-01 21:00 UTC (signature valid, "
        f"key {made.checkpoint.key_id.hex()}, {made.where}); "
        "rows 10–12 are newer than any checkpoint."
    ) in result.output.replace("\n", " ")


@pytest.mark.parametrize("forgery", ["altered", "another key"])
def test_a_checkpoint_not_signed_by_the_desk_fails_verify(desk: Flask, forgery: str) -> None:
    write_events(desk, 3)
    made = checkpoint_at(desk, EVENING)
    path = Path(made.where)
    note = path.read_text()
    if forgery == "altered":
        # The insider's own head, under the desk's signature.
        with desk.app_context():
            root = base64.b64encode(anchoring.heads({2}, anchoring.leaves(2))[2].root).decode()
        forged = note.replace("\n3\n", "\n2\n").replace(
            base64.b64encode(made.checkpoint.root).decode(), root
        )
        expected = "its signature does not verify"
    else:
        forged = checkpoints.sign(made.checkpoint, Ed25519PrivateKey.generate())
        expected = "it carries no signature by the desk's key"
    path.chmod(0o644)
    path.write_text(forged)

    result = flask(desk, "audit", "verify")
    assert result.exit_code == 1, result.output
    assert f"{path} is not a checkpoint this desk signed: {expected}" in result.output


def test_verify_needs_only_the_public_key(desk: Flask) -> None:
    write_events(desk, 3)
    checkpoint_at(desk, EVENING)
    public = (
        checkpoints.signing_key(KEY)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    desk.config.update(DESK_AUDIT_SIGNING_KEY=None, DESK_AUDIT_VERIFY_KEY=public)
    result = flask(desk, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert "Rows 1–3 are covered" in result.output
    assert flask(desk, "audit", "checkpoint").exit_code == 1


def test_verify_can_check_only_the_newest_checkpoints(desk: Flask) -> None:
    write_events(desk, 2)
    first = checkpoint_at(desk, EVENING)
    write_events(desk, 2)
    checkpoint_at(desk, EVENING + timedelta(hours=1))
    Path(first.where).chmod(0o644)
    Path(first.where).write_text("not a checkpoint")
    assert flask(desk, "audit", "verify").exit_code == 1
    result = flask(desk, "audit", "verify", "--newest", "1")
    assert result.exit_code == 0, result.output
    assert "1 checkpoint holds." in result.output


def test_the_checkpoint_command_signs_publishes_and_audits_it(desk: Flask) -> None:
    write_events(desk, 3)
    result = flask(desk, "audit", "checkpoint")
    assert result.exit_code == 0, result.output
    assert "Checkpoint of rows 1–3 signed" in result.output
    with desk.app_context():
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event is not None
        assert event.kind == Event.AUDIT_CHECKPOINTED
        expected_root = merkle.root(bytes.fromhex(h) for h in chain_hashes()[:3])
        assert event.data["size"] == 3
        assert event.data["root"] == base64.b64encode(expected_root).decode()
        assert event.data["by"].startswith("command line (")
        assert "PRIVATE" not in str(event.data) and KEY not in str(event.data)
    [kept] = list((Path(desk.config["DESK_AUDIT_WITNESS"].removeprefix("dir:"))).iterdir())
    assert kept.name.startswith("checkpoint-3-") and kept.name.endswith("Z.txt")
    assert kept.stat().st_mode & 0o222 == 0  # read-only from the start
    assert kept.read_text().startswith(f"{checkpoints.ORIGIN}\n3\n")
    assert "\n\n\u2014 mediated-access-desk/audit-log " in kept.read_text()


def chain_hashes() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.hash).order_by(AuditEvent.id)))


def test_no_checkpoint_is_signed_over_a_log_that_no_longer_matches_the_last(desk: Flask) -> None:
    write_events(desk, 4)
    checkpoint_at(desk, EVENING)
    with insider(desk):
        db.session.execute(text("UPDATE audit_events SET data = '{\"n\": 7}' WHERE id = 2"))
        rehash_from(2)
    result = flask(desk, "audit", "checkpoint")
    assert result.exit_code == 1, result.output
    assert "the log has been rewritten; nothing was signed" in result.output
    assert len(DirectoryWitness(Path(desk.config["DESK_AUDIT_WITNESS"][4:])).recent()) == 1


def test_checkpoint_without_a_key_or_witness_says_what_is_missing(desk: Flask) -> None:
    write_events(desk, 1)
    with chain_alone(desk):
        result = flask(desk, "audit", "checkpoint")
        assert result.exit_code == 1
        assert "checkpoints need DESK_AUDIT_SIGNING_KEY and DESK_AUDIT_WITNESS" in result.output
        verified = flask(desk, "audit", "verify")
        assert verified.exit_code == 0
        assert "Not checked against any checkpoint" in verified.output


def test_a_checkpoint_falls_due_at_the_interval_once_rows_are_added(desk: Flask) -> None:
    with desk.app_context():
        assert not anchoring.checkpoint_due(EVENING)  # nothing to sign
    write_events(desk, 2)
    with desk.app_context():
        assert anchoring.checkpoint_due(EVENING)  # rows, and no checkpoint yet
        assert anchoring.checkpoint_if_due(EVENING, by="scheduled job") is not None
        db.session.commit()
    interval = timedelta(minutes=desk.config["DESK_AUDIT_CHECKPOINT_MINUTES"])
    with desk.app_context():
        # The checkpoint's own audit row is new, but the interval has not passed.
        assert not anchoring.checkpoint_due(EVENING + interval - timedelta(seconds=1))
        assert anchoring.checkpoint_if_due(EVENING + interval / 2, by="scheduled job") is None
        assert anchoring.checkpoint_due(EVENING + interval)
        anchoring.checkpoint(EVENING + interval, by="scheduled job")
        db.session.commit()
    with desk.app_context():
        # Only the second checkpoint's own row since: not worth a checkpoint of its own yet.
        assert not anchoring.checkpoint_due(EVENING + interval * 2 - timedelta(seconds=1))
        assert anchoring.checkpoint_due(EVENING + interval * 2)


def test_an_inclusion_proof_from_the_log_verifies_against_a_signed_head(desk: Flask) -> None:
    write_events(desk, 13)
    made = checkpoint_at(desk, EVENING).checkpoint
    with desk.app_context():
        hashes = chain_hashes()
        for index in (0, 6, 12):
            proof = merkle.inclusion_proof(
                index, made.size, (data for _, data in anchoring.leaves(made.size))
            )
            leaf = merkle.leaf_hash(bytes.fromhex(hashes[index]))
            assert merkle.verify_inclusion(index, made.size, leaf, proof, made.root)
        write_events(desk, 4)
        longer = anchoring.heads({17}, anchoring.leaves(17))[17].root
        proof = merkle.consistency_proof(13, 17, (data for _, data in anchoring.leaves(17)))
        assert merkle.verify_consistency(13, 17, made.root, longer, proof)


class Witness(BaseHTTPRequestHandler):
    """A witness on 127.0.0.1 that keeps what is posted, or, if `forgetful`, answers and not."""

    kept: list[bytes]
    forgetful = False

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if not self.forgetful:
            self.kept.append(body)
        self.send_response(201)
        self.end_headers()

    def do_GET(self) -> None:
        if not self.kept:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.kept[-1])

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def http_witness(forgetful: bool = False) -> Iterator[tuple[str, list[bytes]]]:
    kept: list[bytes] = []
    handler = type("Handler", (Witness,), {"kept": kept, "forgetful": forgetful})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/checkpoints", kept
    finally:
        server.shutdown()
        server.server_close()


def test_an_http_witness_is_posted_the_checkpoint_and_verify_reads_it_back(desk: Flask) -> None:
    write_events(desk, 3)
    with http_witness() as (url, kept):
        desk.config["DESK_AUDIT_WITNESS"] = url
        assert flask(desk, "audit", "verify").output.count("No checkpoint yet") == 1
        result = flask(desk, "audit", "checkpoint")
        assert result.exit_code == 0, result.output
        assert len(kept) == 1 and kept[0].startswith(b"mediated-access-desk/audit-log\n3\n")
        result = flask(desk, "audit", "verify")
        assert result.exit_code == 0, result.output
        assert "Rows 1–3 are covered by the checkpoint of" in result.output
        with insider(desk):
            db.session.execute(text("DELETE FROM audit_events WHERE id > 2"))
        result = flask(desk, "audit", "verify")
        assert result.exit_code == 1
        assert "the log has 2 rows but a checkpoint signed 3" in result.output


def test_a_witness_that_does_not_keep_the_checkpoint_is_noticed(desk: Flask) -> None:
    write_events(desk, 2)
    with http_witness(forgetful=True) as (url, _):
        desk.config["DESK_AUDIT_WITNESS"] = url
        result = flask(desk, "audit", "checkpoint")
    assert result.exit_code == 1
    assert "does not hand the checkpoint back" in result.output
    with desk.app_context():
        assert chain.count() == 2  # nothing audited as published


def test_an_unreachable_witness_fails_verify_plainly(desk: Flask) -> None:
    with http_witness() as (url, _):
        pass  # closed again: nothing listens there now
    desk.config["DESK_AUDIT_WITNESS"] = url
    result = flask(desk, "audit", "verify")
    assert result.exit_code == 1
    assert f"CHECKPOINTS NOT READ: the witness at {url} could not be reached" in result.output


def test_a_witness_directory_never_overwrites_a_checkpoint(tmp_path: Path) -> None:
    witness = DirectoryWitness(tmp_path)
    made = checkpoints.Checkpoint(3, b"\x01" * 32, EVENING)
    note = checkpoints.sign(made, checkpoints.signing_key(KEY))
    where = witness.publish(made, note)
    assert witness.publish(made, note) == where  # the very same note: kept once
    with pytest.raises(WitnessError, match="holds another checkpoint"):
        witness.publish(made, checkpoints.sign(made, Ed25519PrivateKey.generate()))
    assert Path(where).read_text() == note


def test_checkpoint_notes_round_trip_and_name_the_signer() -> None:
    key = checkpoints.signing_key(KEY)
    made = checkpoints.Checkpoint(12345, bytes(range(32)), EVENING)
    note = checkpoints.sign(made, key)
    body, signature = note.split("\n\n")
    assert body == (
        "mediated-access-desk/audit-log\n12345\n"
        f"{base64.b64encode(bytes(range(32))).decode()}\ntime 2026-12-01T21:00:00Z"
    )
    opened = checkpoints.open_note(note, key.public_key())
    assert (opened.size, opened.root, opened.signed_at) == (12345, made.root, EVENING)
    assert opened.key_id == checkpoints.key_id(key.public_key())
    assert base64.b64decode(signature.split(" ")[2])[:4] == opened.key_id
    # A witness's cosignature beside the desk's is no harm.
    cosigned = note + f"\u2014 witness.example {base64.b64encode(b'x' * 68).decode()}\n"
    assert checkpoints.open_note(cosigned, key.public_key()) == opened


def test_development_desks_make_a_signing_key_and_a_witness_directory(tmp_path: Path) -> None:
    loaded = config.load(str(tmp_path), {"DESK_ENV": "development"})
    assert checkpoints.signing_key(loaded["DESK_AUDIT_SIGNING_KEY"])
    assert loaded["DESK_AUDIT_WITNESS"] == f"dir:{tmp_path / 'checkpoints'}"
    again = config.load(str(tmp_path), {"DESK_ENV": "development"})
    assert again["DESK_AUDIT_SIGNING_KEY"] == loaded["DESK_AUDIT_SIGNING_KEY"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"DESK_AUDIT_SIGNING_KEY": "/nowhere/key.pem"}, "must be Ed25519 keys in PEM"),
        ({"DESK_AUDIT_VERIFY_KEY": "-----BEGIN PUBLIC KEY-----\nnope"}, "must be Ed25519 keys"),
        (
            {
                "DESK_AUDIT_SIGNING_KEY": KEY,
                "DESK_AUDIT_VERIFY_KEY": checkpoints.new_signing_key(),
            },
            "is not the public half of DESK_AUDIT_SIGNING_KEY",
        ),
        ({"DESK_AUDIT_WITNESS": "/srv/checkpoints"}, "is `dir:/path` or `https://"),
    ],
)
def test_unreadable_audit_keys_or_witness_stop_the_desk_starting(
    settings: dict[str, str], message: str
) -> None:
    with pytest.raises(RuntimeError, match=message):
        create_app({**TEST_CONFIG, **settings})


def test_a_signing_key_may_be_a_file(tmp_path: Path) -> None:
    (tmp_path / "audit.pem").write_text(KEY)
    key = checkpoints.signing_key(str(tmp_path / "audit.pem"))
    assert checkpoints.key_id(key.public_key()) == checkpoints.key_id(
        checkpoints.signing_key(KEY).public_key()
    )


def test_sqlite_desks_checkpoint_and_verify_too(tmp_path: Path) -> None:
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/desk.db",
            "DESK_AUDIT_SIGNING_KEY": KEY,
            "DESK_AUDIT_WITNESS": f"dir:{tmp_path / 'witness'}",
        }
    )
    with app.app_context():
        upgrade()
    write_events(app, 3)
    assert flask(app, "audit", "checkpoint").exit_code == 0
    result = flask(app, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert "Rows 1–3 are covered" in result.output
    with app.app_context():
        db.engine.dispose()
