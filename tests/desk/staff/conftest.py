"""Olive, an operator who can sign in, and a fixed moment to sign in at."""

from datetime import UTC, datetime

import pytest
from flask import Flask

from tests.factories import make_staff

# Ten seconds into a 30-second code step, so a test's codes all belong to one step.
START = datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)


@pytest.fixture
def olive(app: Flask) -> int:
    """Olive Operator's staff id; she signs in with the factories' password and secret."""
    with app.app_context():
        return make_staff().id
