"""The demo runs on SQLite: a call there is taken, its caller confirmed, the index searched and
the child's record opened, as on PostgreSQL (SQLite has no LATERAL join, so the lookup counts
the call's searches and then searches)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade

from desk.app import create_app
from desk.core.extensions import db
from desk.dev.simulator import Twilio
from tests.conftest import TEST_CONFIG
from tests.desk.conftest import Console, queued_call

pytestmark = pytest.mark.usefixtures("index")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """The desk on a fresh SQLite file, migrated: the demo's own database."""
    desk = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/desk.db"})
    with desk.app_context():
        upgrade()
    yield desk
    with desk.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_search_on_sqlite_finds_the_child_and_opens_its_record(
    sam: str, twilio: Twilio, console: Console
) -> None:
    console.take(queued_call(twilio, sam))
    console.ready_to_search()

    page = console.search(family_name="O'Neill", date_of_birth="2015-03-14")

    assert page.status_code == 200
    _, record = console.open_only_result()
    assert record.status_code == 200
    assert "O&#39;Neill" in record.text or "O'Neill" in record.text


def test_the_search_limit_holds_on_sqlite(sam: str, twilio: Twilio, console: Console) -> None:
    console.take(queued_call(twilio, sam))
    console.ready_to_search()
    limit = console.app.config["DESK_SEARCHES_PER_CALL"]

    for _ in range(limit):
        console.search(family_name="Nobody", date_of_birth="2015-03-14")
    refused = console.search(family_name="O'Neill", date_of_birth="2015-03-14")

    assert console.result_links() == []
    assert "reached its limit of searches" in refused.text
