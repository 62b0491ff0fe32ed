"""What was typed into a form, and why it was refused, kept across a redirect to its page.

Every form is POST-redirect-GET: a refused or invalid submission redirects to the form's page,
so refreshing that page never sends the form, or audits it, again. What was typed and what was
wrong with it travel to the page in the session cookie, sealed (desk.core.sealed_session), as
a flashed message does, to the user's own browser, which showed them anyway. A page's attempt
is shown once: the GET that shows it takes it out of the session (`take`). The operator's
console keeps its own per call (desk/console/kept_input.py), on this module's `Attempt`,
`typed_into` and `form_again`.
"""

from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import flash, request, session
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from desk.core.date_input import PARTS
from desk.core.refusals import Refused, settle_refusal

PAGE_KEY = "desk.kept.page"
# Never kept, even for one page: a password, PIN, token code or activation code does not go
# into the session cookie, sealed though it is, so a refused form asks for it again. A form
# names its other secret fields (a token's codes typed into plain text boxes) in `not_kept`.
NEVER_KEPT_TYPES = frozenset({"PasswordField", "CSRFTokenField"})
Form = TypeVar("Form", bound=FlaskForm)
Typed = dict[str, str | list[str]]


@dataclass(frozen=True)
class Attempt:
    """A form's newest attempt: what was typed, and what was wrong with it."""

    typed: Typed
    errors: dict[str, list[str]] = field(default_factory=dict)
    refusal: str | None = None  # a refusal that points at no one field

    @property
    def is_refused(self) -> bool:
        return bool(self.errors or self.refusal)


def typed_into(form: FlaskForm, posted: MultiDict[str, str]) -> Typed:
    """The form's fields as typed (a date as its three boxes, a multiple choice as its list),
    blanks and secrets left out."""
    secrets: frozenset[str] = getattr(form, "not_kept", frozenset())
    typed: Typed = {}
    for f in form:
        if f.type in NEVER_KEPT_TYPES or f.short_name in secrets:
            continue
        if f.type == "DayMonthYearField":
            typed.update({n: posted[n] for n in (f"{f.name}-{p}" for p in PARTS) if posted.get(n)})
        elif f.type == "SelectMultipleField" and posted.getlist(f.name):
            typed[f.name] = posted.getlist(f.name)
        elif posted.get(f.name):
            typed[f.name] = posted[f.name]
    return typed


def invalid(form: FlaskForm) -> Attempt:
    """What was typed into a form that did not validate, each error by its field."""
    return Attempt(typed_into(form, request.form), errors=dict(form.errors))


def refused(form: FlaskForm, refusal: Refused) -> Attempt:
    """What was typed into a form the service refused, settled (desk.core.refusals): the
    refusal beside the field it names, or flashed at the top of the page if it names none."""
    settle_refusal(refusal)
    typed = typed_into(form, request.form)
    if refusal.field is not None and refusal.field in form:
        return Attempt(typed, {refusal.field: [refusal.message]})
    flash(refusal.message, "error")
    return Attempt(typed, refusal=refusal.message)


def form_again(form_class: type[Form], attempt: Attempt | None, **options: Any) -> Form:
    """The form as the user left it, with each error beside its field (`options`, such as a
    prefix, as the form is made on its page)."""
    if attempt is None:
        return form_class(**options)  # type: ignore[no-any-return]  # flask-wtf has no hints
    form: Form = form_class(formdata=MultiDict(attempt.typed), **options)
    for name, messages in attempt.errors.items():
        if name in form:
            form[name].errors = list(messages)
    return form


def keep(page: str, attempt: Attempt) -> None:
    """Keep an attempt for the next GET of `page` (a name the view chooses, with its ids)."""
    session[PAGE_KEY] = {
        "page": page,
        "typed": attempt.typed,
        "errors": attempt.errors,
        "refusal": attempt.refusal,
    }


def take(page: str) -> Attempt | None:
    """The attempt kept for this page, taken out: a second GET shows the form afresh."""
    stored = session.get(PAGE_KEY)
    if not stored or stored.get("page") != page:
        return None
    session.pop(PAGE_KEY)
    return Attempt(stored["typed"], stored["errors"], stored["refusal"])
