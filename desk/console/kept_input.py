"""What the operator last typed into a step's form, kept for the call page across a redirect.

Every step is POST-redirect-GET, so refreshing the page never sends a step, or audits it,
again. A step that is refused (its form's syntax, or the service's rules) keeps what was typed
and why it was refused; the search keeps its criteria after it succeeds too, to echo them
above their results. They travel to the page in the signed session cookie, as a flashed
message does (to the operator's own browser, which shows them anyway), for one call only, and
are dropped when the call is wrapped up or returned.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from flask import session
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from desk.core.date_input import PARTS

KEY = "desk.kept"
Form = TypeVar("Form", bound=FlaskForm)


@dataclass(frozen=True)
class Attempt:
    """A step's newest attempt: what was typed, and what was wrong with it."""

    typed: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    refusal: str | None = None  # a refusal that points at no one field
    searches: int | None = None  # for a search made: the call's searches once it was

    @property
    def is_refused(self) -> bool:
        return bool(self.errors or self.refusal)


def typed_into(form: FlaskForm, posted: Mapping[str, str]) -> dict[str, str]:
    """The form's fields as typed (a date as its three boxes), blanks and the token left out."""
    names = []
    for f in form:
        if f.type == "DayMonthYearField":
            names += [f"{f.name}-{part}" for part in PARTS]
        elif f.type != "CSRFTokenField":
            names.append(f.name)
    return {name: posted[name] for name in names if posted.get(name)}


def keep(public_id: str, step: str, attempt: Attempt) -> None:
    stored = session.get(KEY)
    forms = stored["forms"] if stored and stored.get("call") == public_id else {}
    forms[step] = {
        "typed": attempt.typed,
        "errors": attempt.errors,
        "refusal": attempt.refusal,
        "searches": attempt.searches,
    }
    session[KEY] = {"call": public_id, "forms": forms}


def kept(public_id: str, step: str) -> Attempt | None:
    """The step's newest attempt in this call, if this browser made it."""
    stored = session.get(KEY)
    if not stored or stored.get("call") != public_id or step not in stored["forms"]:
        return None
    found = stored["forms"][step]
    return Attempt(found["typed"], found["errors"], found["refusal"], found["searches"])


def form_again(form_class: type[Form], attempt: Attempt | None) -> Form:
    """The form as the operator left it, with each error beside its field."""
    if attempt is None:
        return form_class()  # type: ignore[no-any-return]  # flask-wtf has no type hints
    form: Form = form_class(formdata=MultiDict(attempt.typed))
    for name, messages in attempt.errors.items():
        if name in form:
            form[name].errors = list(messages)
    return form


def forget() -> None:
    session.pop(KEY, None)
