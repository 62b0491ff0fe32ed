"""Load: the desk under gunicorn on PostgreSQL, many calls at once and operators taking them.

N callers dial together through the real signed webhooks; M operators sign in with password
and TOTP and take, handle and wrap up calls through the console's own pages, concurrently
(tests/load/together.py). Afterwards the database must account for every call, once each,
with every search audited. tests/topology runs the same through nginx and two servers.

The default is short enough for every `pytest`; the full size is
`DESK_LOAD_CALLS=200 DESK_LOAD_OPERATORS=10 pytest tests/load`.
"""

import os
from collections.abc import Iterator

import pytest
from flask import Flask

from desk.core.extensions import db
from tests.conftest import TEST_DATABASE, fresh_database
from tests.load.people import Seeded, seed
from tests.load.server import gunicorn
from tests.load.together import arriving_together

CALLS = int(os.environ.get("DESK_LOAD_CALLS", "20"))
OPERATORS = int(os.environ.get("DESK_LOAD_OPERATORS", "3"))
WORKERS = int(os.environ.get("DESK_LOAD_WORKERS", "4"))
# Every loop stops by this, however the desk behaves.
DEADLINE_SECONDS = float(os.environ.get("DESK_LOAD_SECONDS", str(max(90, CALLS * 2))))


@pytest.fixture(scope="module")
def load_app() -> Iterator[tuple[Flask, Seeded]]:
    """A database of its own: CALLS practitioners and OPERATORS operators, each with a token
    of their own (a code is accepted once per token), and the small children's index."""
    app = fresh_database(f"{TEST_DATABASE}_load")
    seeded = seed(app, practitioners=CALLS, operators=OPERATORS)
    yield app, seeded
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def desk_url(load_app: tuple[Flask, Seeded]) -> Iterator[str]:
    """The desk under gunicorn on 127.0.0.1, on the load database; stopped afterwards."""
    _, seeded = load_app
    with gunicorn(seeded.uri, WORKERS) as url:
        yield url


def test_calls_arriving_together_are_each_taken_once_and_audited(
    load_app: tuple[Flask, Seeded], desk_url: str
) -> None:
    app, seeded = load_app
    arriving_together(app, seeded, desk_url, CALLS, OPERATORS, DEADLINE_SECONDS)
