"""The one place a step of the call flow becomes TwiML."""

from flask import Response, current_app, url_for
from twilio.twiml.voice_response import VoiceResponse

from ivr.flow import Step

LANGUAGE = "en-GB"
# Seconds of silence after the last key before Twilio sends what was keyed (or nothing).
GATHER_TIMEOUT = 10


def render(step: Step, turn: int = 0) -> str:
    """TwiML for a step; an answer to its question comes back to the answer URL with `turn`."""
    response = VoiceResponse()
    field = step.gathers
    if field is not None:
        # Saying the prompts inside the Gather lets a practitioner who knows the menu key ahead.
        speaker = response.gather(
            input="dtmf",
            action=url_for("ivr.answer", turn=turn),
            method="POST",
            finish_on_key="#",
            timeout=GATHER_TIMEOUT,
            action_on_empty_result=True,
        )
    else:
        speaker = response
    for line in step.say:
        speaker.say(line, language=LANGUAGE)
    if step.pause_seconds:
        response.pause(length=step.pause_seconds)
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


def conference(lines: tuple[str, ...], name: str, is_operator: bool) -> str:
    """TwiML that joins a leg to the call's conference, after saying the lines.

    The conference starts when the operator joins (the caller hears hold music until then),
    and ends when either leaves, so neither is left alone on the line.
    """
    response = VoiceResponse()
    for line in lines:
        response.say(line, language=LANGUAGE)
    dial = response.dial()
    dial.conference(
        name,
        start_conference_on_enter=is_operator,
        end_conference_on_exit=True,
        beep=False,
    )
    return str(response)


def empty() -> str:
    """TwiML that does nothing more."""
    return str(VoiceResponse())


def twiml_response(xml: str) -> Response:
    """An HTTP response carrying TwiML."""
    return Response(xml, mimetype="text/xml")
