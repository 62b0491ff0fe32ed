"""What the operator last typed into a step's form, kept for the call page across a redirect.

Every step is POST-redirect-GET (desk/core/kept_input.py), so refreshing the page never sends
a step, or audits it, again. A step that is refused (its form's syntax, or the service's rules)
keeps what was typed and why it was refused; the search keeps its criteria after it succeeds
too, to echo them above their results. Unlike another page's attempt, a step's stays for the
whole call (each of its GETs shows it), and is dropped when the call is wrapped up or returned.
"""

from dataclasses import dataclass

from flask import session

from desk.core import kept_input as core
from desk.core.kept_input import form_again, invalid, refused, typed_into

__all__ = ["Attempt", "forget", "form_again", "invalid", "keep", "kept", "refused", "typed_into"]

KEY = "desk.kept"


@dataclass(frozen=True)
class Attempt(core.Attempt):
    """A step's newest attempt; for a search made, the call's searches once it was."""

    searches: int | None = None


def keep(public_id: str, step: str, attempt: core.Attempt) -> None:
    stored = session.get(KEY)
    forms = stored["forms"] if stored and stored.get("call") == public_id else {}
    forms[step] = {
        "typed": attempt.typed,
        "errors": attempt.errors,
        "refusal": attempt.refusal,
        "searches": attempt.searches if isinstance(attempt, Attempt) else None,
    }
    session[KEY] = {"call": public_id, "forms": forms}


def kept(public_id: str, step: str) -> Attempt | None:
    """The step's newest attempt in this call, if this browser made it."""
    stored = session.get(KEY)
    if not stored or stored.get("call") != public_id or step not in stored["forms"]:
        return None
    found = stored["forms"][step]
    return Attempt(found["typed"], found["errors"], found["refusal"], found["searches"])


def forget() -> None:
    session.pop(KEY, None)
