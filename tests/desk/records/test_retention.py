"""Archived at 18, purged six years later: by `flask records archive` and `records purge`,
each run audited, and each safe to run again the next day."""

from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from desk.console import purging
from desk.console.models import BrokeredRequest, Match
from desk.core.extensions import db
from desk.core.types import utcnow
from desk.dev.simulator import Twilio
from desk.records import retention
from desk.records.models import Child, ChildName, Contact, today_in_england
from tests.desk.conftest import Console, contactpoint_id, queued_call
from tests.desk.records.factories import make_child
from tests.pages import submit
from tests.stored import audit_data


def years_ago(years: int, days: int = 0) -> str:
    today = today_in_england()
    return (today.replace(year=today.year - years) - timedelta(days=days)).isoformat()


@pytest.fixture
def ages(app: Flask) -> dict[str, str]:
    """Children either side of 18 and of 24; their ContactPoint numbers."""
    with app.app_context():
        made = {
            "seventeen": make_child(date_of_birth=years_ago(18, days=-1)),
            "eighteen_today": make_child(date_of_birth=years_ago(18)),
            "twenty_three": make_child(date_of_birth=years_ago(24, days=-1)),
            "twenty_four_today": make_child(date_of_birth=years_ago(24)),
            "thirty": make_child(date_of_birth=years_ago(30)),
        }
        numbers = {name: child.contactpoint_id for name, child in made.items()}
        db.session.commit()
    return numbers


def archived(app: Flask) -> set[str]:
    with app.app_context():
        return set(
            db.session.scalars(select(Child.contactpoint_id).where(Child.archived_at.is_not(None)))
        )


def remaining(app: Flask) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Child.contactpoint_id)))


def test_archive_takes_children_on_their_18th_birthday_and_is_audited_each_run(
    app: Flask, ages: dict[str, str]
) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["records", "archive"])
    assert first.exit_code == 0, first.output
    assert "Archived 4 children who have turned 18." in first.output
    assert archived(app) == {ages[n] for n in ages if n != "seventeen"}

    again = runner.invoke(args=["records", "archive"])
    assert "Archived 0 children" in again.output
    runs = audit_data(app, "records.archived")
    assert [run["children"] for run in runs] == [4, 0]
    assert runs[0]["born_on_or_before"] == years_ago(18)
    assert runs[0]["by"].startswith("command line")


def test_purge_removes_children_six_years_after_18_and_is_audited_each_run(
    app: Flask, ages: dict[str, str]
) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["records", "purge"])
    assert first.exit_code == 0, first.output
    assert "Purged 2 children six years past their 18th birthday." in first.output
    assert remaining(app) == {ages["seventeen"], ages["eighteen_today"], ages["twenty_three"]}
    with app.app_context():
        kept = set(db.session.scalars(select(Child.id)))
        for table in (ChildName, Contact):
            orphans = select(func.count()).select_from(table).where(table.child_id.not_in(kept))
            assert db.session.scalar(orphans) == 0

    again = runner.invoke(args=["records", "purge"])
    assert "Purged 0 children" in again.output
    assert [run["children"] for run in audit_data(app, "records.purged")] == [2, 0]


def test_the_purge_boundary_on_29_february(app: Flask) -> None:
    assert retention.purge_birth_date(date(2028, 2, 29)) == date(2004, 2, 29)
    assert retention.purge_birth_date(date(2029, 2, 28)) == date(2005, 2, 28)
    assert retention.purge_birth_date(date(2030, 2, 28)) == date(2006, 2, 28)


@pytest.mark.usefixtures("index")
def test_a_purged_child_leaves_past_calls_countable_and_anonymous(
    app: Flask, sam: str, twilio: Twilio, console: Console
) -> None:
    console.take(queued_call(twilio, sam))
    console.ready_to_search()
    console.search(family_name="Brennan", date_of_birth="2016-06-01")
    noah, _ = console.open_only_result()
    submit(console.client, noah, {"reason": "Noah's new social worker"}, f"{noah}/brokered")
    console.wrap_up("brokered_contact")
    number = contactpoint_id(app, "noah")

    with app.app_context():
        # Time passes: Noah is 25.
        db.session.execute(
            update(Child)
            .where(Child.contactpoint_id == number)
            .values(date_of_birth=date.fromisoformat(years_ago(25)))
        )
        assert retention.purge(today_in_england(), by="tests") == 1
        db.session.commit()
        assert db.session.scalar(select(Child).where(Child.contactpoint_id == number)) is None
        [match] = db.session.scalars(select(Match))
        assert match.child_id is None and match.opened_at is not None
        [brokered] = db.session.scalars(select(BrokeredRequest))
        assert brokered.reason == purging.PURGED_REASON
    # The audit log, append-only, still says which record was opened: subject access needs it.
    assert audit_data(app, "record.opened")[0]["contactpoint_id"] == number


def test_archiving_stamps_the_time_it_ran(app: Flask, ages: dict[str, str]) -> None:
    with app.app_context():
        before = utcnow()
        retention.archive(today_in_england(), before, by="tests")
        stamped = db.session.scalar(
            select(Child.archived_at).where(Child.contactpoint_id == ages["eighteen_today"])
        )
        assert stamped == before
