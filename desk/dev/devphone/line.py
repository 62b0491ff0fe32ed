"""The dev phone's line to the desk: webhooks as separate requests, and what the phone shows."""

import contextvars
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask import Flask
from werkzeug.test import TestResponse

from desk.dev.simulator import Reply

# How fast the desk's voice speaks: a Say takes time on a real line, and so it does here.
WORDS_PER_SECOND = 2.5


class Mode(StrEnum):
    """What a call is doing, as the phone's screen says."""

    LISTENING = "listening"
    GATHERING = "gathering"
    QUEUED = "queued"
    ON_HOLD = "on_hold"
    CONNECTED = "connected"
    ENDED = "ended"


@dataclass(frozen=True)
class Entry:
    """A line of the transcript: what the caller heard (`say`), or what happened (`event`)."""

    kind: str
    text: str


def speaking_seconds(text: str) -> float:
    """About how long the desk's voice takes to say `text`."""
    return len(text.split()) / WORDS_PER_SECOND


def cannot_follow(status: int) -> str:
    """Why a call ended when the desk answered something other than TwiML."""
    # A 403 here is most often a signature the desk refused: a missing or different auth token.
    return (
        f"The desk answered HTTP {status}, not TwiML, so Twilio would say "
        '"an application error has occurred" and hang up.'
    )


def gather_settings(gather: ET.Element, prompt_seconds: float) -> dict[str, Any]:
    """What the page needs to run a Gather, and how long its prompts take to say."""
    return {
        "finish_on_key": gather.get("finishOnKey", "#"),
        "timeout": int(gather.get("timeout", "5")),
        "num_digits": int(gather.get("numDigits", "0")) or None,
        "prompt_seconds": round(prompt_seconds, 1),
    }


class DeskLine:
    """Reaches the desk's own app as a separate HTTP request from Twilio would."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def post(self, path: str, *, data: dict[str, str], headers: dict[str, str]) -> TestResponse:
        client = self.app.test_client()
        # An empty context: the webhook gets an app context, database session and `g` of its
        # own, rather than sharing those of the browser's request that it is made inside.
        return contextvars.Context().run(client.post, path, data=data, headers=headers)


def twiml_of(response: Reply) -> ET.Element | None:
    """The TwiML a webhook answered, or None when Twilio could not have followed it."""
    if response.status_code != 200 or response.mimetype != "text/xml":
        return None
    try:
        return ET.fromstring(response.data)  # noqa: S314 - the desk's own TwiML  # nosec B314
    except ET.ParseError:
        return None
