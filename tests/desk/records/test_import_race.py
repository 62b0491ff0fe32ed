"""Two imports of the same file at the same moment, on separate connections, into an empty index."""

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import func, select

from desk.core.extensions import db
from desk.records import first_load, importer
from desk.records.models import Child, ChildName
from tests.conftest import TEST_DATABASE, fresh_database
from tests.desk.records.factories import child_line
from tests.races import together

# How long a first load waits, before dropping the index's indexes, for a second to join it.
JOINED_WITHIN_SECONDS = 2


@pytest.fixture
def empty_index() -> Iterator[Flask]:
    """The desk on a database of its own with nobody in the index, its imports really committed."""
    app = fresh_database(f"{TEST_DATABASE}_import_race")
    yield app
    with app.app_context():
        db.engine.dispose()


def test_of_two_imports_into_an_empty_index_one_loads_it_and_the_other_updates_it(
    empty_index: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "children.jsonl"
    file.write_text("".join(json.dumps(child_line()) + "\n" for _ in range(50)), encoding="utf-8")
    # The race made certain: a first load waits for another to have found the index empty too
    # before it drops the indexes. Two first loads would each add the same children, and the
    # second would fail as it rebuilt the unique indexes; the second import must instead wait
    # for the first to commit, and then update what it loaded.
    both_found_it_empty = threading.Barrier(2, timeout=JOINED_WITHIN_SECONDS)
    drop_indexes = first_load.drop_indexes

    def drop_once_joined(connection: sa.Connection) -> first_load.Definitions:
        with contextlib.suppress(threading.BrokenBarrierError):
            both_found_it_empty.wait()
        return drop_indexes(connection)

    monkeypatch.setattr(first_load, "drop_indexes", drop_once_joined)

    # Through the importer, not the command: click's runner swaps sys.stdout for the process,
    # so two at once would each capture the other's output.
    def run(_: int, go: Callable[[], None]) -> tuple[int, int]:
        with empty_index.app_context():
            go()
            summary = importer.import_file(file, by="test")
            assert not summary.errors, summary.errors
            db.session.commit()
            return summary.added, summary.updated

    assert sorted(together(2, run), key=str) == [(0, 50), (50, 0)]
    with empty_index.app_context():
        assert db.session.scalar(select(func.count()).select_from(Child)) == 50
        assert db.session.scalar(select(func.count()).select_from(ChildName)) == 100
