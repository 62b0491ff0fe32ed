"""The lookup benchmark: children loaded once, every search form timed through the real service."""

import json
from typing import Any

import pytest
import sqlalchemy as sa

from bench import lookup
from bench.database import database_url
from tests.conftest import TEST_DATABASE

DATABASE = f"{TEST_DATABASE}_bench_lookup"
CHILDREN = 40
SEARCHES = 4
FORMS = {"contactpoint_number", "name_and_date_of_birth", "name_and_postcode"}


def run(capfd: pytest.CaptureFixture[str], *extra: str) -> tuple[dict[str, Any], str]:
    """The benchmark's JSON, and what it told the person running it."""
    capfd.readouterr()
    sizes = ["--children", str(CHILDREN), "--searches", str(SEARCHES)]
    lookup.main([*sizes, "--database", DATABASE, "--json", *extra])
    printed = capfd.readouterr()
    return json.loads(printed.out), printed.err


def searches_audited() -> int:
    engine = sa.create_engine(database_url(DATABASE))
    with engine.connect() as connection:
        found = connection.execute(
            sa.text("SELECT count(*) FROM audit_events WHERE kind = 'search.made'")
        ).scalar_one()
    engine.dispose()
    return int(found)


def test_children_are_loaded_once_and_each_form_is_timed_through_the_service(
    capfd: pytest.CaptureFixture[str],
) -> None:
    first, told = run(capfd, "--fresh")
    assert f"Loading {CHILDREN:,} children" in told
    assert set(first["forms"]) == FORMS
    for form, found in first["forms"].items():
        assert found["searches"] == SEARCHES, form
        # The whole lookup sends more than the search, and commits; its own SQL is replayed.
        assert found["lookup"]["p50_ms"] > found["sql"]["p50_ms"] > 0, form
        assert found["own_sql"]["p50_ms"] > found["sql"]["p50_ms"], form
        # Two round trips: the count and the search; the audit row, the search and its matches.
        assert found["statements"] == 2, form
        assert found["plan"], form
    # A ContactPoint number drawn from the index always finds its child, and only it.
    assert first["forms"]["contactpoint_number"]["listed_percent"] == 100
    audited = searches_audited()
    # Every lookup, timed or made while warming up, went through search_index; each was
    # replayed through the driver while warming up and again when timed.
    assert audited == 2 * SEARCHES * len(FORMS) + 2 * SEARCHES * len(FORMS)

    again, told = run(capfd)
    assert f"holds {CHILDREN:,} children already: reusing them" in told
    assert "Loading" not in told
    assert again["children"] == CHILDREN
    assert searches_audited() == 2 * audited
