"""Officers shield a child of their authority at once; lifting it takes a second officer."""

import json
from datetime import date, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from desk.core.audit.events import Event
from desk.core.extensions import db
from desk.dev.simulator import Twilio
from desk.records import importer
from desk.records.models import Child, Shield
from tests.children import CHILDREN
from tests.desk.conftest import Console, contactpoint_id, flashed
from tests.desk.review.conftest import take_and_finish
from tests.pages import submit
from tests.stored import audit_events

NEXT_MONTH = (date.today() + timedelta(days=30)).isoformat()


def shield(client: FlaskClient, number: str, review_on: str = NEXT_MONTH) -> list[str]:
    data = {"contactpoint_number": number, "reason": "domestic_abuse", "review_on": review_on}
    submit(client, "/authority/shields", data)
    return flashed(client.get("/authority/shields"))


def shield_id(app: Flask) -> int:
    with app.app_context():
        return db.session.scalars(select(Shield.id)).one()


def is_shielded(app: Flask, source_id: str) -> bool:
    with app.app_context():
        child = db.session.scalars(select(Child).where(Child.source_id == source_id)).one()
        return bool(child.is_shielded)


def test_a_shield_takes_effect_at_the_operators_next_step(
    app: Flask, index: None, twilio: Twilio, console: Console, sam: str, otto: FlaskClient
) -> None:
    take_and_finish(console, twilio, sam)
    console.search(family_name="O'Neill", date_of_birth="2015-03-14")
    record, shown = console.open_only_result()
    assert "12 Mill Lane" in shown.text
    assert "The child is shielded, from now." in shield(otto, contactpoint_id(app, "amelia"))
    again = console.client.get(record).text
    assert "12 Mill Lane" not in again and "This record is shielded" in again
    [added] = audit_events(app, Event.SHIELD_ADDED)
    assert added.data["reason"] == "domestic_abuse" and added.data["officer"] == "otto"


def test_lifting_a_shield_takes_a_second_officer(
    app: Flask, index: None, otto: FlaskClient, ruth: FlaskClient
) -> None:
    shield(otto, contactpoint_id(app, "amelia"))
    sid = shield_id(app)
    submit(otto, "/authority/shields", {}, f"/authority/shields/{sid}/unshield")
    assert is_shielded(app, "amelia")
    submit(otto, "/authority/shields", {}, f"/authority/shields/{sid}/approve")
    assert "A second officer must approve" in " ".join(flashed(otto.get("/authority/shields")))
    assert is_shielded(app, "amelia")
    [refusal] = audit_events(app, Event.SHIELD_REFUSED)
    assert refusal.data["reason"] == "same_officer"
    submit(ruth, "/authority/shields", {}, f"/authority/shields/{sid}/approve")
    assert "The shield is lifted." in flashed(ruth.get("/authority/shields"))
    assert not is_shielded(app, "amelia")
    kinds = [e.kind for e in audit_events(app) if e.kind.startswith("shield.")]
    assert kinds == ["shield.added", "shield.unshield_requested", "shield.refused", "shield.lifted"]


def test_an_officer_of_another_authority_cannot_shield_or_see_the_child(
    app: Flask, index: None, bea: FlaskClient, otto: FlaskClient
) -> None:
    messages = shield(bea, contactpoint_id(app, "amelia"))
    assert "No child of your authorities has that ContactPoint number." in messages
    assert not is_shielded(app, "amelia")
    shield(otto, contactpoint_id(app, "amelia"))
    page = bea.get("/authority/shields").text
    assert "Amelia" not in page and contactpoint_id(app, "amelia") not in page
    sid = shield_id(app)
    assert (
        submit(bea, "/authority/shields", {}, f"/authority/shields/{sid}/unshield").status_code
        == 404
    )


def test_shields_due_for_review_are_listed_first(
    app: Flask, index: None, otto: FlaskClient
) -> None:
    shield(otto, contactpoint_id(app, "amelia"), (date.today() + timedelta(days=1)).isoformat())
    with app.app_context():
        db.session.scalars(select(Shield)).one().review_on = date.today()
        db.session.commit()
    page = otto.get("/authority/shields").text
    due = page.index("Due for review")
    assert due < page.index("Amelia") < page.index("Standing shields")
    assert "Review due" in page


def test_an_import_never_lifts_an_officers_shield(
    app: Flask, index: None, otto: FlaskClient
) -> None:
    shield(otto, contactpoint_id(app, "amelia"))
    amelia = next(c for c in CHILDREN if c["source_id"] == "amelia")

    def reimport(shielded: bool) -> None:
        with app.app_context():
            line = json.dumps({**amelia, "shielded": shielded})
            summary = importer.import_entries(importer.parse_lines([line]), by="tests")
            assert not summary.errors
            db.session.commit()

    reimport(False)
    assert is_shielded(app, "amelia")
    # The import's own shield comes and goes with the file; the officer's stays.
    reimport(True)
    reimport(False)
    assert is_shielded(app, "amelia")


def test_an_imports_own_shield_is_removed_by_the_import(app: Flask, index: None) -> None:
    assert is_shielded(app, "noah")
    noah = next(c for c in CHILDREN if c["source_id"] == "noah")
    with app.app_context():
        line = json.dumps({**noah, "shielded": False})
        assert not importer.import_entries(importer.parse_lines([line]), by="tests").errors
        db.session.commit()
    assert not is_shielded(app, "noah")


def test_a_refused_shield_keeps_what_was_typed_beside_its_error_once(
    app: Flask, index: None, otto: FlaskClient
) -> None:
    number = contactpoint_id(app, "amelia")
    typed = {
        "contactpoint_number": number,
        "reason": "domestic_abuse",
        "review_on-day": "1",
        "review_on-month": "1",
        "review_on-year": "2020",
    }
    refused = submit(otto, "/authority/shields", typed)
    assert refused.status_code == 302 and refused.location == "/authority/shields"
    page = otto.get("/authority/shields").text
    assert "govuk-error-summary" in page and 'id="review_on-error"' in page
    assert "The review date must be in the future." in page
    assert f'value="{number}"' in page and 'value="2020"' in page
    assert '<option selected value="domestic_abuse">' in page

    again = otto.get("/authority/shields").text  # a refresh sends nothing, shows no old error
    assert "govuk-error-summary" not in again and f'value="{number}"' not in again
    assert not is_shielded(app, "amelia")
    assert audit_events(app, Event.SHIELD_ADDED) == []


def test_an_unknown_child_is_said_beside_the_contactpoint_number(
    app: Flask, index: None, otto: FlaskClient
) -> None:
    typed = {"contactpoint_number": "NOBODY-1", "reason": "domestic_abuse", "review_on": NEXT_MONTH}
    assert submit(otto, "/authority/shields", typed).status_code == 302
    page = otto.get("/authority/shields").text
    assert 'id="contactpoint_number-error"' in page and 'value="NOBODY-1"' in page
