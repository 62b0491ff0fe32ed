"""The one place a step of the call flow becomes TwiML."""

from flask import Response, current_app, url_for
from twilio.twiml.voice_response import VoiceResponse

from ivr.flow import Field, Step

LANGUAGE = "en-GB"
# Seconds of silence after the last key before Twilio sends what was keyed (or nothing).
GATHER_TIMEOUT = 10


def render(step: Step, turn: int = 0, answer_url: str | None = None) -> str:
    """TwiML for a step; an answer to its question comes back to the answer URL with `turn`
    (or to `answer_url`, a later check's, which carries its own)."""
    response = VoiceResponse()
    field = step.gathers
    if field is not None:
        # The one key of a call-back's first question needs no hash to end it.
        ending: dict[str, object] = (
            {"num_digits": 1} if field == Field.PRESS else {"finish_on_key": "#"}
        )
        # A step that pauses while it gathers (the queue's offer) waits its pause for a key,
        # and without one goes on: the queue plays its wait URL again.
        waiting: dict[str, object] = (
            {"timeout": step.pause_seconds}
            if step.pause_seconds
            else {"timeout": GATHER_TIMEOUT, "action_on_empty_result": True}
        )
        # Saying the prompts inside the Gather lets a practitioner who knows the menu key ahead.
        speaker = response.gather(
            input="dtmf",
            action=answer_url or url_for("ivr.answer", turn=turn),
            method="POST",
            **waiting,
            **ending,
        )
    else:
        speaker = response
    for line in step.say:
        speaker.say(line, language=LANGUAGE)
    if step.pause_seconds and field is None:
        response.pause(length=step.pause_seconds)
    if step.is_leaving_queue:
        response.leave()
    if step.is_enqueued:
        response.enqueue(
            current_app.config["DESK_QUEUE_NAME"],
            action=url_for("ivr.left_queue"),
            method="POST",
            wait_url=url_for("ivr.wait"),
            wait_url_method="POST",
        )
    if step.is_hung_up:
        response.hangup()
    return str(response)


# What the conference tells the desk of its parties (ivr/line.py), for the line and the record.
CONFERENCE_EVENTS = "start end join leave mute hold"


def conference(lines: tuple[str, ...], name: str, is_operator: bool, events_url: str) -> str:
    """TwiML that joins a leg to the call's conference, after saying the lines.

    The conference starts when the operator joins (the caller hears hold music until then) and
    ends when the operator leaves. The caller leaves without ending it (endConferenceOnExit
    cannot be changed while they are on hold), so that the caller can later be moved out and
    back; when they hang up, the operator's page says so (ivr/line.py).
    """
    response = VoiceResponse()
    for line in lines:
        response.say(line, language=LANGUAGE)
    dial = response.dial()
    dial.conference(
        name,
        start_conference_on_enter=is_operator,
        end_conference_on_exit=is_operator,
        beep=False,
        participant_label="operator" if is_operator else "caller",
        status_callback=events_url,
        status_callback_method="POST",
        status_callback_event=CONFERENCE_EVENTS,
    )
    return str(response)


def on_hold() -> str:
    """What a caller on hold hears, looped by Twilio until they are taken off hold."""
    response = VoiceResponse()
    response.say(
        "Please hold: the operator has put you on hold and will be back with you shortly.",
        language=LANGUAGE,
    )
    response.pause(length=20)
    return str(response)


def empty() -> str:
    """TwiML that does nothing more."""
    return str(VoiceResponse())


def twiml_response(xml: str) -> Response:
    """An HTTP response carrying TwiML."""
    return Response(xml, mimetype="text/xml")
