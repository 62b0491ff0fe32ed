"""Every webhook under random, validly signed input: always TwiML, never a 500, no secret heard."""

import logging
import xml.etree.ElementTree as ET

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desk.dev.simulator import Twilio
from tests.factories import PHONE, PIN, current_code

# Each fixture-using property shares one rolled-back transaction across its examples.
FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
WEBHOOKS = [
    "/ivr/voice",
    "/ivr/answer?turn=1",
    "/ivr/answer?turn=-7",
    "/ivr/answer",
    "/ivr/wait",
    "/ivr/requeue",
    "/ivr/left-queue",
    "/ivr/status",
    "/ivr/fallback",
    "/ivr/operator-status?call=nope",
    "/ivr/conference/caller?call=nope",
    "/ivr/conference/operator?call=",
]
TWILIO_FIELDS = [
    "CallSid",
    "From",
    "To",
    "Digits",
    "CallStatus",
    "QueueSid",
    "QueuePosition",
    "QueueResult",
    "QueueTime",
    "CallDuration",
    "SequenceNumber",
    "ErrorCode",
    "ErrorUrl",
]
# Any text a form can carry (no lone surrogates: they cannot be sent as UTF-8 at all).
values = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=60),
    st.sampled_from(["", "0", "-1", "99999999999999999999", "CA" + "0" * 32, PHONE, "completed"]),
    st.sampled_from(["CA\x00", "\x00", "ring\x00ing"]),  # PostgreSQL refuses NUL in text
)
forms = st.dictionaries(
    st.one_of(st.sampled_from(TWILIO_FIELDS), st.text(min_size=1, max_size=10)),
    values,
    max_size=8,
)


def assert_twiml(response: object) -> ET.Element:
    assert getattr(response, "status_code", None) == 200, response
    assert getattr(response, "mimetype", None) == "text/xml"
    root = ET.fromstring(response.data)  # type: ignore[attr-defined]  # noqa: S314
    assert root.tag == "Response"
    return root


@FUZZ
@given(path=st.sampled_from(WEBHOOKS), form=forms)
def test_any_signed_form_to_any_webhook_is_answered_with_twiml(
    twilio: Twilio, path: str, form: dict[str, str]
) -> None:
    assert_twiml(twilio.post(path, form))


@FUZZ
@given(
    answers=st.lists(
        st.one_of(
            st.text(alphabet="0123456789*#", max_size=30),
            st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
            st.text(alphabet="0123456789", min_size=500, max_size=3000),
        ),
        max_size=6,
    )
)
def test_a_call_keying_anything_hears_twiml_and_never_its_own_secrets(
    app: Flask,
    sam: str,
    twilio: Twilio,
    caplog: pytest.LogCaptureFixture,
    answers: list[str],
) -> None:
    phone = twilio.call(PHONE)
    phone.dial()
    code = current_code()
    with caplog.at_level(logging.DEBUG):
        # Random keys first, then the real ones: they must work or fail safely whatever came first.
        for digits in [*answers, sam, PIN, code]:
            if phone.is_hung_up or phone.enqueue is not None:
                break
            response = twilio.post(phone.gather_action, phone.params(Digits=digits))
            root = assert_twiml(response)
            phone.follow(response)
            for secret in (PIN, code):
                assert secret not in response.text
            is_waiting = root.find(".//Gather") is not None
            assert is_waiting or phone.is_hung_up or phone.enqueue is not None
    assert PIN not in caplog.text and code not in caplog.text
