"""The dashboard: today and the last 30 days as charts drawn on the server, audited when seen."""

import re
import secrets
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from desk.core.extensions import db
from desk.review import charts
from desk.review.dashboard import typical
from ivr.models import Call, CallStatus
from tests.desk.review.conftest import Reviewer, assess, make_call
from tests.factories import make_staff
from tests.stored import audit_events

LONDON = ZoneInfo("Europe/London")


def at_today(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(datetime.now(LONDON).date(), time(hour, minute), LONDON)


@pytest.fixture
def desk_day(app: Flask, sam: str, alex: str) -> None:
    """Today: three calls taken (two at ten), one abandoned; and a call ten days ago."""
    with app.app_context():
        olive = make_staff(username="olive", name="Olive Operator").id
        otto = make_staff(username="otto", name="Otto Other").id
        make_call(sam, olive, at_today(10, 5))
        make_call(alex, otto, at_today(10, 40), purpose="other")
        make_call(sam, olive, at_today(14), wrap_up="no_match")
        make_call(sam, olive, at_today(9) - timedelta(days=10))
        db.session.add(
            Call(
                sid="CA" + secrets.token_hex(16),
                status=CallStatus.ABANDONED,
                started_at=at_today(11),
            )
        )
        db.session.commit()
    assess(app)


def chart_section(page: str, title: str) -> str:
    """One chart's figure, by its title."""
    for figure in re.findall(r"<figure.*?</figure>", page, re.S):
        if f">{title}</h2>" in figure:
            return figure
    raise AssertionError(f"no chart {title!r}")


def numbers(figure: str) -> dict[str, int]:
    """A chart's table of numbers."""
    cells = re.findall(
        r'<tr[^>]*><td[^>]*>(.*?)</td><td class="govuk-table__cell num">(\d+)</td></tr>', figure
    )
    return {label: int(value) for label, value in cells}


def test_today_at_a_glance(desk_day: None, reviewer: Reviewer) -> None:
    page = reviewer.client.get("/review/dashboard").text
    assert "Dashboard: today" in page
    tiles = dict(re.findall(r'tile-value">([^<]+)</span><span class="tile-label">([^<]+)', page))
    assert {v: k for k, v in tiles.items()}["Calls"] == "4"
    assert {v: k for k, v in tiles.items()}["Taken by an operator"] == "3"
    assert {v: k for k, v in tiles.items()}["Flagged, not signed off"] == "1"

    per_hour = chart_section(page, "Calls by hour of arrival")
    assert numbers(per_hour)["10"] == 2 and numbers(per_hour)["14"] == 1
    assert "busiest hour 10:00 with 2" in per_hour
    assert numbers(chart_section(page, "Calls taken per operator")) == {
        "Olive Operator": 2,
        "Otto Other": 1,
    }
    outcomes = numbers(chart_section(page, "Outcomes"))
    assert outcomes["Information given"] == 2 and outcomes["No match"] == 1
    assert outcomes["Hung up before an operator took it"] == 1
    assert numbers(chart_section(page, "Flags raised"))["Purpose: other"] == 1
    waits = numbers(chart_section(page, "Queue waits"))
    assert waits["1 to 2 min"] == 3  # made to order: queued at 0:41, taken at 2:00
    assert numbers(chart_section(page, "Handling times, taken to wrap-up"))["5 to 10 min"] == 3


def test_the_last_30_days_add_a_chart_a_day(desk_day: None, reviewer: Reviewer) -> None:
    page = reviewer.client.get("/review/dashboard", query_string={"period": "30-days"}).text
    assert "Dashboard: last 30 days" in page
    per_day = numbers(chart_section(page, "Calls a day"))
    assert len(per_day) == 30 and sum(per_day.values()) == 5
    ten_days_ago = (datetime.now(LONDON).date() - timedelta(days=10)).strftime("%d %b")
    assert per_day[ten_days_ago] == 1


def test_charts_are_drawn_on_the_server_with_no_script(desk_day: None, reviewer: Reviewer) -> None:
    page = reviewer.client.get("/review/dashboard").text
    # No script draws them: the one script on the page is GOV.UK Frontend's, from a file.
    assert page.count("<svg") == 6
    assert re.findall(r"<script[^>]*>", page) == ['<script type="module" src="/static/govuk.js">']
    assert 'role="img"' in page and "<title>10: 2 calls</title>" in page
    assert "http" not in "".join(re.findall(r"<svg.*?</svg>", page, re.S))


def test_each_view_of_the_dashboard_is_audited(app: Flask, reviewer: Reviewer, sue: int) -> None:
    reviewer.client.get("/review/dashboard", query_string={"period": "30-days"})
    reviewer.client.get("/review/dashboard", query_string={"period": "nonsense"})
    viewed = audit_events(app, "review.page_viewed")
    assert [(e.supervisor_id, e.data) for e in viewed] == [
        (sue, {"page": "dashboard", "period": "30-days"}),
        (sue, {"page": "dashboard", "period": "today"}),
    ]


def test_columns_are_scaled_to_a_round_top() -> None:
    chart = charts.columns("c", "Calls", "", [("a", 5), ("b", 10), ("c", 0)], height=200)
    a, b, c = chart.bars
    assert b.height == pytest.approx(2 * a.height) and c.height == 0
    assert b.y + b.height == a.y + a.height  # all stand on the axis
    assert [g.value for g in chart.gridlines] == [0, 5, 10]
    assert not chart.is_empty and charts.columns("e", "E", "", [("a", 0)]).is_empty


@pytest.mark.parametrize(
    ("largest", "top"), [(0, 1), (3, 3), (7, 10), (11, 20), (23, 25), (260, 500)]
)
def test_nice_top(largest: int, top: int) -> None:
    assert charts.nice_top(largest) == top


def test_rows_grow_from_their_labels() -> None:
    chart = charts.rows("r", "Outcomes", "", [("Information given", 8), ("No match", 2)])
    given, no_match = chart.bars
    assert given.x == no_match.x and given.width == pytest.approx(4 * no_match.width)
    assert no_match.y > given.y and chart.height > 2 * charts.ROW_HEIGHT


def test_typical_times_stay_within_the_calls_seen() -> None:
    assert typical([0, 0, 8]) == "Median 0 s; 9 in 10 within 6 s."
    assert typical([]) == "No calls."
