"""`flask audit subject`: for a child, who found or opened their record, how, when and why."""

import re

import pytest
from flask import Flask

from desk.dev.simulator import Twilio
from tests.desk.conftest import ALEX_SECRET, Console, contactpoint_id, queued_call
from tests.factories import PHONE, SECRET
from tests.stored import audit_data

pytestmark = pytest.mark.usefixtures("index")
ALEX_PHONE = "+447700900777"


def looked_up(
    twilio: Twilio, console: Console, practitioner: str, secret: str, caller: str, **how: str
) -> None:
    console.take(queued_call(twilio, practitioner, caller=caller, secret=secret))
    console.post("identity", {"is_confirmed": "y"})
    console.post("purpose", {"purpose": "safeguarding"})
    console.search(**how)


def test_it_answers_for_a_child_looked_up_in_a_call(
    app: Flask, twilio: Twilio, console: Console, alex: str, sam: str
) -> None:
    looked_up(
        twilio,
        console,
        alex,
        ALEX_SECRET,
        ALEX_PHONE,
        family_name="O'Neill",
        date_of_birth="2015-03-14",
    )
    amelia, _ = console.open_only_result()
    console.read_back(amelia, "child.address")
    console.wrap_up()
    looked_up(
        twilio, console, sam, SECRET, PHONE, family_name="Brennan", date_of_birth="2016-06-01"
    )
    console.wrap_up("no_match")

    number = contactpoint_id(app, "amelia")
    result = app.test_cli_runner().invoke(args=["audit", "subject", number])
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"Subject access for ContactPoint number {number}" in out
    assert "Practitioner: Alex Moss (40000002), Health visitor, Bury NHS Trust" in out
    assert "Operator:     Olive Operator (olive)" in out
    assert "Why:          Concern about a child's safety or welfare" in out
    assert re.findall(r"^  \d\d:\d\d:\d\d  (.+)$", out, re.M)[:3] == [
        "matched by a search on family name and date of birth",
        "record opened (shown 3 times in the call)",
        "read back to the caller: address",
    ]
    assert out.count("\nCall ") == 1  # the second call was about another child

    [asked] = audit_data(app, "audit.subject_access")
    assert asked["contactpoint_id"] == number and asked["calls"] == 1
    assert asked["uses"] >= 3 and asked["by"].startswith("command line")


def test_it_says_so_when_a_child_was_never_looked_up(app: Flask) -> None:
    number = contactpoint_id(app, "lily")
    result = app.test_cli_runner().invoke(args=["audit", "subject", number[:3] + " " + number[3:]])
    assert result.exit_code == 0
    assert "The audit log holds no search or record that names it." in result.output
    assert audit_data(app, "audit.subject_access")[0]["calls"] == 0


def test_a_number_that_is_not_a_contactpoint_number_is_refused(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["audit", "subject", "1234567890"])
    assert result.exit_code == 2 and "not a valid ContactPoint number" in result.output
    assert audit_data(app, "audit.subject_access") == []


def test_a_manager_runs_subject_access_from_the_web(
    app: Flask, twilio: Twilio, console: Console, sam: str, manager: object
) -> None:
    looked_up(
        twilio, console, sam, SECRET, PHONE, family_name="O'Neill", date_of_birth="2015-03-14"
    )
    console.open_only_result()
    console.wrap_up()
    number = contactpoint_id(app, "amelia")
    client = manager.client  # type: ignore[attr-defined]
    page = client.get("/manager/subject", query_string={"number": number})
    assert page.status_code == 200
    for shown in ("Sam Field", "Olive Operator", "record opened", "Concern about a child"):
        assert shown in page.text, shown
    [asked] = audit_data(app, "audit.subject_access")
    assert asked["contactpoint_id"] == number and asked["by"] == "mona"
    refused = client.get("/manager/subject", query_string={"number": "123"})
    # A GET, so nothing is sent again on a refresh; the error is beside the number as typed.
    assert refused.status_code == 400 and "govuk-error-summary" in refused.text
    assert 'aria-describedby="number-error"' in refused.text and 'value="123"' in refused.text


def test_supervisors_cannot_run_subject_access(app: Flask, reviewer: object) -> None:
    client = reviewer.client  # type: ignore[attr-defined]
    assert client.get("/manager/subject", query_string={"number": "1"}).status_code == 403
