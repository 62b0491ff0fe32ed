"""The call page as the operator sees it, and how its steps' forms come back to it.

Each step is POST-redirect-GET: a form that does not validate, or a step the service refuses,
goes back to the call page with what was typed kept (desk/console/kept_input.py).
"""

from flask import redirect
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response as BaseResponse

from desk.console import call_line, kept_input
from desk.console import handling as handlings
from desk.console.answering import to_call_page
from desk.console.forms import (
    ActionForm,
    CallBackForm,
    IdentityForm,
    PurposeForm,
    SearchForm,
    WrapUpForm,
)
from desk.console.handling import NotYourCall
from desk.console.kept_input import kept
from desk.console.models import PURPOSE_LABELS, WRAP_UP_LABELS, Handling
from desk.core.extensions import db
from desk.core.refusals import Refused
from desk.core.types import utcnow
from desk.records.models import Child
from desk.records.search import result_line


def workspace(held: Handling) -> dict[str, object]:
    public_id = held.call.public_id
    searched = kept_input.kept(public_id, "search")
    search_form = kept_input.form_again(SearchForm, searched)
    # The results listed are those of the criteria shown above them: none after a refusal.
    refused = searched is not None and searched.is_refused
    latest = held.searches[-1] if held.searches and not refused else None
    is_echoed = searched is not None and searched.searches == len(held.searches)
    children = {}
    if latest is not None and latest.matches:
        ids = [m.child_id for m in latest.matches]
        children = {
            c.id: c
            for c in db.session.scalars(
                select(Child).where(Child.id.in_(ids)).options(selectinload(Child.contacts))
            )
        }
    # A purged child (never within a live call, in practice) is simply not listed.
    results = [
        (m, result_line(children[m.child_id]))
        for m in (latest.matches if latest else [])
        if m.child_id in children
    ]
    return {
        "held": held,
        "call": held.call,
        "practitioner": held.call.practitioner,
        "latest": latest,
        "results": results,
        "purposes": PURPOSE_LABELS,
        "wrap_ups": WRAP_UP_LABELS,
        "identity_form": kept_input.form_again(
            IdentityForm, kept_input.kept(public_id, "identity")
        ),
        "purpose_form": kept_input.form_again(PurposeForm, kept_input.kept(public_id, "purpose")),
        "search_form": search_form,
        "echoed": search_form.criteria_words() if is_echoed else [],
        "wrap_up_form": kept_input.form_again(WrapUpForm, kept(public_id, "wrap_up")),
        "action_form": ActionForm(),
        "call_back_form": call_back_form(held),
        "line": call_line.state(held, utcnow()),
    }


def call_back_form(held: Handling) -> CallBackForm:
    """The call-back form, offering the practitioner's registered numbers (never a typed one)."""
    form = CallBackForm()
    practitioner = held.call.practitioner
    form.phone.choices = [(p.id, p.number) for p in practitioner.phones] if practitioner else []
    return form


def step_form(public_id: str, step: str, form: FlaskForm) -> tuple[Handling, BaseResponse | None]:
    """The operator's handling, ready for a step (or Refused), and the way back to the call
    page, what was typed kept, if the step's form does not validate."""
    held = handlings.active_handling(current_user, public_id, utcnow())
    if not form.validate_on_submit():
        kept_input.keep(public_id, step, kept_input.invalid(form))
        return held, redirect(to_call_page(public_id))
    return held, None


def refused_step(public_id: str, step: str, form: FlaskForm, refusal: Refused) -> BaseResponse:
    """A step the service refused: settled, and back to the call page with what was typed, the
    refusal beside the field it is about (or said at the top of the page, if it is about none).
    A call that is not theirs goes to the queue."""
    if isinstance(refusal, NotYourCall):
        raise refusal
    kept_input.keep(public_id, step, kept_input.refused(form, refusal))
    return redirect(to_call_page(public_id))


def step_done(public_id: str, step: str) -> None:
    kept_input.keep(public_id, step, kept_input.Attempt({}))
