"""The SQLite demo: its audit chain holds under concurrent requests, and its file is private."""

import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade

from desk.app import create_app
from desk.core.audit import chain
from desk.core.audit.service import record
from desk.core.extensions import db
from tests.conftest import TEST_CONFIG

WRITERS = 8
APPENDS = 25


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[Flask]:
    """The desk on a fresh SQLite file, migrated, in a private instance folder of its own."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/desk.db"})
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_concurrent_requests_append_to_one_unbroken_chain_on_sqlite(sqlite_app: Flask) -> None:
    app = sqlite_app
    failures: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def append(writer: int) -> None:
        with app.app_context():
            start.wait()
            try:
                for n in range(APPENDS):
                    record("test.concurrent", call_id=writer, data={"n": n})
                    db.session.commit()
            except BaseException as error:  # reported by the test, not lost in the thread
                failures.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=append, args=(writer,)) for writer in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    with app.app_context():
        assert chain.count() == WRITERS * APPENDS
        breaks = [found for found in chain.walk() if found is not None]
        assert breaks == [], "two rows were chained to the same predecessor"
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def demo_desk(instance: Path) -> None:
    """A desk on its default database, instance/desk.db, migrated."""
    app = create_app(TEST_CONFIG, instance_path=str(instance))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance}/desk.db"
    with app.app_context():
        upgrade()
        db.engine.dispose()


def test_the_sqlite_database_and_its_folder_are_the_desks_alone(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    demo_desk(instance)
    assert mode(instance) == 0o700
    assert mode(instance / "desk.db") == 0o600


def test_a_demo_database_made_before_is_made_private_too(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    instance.chmod(0o755)
    (instance / "desk.db").touch()
    (instance / "desk.db").chmod(0o644)
    demo_desk(instance)
    assert mode(instance) == 0o700
    assert mode(instance / "desk.db") == 0o600
