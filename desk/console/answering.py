"""How a console page answers: every refusal one way, and REST calls only after the commit.

A view lets a Refused rise; `refusals_back_to` settles it (rolled back, or committed if it is an
AuditedRefusal, desk/core/refusals.py), flashes why, and redirects to the page the operator
acted from, or to the queue when the call is not theirs at all (NotYourCall). A refused step
of the call page goes back to it too, but keeping what was typed (call_page.refused_step).
"""

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import flash, redirect, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from desk.console.handling import NotYourCall
from desk.console.phone import PhoneWork
from desk.core.extensions import db
from desk.core.refusals import Refused, settle_refusal
from ivr.telephony import telephony

P = ParamSpec("P")
R = TypeVar("R")
Outcome = TypeVar("Outcome")


def to_queue(**_: str) -> str:
    return url_for("console.queue")


def to_call_page(public_id: str, **_: str) -> str:
    return url_for("console.call", public_id=public_id)


def to_record_page(public_id: str, token: str) -> str:
    return url_for("console.open_record", public_id=public_id, token=token)


def refusals_back_to(
    back: Callable[..., str],
) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """Answer a Refused from the view: settled, flashed, and redirected `back` (given the
    view's URL values), or to the queue if the call is not the operator's."""

    def decorate(view: Callable[P, R]) -> Callable[P, R | Response]:
        @wraps(view)
        def answered(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            try:
                return view(*args, **kwargs)
            except Refused as refusal:
                settle_refusal(refusal)
                flash(refusal.message, "error")
                to = to_queue() if isinstance(refusal, NotYourCall) else back(**kwargs)
                return redirect(to)

        return answered

    return decorate


def valid(form: FlaskForm) -> None:
    """A form with nothing to show again (buttons, hidden fields): Refused if it does not
    validate, as when its CSRF token has expired."""
    if not form.validate_on_submit():
        raise Refused("The form expired; please try again.")


def after_commit(work: PhoneWork[Outcome]) -> Outcome:
    """Commit the intent, then make the work's REST calls with no transaction, or lock, open."""
    db.session.commit()
    return work.run(telephony())
