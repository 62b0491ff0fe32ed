"""Confirm, record why, search, open, read back: only inside the call, only what the rules allow."""

import pytest
from flask import Flask
from sqlalchemy import select, update

from desk.console import handling
from desk.console.models import ReadBack
from desk.core.extensions import db
from desk.dev.simulator import Twilio
from desk.records.models import Child
from tests.desk.conftest import (
    ALEX_SECRET,
    Console,
    called_back,
    contactpoint_id,
    flashed,
    queued_call,
)
from tests.stored import audit_events

pytestmark = pytest.mark.usefixtures("index")


@pytest.fixture
def taken(sam: str, twilio: Twilio, console: Console) -> Console:
    console.take(queued_call(twilio, sam))
    return console


@pytest.fixture
def ready(taken: Console) -> Console:
    taken.ready_to_search()
    return taken


def test_no_search_until_identity_is_confirmed_and_the_purpose_recorded(
    taken: Console, app: Flask
) -> None:
    refused = taken.search(family_name="O'Neill", date_of_birth="2015-03-14")
    assert "Confirm the caller's identity and record the purpose" in " ".join(flashed(refused))
    taken.post("identity", {"is_confirmed": "y"})
    refused = taken.search(family_name="O'Neill", date_of_birth="2015-03-14")
    assert "record the purpose" in " ".join(flashed(refused))
    assert audit_events(app, "search.made") == []


def test_identity_needs_the_box_ticked(taken: Console) -> None:
    response = taken.post("identity", {})
    assert response.status_code == 302  # POST-redirect-GET: a refresh sends nothing again
    assert "Tick to confirm you checked who the caller is." in flashed(taken.client.get(taken.page))


def test_a_call_from_an_unregistered_number_needs_a_call_back_first(
    app: Flask, sam: str, twilio: Twilio, console: Console
) -> None:
    console.take(queued_call(twilio, sam, caller="+447700900999"))
    assert "not from a number registered" in console.client.get(console.page).text
    console.post("identity", {"is_confirmed": "y"})
    assert audit_events(app, "call.identity_confirmed") == []
    called_back(console)
    console.post("identity", {"is_confirmed": "y"})
    [confirmed] = audit_events(app, "call.identity_confirmed")
    assert confirmed.data == {"is_called_back": True}


def test_other_purposes_need_words(taken: Console, app: Flask) -> None:
    taken.post("identity", {"is_confirmed": "y"})
    response = taken.post("purpose", {"purpose": "other"})
    assert "Describe the purpose" in " ".join(
        flashed(taken.client.get(taken.page)) + flashed(response)
    )
    taken.post("purpose", {"purpose": "other", "detail": "Checking a school transfer"})
    [recorded] = audit_events(app, "call.purpose_recorded")
    assert recorded.data == {"purpose": "other", "detail": "Checking a school transfer"}


def test_the_whole_lookup_reads_back_only_what_is_allowed_and_audits_it(
    ready: Console, app: Flask, sam: str
) -> None:
    page = ready.search(family_name="O'Neill", date_of_birth="2015-03-14")
    assert "Amelia Rose O&#39;Neill" in page.text and "Rochdale" in page.text
    record, shown = ready.open_only_result()
    assert "12 Mill Lane, Rochdale, OL16 1AA" in shown.text
    assert "Joanne O&#39;Neill" in shown.text and "Castlemere Surgery" in shown.text
    assert "CAF assessment" in shown.text and "J. Patel" in shown.text

    ready.read_back(record, "child.address")
    assert "✓ Read to caller" in ready.client.get(record).text
    [made] = audit_events(app, "search.made")
    assert made.practitioner_id == sam and made.operator_id is not None and made.call_id
    assert made.data["match_count"] == 1
    assert made.data["matched"] == [contactpoint_id(app, "amelia")]
    [read] = audit_events(app, "record.read_back")
    assert read.data["item"] == "child.address" and read.practitioner_id == sam


def test_an_item_is_not_marked_read_back_when_its_audit_fails(
    ready: Console, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    ready.search(family_name="O'Neill", date_of_birth="2015-03-14")
    record, _ = ready.open_only_result()

    def audit_down(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(handling, "record", audit_down)
    with pytest.raises(RuntimeError):
        ready.read_back(record, "child.address")
    with app.app_context():
        assert db.session.scalar(select(ReadBack)) is None


def test_a_former_family_name_finds_the_child(ready: Console) -> None:
    assert "Amelia Rose" in ready.search(family_name="Smith", date_of_birth="2015-03-14").text


def test_a_shielded_child_shows_nothing_that_could_locate_them(ready: Console, app: Flask) -> None:
    page = ready.search(family_name="Brennan", date_of_birth="2016-06-01")
    assert "Noah Brennan" in page.text and "Heywood" not in page.text
    record, shown = ready.open_only_result()
    for secret in (
        "Heywood",
        "Hill Street",
        "OL10",
        "07700 900222",
        "+447700900222",
        "Castlemere",
        "Khan",
    ):
        assert secret not in shown.text
    assert "Kate Brennan" in shown.text
    assert "Shielded" in shown.text and "Request brokered contact" in shown.text
    assert ready.read_back(record, "child.address").status_code == 302
    assert audit_events(app, "record.read_back") == []

    from tests.pages import submit

    submit(
        ready.client,
        record,
        {"reason": "Caller is the child's new social worker"},
        f"{record}/brokered",
    )
    assert len(audit_events(app, "record.brokered_contact_requested")) == 1


def test_a_postcode_search_never_finds_a_shielded_child(ready: Console) -> None:
    page = ready.search(family_name="Brennan", given_name="Noah", postcode="OL10 2BB")
    assert "No match" in page.text and ready.result_links() == []


def test_sensitive_services_are_never_read_back_only_brokered(ready: Console) -> None:
    ready.search(family_name="Carter", date_of_birth="2014-09-09")
    _, shown = ready.open_only_result()
    for secret in ("Harbour Clinic", "Nurse Fox", "sexual health", "555040"):
        assert secret not in shown.text
    assert "Mill Lane Primary" in shown.text
    assert "other services are involved" in shown.text.lower()
    assert "Request brokered contact" in shown.text


def test_too_many_matches_lists_nobody(ready: Console) -> None:
    page = ready.search(family_name="Taylor", date_of_birth="2017-01-01")
    assert "Too many matches: ask the caller for more details." in page.text
    assert ready.result_links() == []
    assert (
        "Taylor"
        in ready.search(family_name="Taylor", given_name="Ava", date_of_birth="2017-01-01").text
    )


@pytest.mark.parametrize(
    "criteria",
    [
        {"family_name": "O", "date_of_birth": "2015-03-14"},
        {"family_name": "O%", "date_of_birth": "2015-03-14"},
        {"family_name": "*", "date_of_birth": "2015-03-14"},
        {"family_name": "_Neill", "date_of_birth": "2015-03-14"},
        {"family_name": "<script>alert(1)</script>", "date_of_birth": "2015-03-14"},
        {"contactpoint_number": "9434765918"},
        {"family_name": "O'Neill"},
        {"given_name": "Amelia", "postcode": "OL16 1AA"},
    ],
    ids=[
        "one letter",
        "percent",
        "star",
        "underscore",
        "script",
        "bad check digit",
        "name alone",
        "no family name",
    ],
)
def test_searches_outside_the_rules_are_refused_with_a_message(
    ready: Console, app: Flask, criteria: dict[str, str]
) -> None:
    assert ready.post("search", criteria).status_code == 302  # a refresh does not search again
    response = ready.client.get(ready.page)
    assert flashed(response), response.text
    assert "<script>alert(1)</script>" not in response.text
    assert ready.result_links() == []
    assert audit_events(app, "search.made") == []
    assert len(audit_events(app, "search.refused")) == 1


def test_an_impossible_date_is_a_form_error(ready: Console) -> None:
    typed = {"date_of_birth-day": "30", "date_of_birth-month": "2", "date_of_birth-year": "2015"}
    ready.post("search", {"family_name": "O'Neill", **typed})
    response = ready.client.get(ready.page)
    assert "Give a real date, for example 27 3 2015." in response.text
    assert 'value="30"' in response.text  # what was typed is shown again


def test_unicode_and_hyphenated_names_are_searched_not_refused(ready: Console, app: Flask) -> None:
    for name in ("Zoë", "Smith-Jones", "D'Arcy"):
        ready.search(family_name=name, date_of_birth="2015-03-14")
    assert len(audit_events(app, "search.made")) == 3


def test_records_open_only_from_this_calls_own_results(
    ready: Console, app: Flask, alex: str, twilio: Twilio
) -> None:
    ready.search(family_name="O'Neill", date_of_birth="2015-03-14")
    [link] = ready.result_links()
    made_up = link.rsplit("/", 1)[0] + "/not-a-real-token"
    assert "not among this call" in " ".join(
        flashed(ready.client.get(made_up, follow_redirects=True))
    )

    ready.wrap_up()
    ready.take(queued_call(twilio, alex, caller="+447700900777", secret=ALEX_SECRET))
    ready.ready_to_search()
    old_token = link.rsplit("/", 1)[1]
    stolen = f"{ready.page}/records/{old_token}"
    response = ready.client.get(stolen, follow_redirects=True)
    assert "not among this call" in " ".join(flashed(response))
    assert "Mill Lane" not in response.text


def test_after_the_caller_hangs_up_nothing_more_is_searched(
    ready: Console, app: Flask, twilio: Twilio, sam: str
) -> None:
    from tests.stored import stored_call

    with app.app_context():
        from ivr.models import Call

        sid = db.session.scalar(select(Call.sid).where(Call.public_id == ready.public_id))
    twilio.post(
        "/ivr/status", {"CallSid": sid or "", "CallStatus": "completed", "CallDuration": "60"}
    )
    page = ready.search(family_name="O'Neill", date_of_birth="2015-03-14")
    assert "The caller has hung up" in page.text
    assert audit_events(app, "search.made") == []
    ready.wrap_up("call_dropped")
    assert stored_call(app, sid or "").status == "completed"


def test_a_child_shielded_while_their_record_is_open_shows_the_shielded_view_next(
    ready: Console, app: Flask
) -> None:
    ready.search(family_name="O'Neill", date_of_birth="2015-03-14")
    record, shown = ready.open_only_result()
    assert "Mill Lane" in shown.text
    with app.app_context():
        db.session.execute(
            update(Child).where(Child.source_id == "amelia").values(is_shielded=True)
        )
        db.session.commit()
    response = ready.read_back(record, "child.address")
    assert response.status_code == 302
    after = ready.client.get(record)
    assert "may not be read back" in " ".join(flashed(after))
    assert "Mill Lane" not in after.text and "Shielded" in after.text
    assert audit_events(app, "record.read_back") == []


def test_a_call_has_a_limit_of_searches(ready: Console, app: Flask) -> None:
    app.config["DESK_SEARCHES_PER_CALL"] = 2
    for _ in range(3):
        page = ready.search(family_name="O'Neill", date_of_birth="2015-03-14")
    assert "limit of searches" in page.text
    assert len(audit_events(app, "search.made")) == 2


def test_wrap_up_ends_both_legs_and_frees_the_operator(
    ready: Console, app: Flask, phones: object
) -> None:
    response = ready.wrap_up("no_match")
    assert response.status_code == 302 and response.location == "/console/"
    [wrapped] = audit_events(app, "call.wrapped_up")
    assert wrapped.data["code"] == "no_match"
    assert [a[0] for a in phones.actions[-2:]] == ["hang_up", "hang_up"]  # type: ignore[attr-defined]
    assert "Callers waiting" in ready.client.get("/console/").text
