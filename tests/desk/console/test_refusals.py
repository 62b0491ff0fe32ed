"""Every console page answers a refusal one way: undone, said once, back where it makes sense."""

from flask import Flask

from desk.dev.simulator import Twilio
from tests.desk.conftest import Console, flashed, queued_call
from tests.pages import submit
from tests.stored import audit_events


def test_a_step_on_a_call_no_longer_theirs_goes_back_to_the_queue_saying_so_once(
    app: Flask, sam: str, twilio: Twilio, console: Console
) -> None:
    console.take(queued_call(twilio, sam))
    console.wrap_up("call_dropped")
    old = console.page

    for step in ("identity", "records/any-token/read-back", "release"):
        response = submit(console.client, "/console/", {"is_confirmed": "y"}, f"{old}/{step}")
        assert response.status_code == 302 and response.location == "/console/", step
        assert flashed(console.client.get("/console/")) == ["That call is not yours to work on."]
    assert audit_events(app, "call.identity_confirmed") == []
    assert audit_events(app, "call.released") == []


def test_a_refused_step_goes_back_to_the_call_and_changes_nothing(
    app: Flask, sam: str, twilio: Twilio, console: Console
) -> None:
    console.take(queued_call(twilio, sam))
    console.post("identity", {"is_confirmed": "y"})
    response = console.post("purpose", {"purpose": "other"})

    assert response.status_code == 302 and response.location == console.page
    assert flashed(console.client.get(console.page)) == ["Describe the purpose when it is 'Other'."]
    assert audit_events(app, "call.purpose_recorded") == []
