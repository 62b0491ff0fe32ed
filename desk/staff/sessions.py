"""How long a signed-in session lasts: 30 minutes without activity, 12 hours in all."""

from collections.abc import MutableMapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from desk.core.config import IDLE_LIMIT, SIGNED_IN_LIMIT

V = TypeVar("V")


SIGNED_IN_AT = "signed_in_at"
LAST_ACTIVE_AT = "last_active_at"


class Ending(StrEnum):
    """Why the desk ended a session; the value is the reason in the audit log."""

    IDLE = "idle"
    TIME_LIMIT = "time_limit"

    @property
    def message(self) -> str:
        """What the person is told on the sign-in page."""
        if self is Ending.IDLE:
            return "Your session ended after 30 minutes without activity; please sign in again."
        return "Your session ended after 12 hours; please sign in again."


def background(view: V) -> V:
    """Mark a view the page polls by itself: its requests are not a person's activity."""
    view.is_background = True  # type: ignore[attr-defined]
    return view


def is_background(view: object) -> bool:
    """Whether a view was marked with `background`."""
    return bool(getattr(view, "is_background", False))


def start(session: MutableMapping[str, Any], now: datetime) -> None:
    """Note in a new session when its holder signed in."""
    session[SIGNED_IN_AT] = session[LAST_ACTIVE_AT] = now.timestamp()


def touch(session: MutableMapping[str, Any], now: datetime) -> None:
    """Note activity, restarting the idle clock."""
    session[LAST_ACTIVE_AT] = now.timestamp()


def ending(session: MutableMapping[str, Any], now: datetime) -> Ending | None:
    """Why the session is over at `now`, or None while it may go on."""
    signed_in_at = _moment(session.get(SIGNED_IN_AT))
    last_active_at = _moment(session.get(LAST_ACTIVE_AT))
    # A session without its times was not started by this desk's sign-in: too old to trust.
    if signed_in_at is None or last_active_at is None:
        return Ending.TIME_LIMIT
    if now - signed_in_at >= SIGNED_IN_LIMIT:
        return Ending.TIME_LIMIT
    if now - last_active_at >= IDLE_LIMIT:
        return Ending.IDLE
    return None


def _moment(value: object) -> datetime | None:
    if not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value, UTC)
