"""The administrators' pages: find a practitioner, see their state, change their access; staff
accounts; the lapsing lists. Every change goes through the service the command line uses."""

import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import segno
from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from desk.admin import forms
from desk.core import kept_input
from desk.core.audit.actors import Actor
from desk.core.audit.events import Event
from desk.core.audit.models import AuditEvent
from desk.core.authorities import authority_name
from desk.core.credentials import totp
from desk.core.extensions import db
from desk.core.refusals import Refused
from desk.core.types import utcnow
from desk.staff import accounts
from desk.staff.access import role_required
from desk.staff.models import Role, Staff
from ivr.models import Call
from verification import activation, administration, dates, enrolment, letters, registry, tokens
from verification.checks import training_expires, vetting_expires
from verification.lapsing import Lapse, lapsing
from verification.models import Practitioner

bp = Blueprint("admin", __name__, url_prefix="/admin")
admins_only = role_required(Role.ADMIN)
LAST_CALLS = 10
EXPIRED = "The form had expired: try again."
PROBLEMS_SHOWN = 10


def _actor() -> Actor:
    return Actor(current_user.username, current_user.id)


def _sentence(message: str) -> str:
    """A service's reason ("the username x is taken") as the page says it."""
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def _no_store(page: str, status: int = 200) -> BaseResponse:
    """A page that shows a secret once: not kept by the browser or anything between."""
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def qr_svg(uri: str) -> Markup:
    """The URI as an inline SVG QR code (no script, no style: the CSP allows it)."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, title="QR code to scan once")
    return Markup(svg)  # noqa: S704 - segno's own SVG of a URI the desk made  # nosec B704


@bp.get("/")
@admins_only
def index() -> str:
    form = forms.FindForm(formdata=None)
    return render_template("admin/index.html", form=form, found=None)


@bp.get("/find")
@admins_only
def find() -> str:
    form = forms.FindForm(formdata=request.args)
    found = registry.find(form.q.data or "") if form.validate() else None
    return render_template("admin/index.html", form=form, found=found)


def _practitioner(practitioner_id: str) -> Practitioner:
    try:
        return registry.get(practitioner_id)
    except LookupError:
        abort(404)


def _state(practitioner: Practitioner) -> dict[str, Any]:
    """What the practitioner page shows: access, lock, dates, token, numbers, last calls."""
    now = utcnow()
    locked = None
    if practitioner.is_locked:
        locked = db.session.scalar(
            select(AuditEvent)
            .where(
                AuditEvent.practitioner_id == practitioner.id,
                AuditEvent.kind == Event.PRACTITIONER_LOCKED,
            )
            .order_by(AuditEvent.id.desc())
            .limit(1)
        )
    calls = db.session.execute(
        select(Call.started_at, Call.status, Call.duration_seconds, Call.is_registered_number)
        .where(Call.practitioner_id == practitioner.id)
        .order_by(Call.started_at.desc())
        .limit(LAST_CALLS)
    ).all()
    return {
        "p": practitioner,
        "now": now,
        "vetting_expires": vetting_expires(practitioner.vetted_on),
        "training_expires": (
            training_expires(practitioner.trained_on) if practitioner.trained_on else None
        ),
        "is_awaiting": activation.is_awaiting(practitioner, now),
        "lock_event": locked,
        "token": tokens.assigned_to(practitioner),
        "calls": calls,
    }


# The practitioner page's forms that keep what was typed across a refusal's redirect.
KEPT_FORMS: dict[str, tuple[type[FlaskForm], str]] = {
    "unlock_form": (forms.ReasonForm, "unlock"),
    "suspend_form": (forms.ReasonForm, "suspend"),
    "activation_form": (forms.ActivationForm, "activation"),
    "assign_form": (forms.AssignTokenForm, "assign"),
    "resync_form": (forms.ResyncForm, "resync"),
    "phones_form": (forms.PhonesForm, "phones"),
}


def _kept_page(practitioner_id: str, name: str) -> str:
    return f"admin.practitioner:{practitioner_id}:{name}"


def _page(practitioner: Practitioner, **shown: Any) -> BaseResponse:
    page_forms: dict[str, Any] = {"plain_form": forms.EmptyForm()}
    for name, (form_class, prefix) in KEPT_FORMS.items():
        attempt = kept_input.take(_kept_page(practitioner.id, name))
        page_forms[name] = kept_input.form_again(form_class, attempt, prefix=prefix)
        if name == "phones_form" and attempt is None:  # the numbers as registered
            numbers = "\n".join(p.number for p in practitioner.phones)
            page_forms[name] = forms.PhonesForm(
                prefix="phones", formdata=None, data={"phones": numbers}
            )
    page_forms.update({k: v for k, v in shown.items() if k.endswith("_form")})
    extras = {k: v for k, v in shown.items() if not k.endswith("_form")}
    html = render_template(
        "admin/practitioner.html", **_state(practitioner), **page_forms, **extras
    )
    return _no_store(html)


@bp.get("/practitioners/<practitioner_id>")
@admins_only
def practitioner(practitioner_id: str) -> BaseResponse:
    return _page(_practitioner(practitioner_id))


def _change(
    practitioner_id: str,
    name: str,
    form: Any,
    act: Callable[[Practitioner, Any], str],
    field: str | None = None,
) -> BaseResponse:
    """Validate the form, make the change through its service and commit. Invalid or refused,
    back to the page (POST-redirect-GET) with what was typed kept and the reason next to the
    form's field; a button's own form (no field) that fails has only its token to blame."""
    practitioner = _practitioner(practitioner_id)
    back = redirect(url_for("admin.practitioner", practitioner_id=practitioner_id))
    if not form.validate_on_submit():
        if name in KEPT_FORMS:
            kept_input.keep(_kept_page(practitioner_id, name), kept_input.invalid(form))
        else:
            flash(EXPIRED, "error")
        return back
    try:
        done = act(practitioner, form)
    except (ValueError, LookupError) as error:
        refused = kept_input.refused(form, Refused(_sentence(str(error)), field))
        if name in KEPT_FORMS:
            kept_input.keep(_kept_page(practitioner_id, name), refused)
        return back
    db.session.commit()
    flash(done, "success")
    return back


@bp.post("/practitioners/<practitioner_id>/unlock")
@admins_only
def unlock(practitioner_id: str) -> BaseResponse:
    def act(p: Practitioner, form: Any) -> str:
        administration.unlock(p, form.reason.data, by=_actor())
        return "Unlocked: they may try again."

    form = forms.ReasonForm(prefix="unlock")
    return _change(practitioner_id, "unlock_form", form, act, "reason")


@bp.post("/practitioners/<practitioner_id>/suspend")
@admins_only
def suspend(practitioner_id: str) -> BaseResponse:
    def act(p: Practitioner, form: Any) -> str:
        administration.suspend(p, form.reason.data, by=_actor())
        return "Suspended: they will be told their access is not active."

    form = forms.ReasonForm(prefix="suspend")
    return _change(practitioner_id, "suspend_form", form, act, "reason")


@bp.post("/practitioners/<practitioner_id>/reactivate")
@admins_only
def reactivate(practitioner_id: str) -> BaseResponse:
    def act(p: Practitioner, form: Any) -> str:
        administration.reactivate(p, by=_actor())
        return "Reactivated."

    return _change(practitioner_id, "plain_form", forms.EmptyForm(), act)


@bp.post("/practitioners/<practitioner_id>/activation")
@admins_only
def new_activation(practitioner_id: str) -> BaseResponse:
    """A new activation code (a PIN reset), shown once on the page or as a letter."""
    practitioner = _practitioner(practitioner_id)
    form = forms.ActivationForm(prefix="activation")
    if not form.validate_on_submit():
        kept_input.keep(_kept_page(practitioner_id, "activation_form"), kept_input.invalid(form))
        return redirect(url_for("admin.practitioner", practitioner_id=practitioner_id))
    # Valid, the page answers the POST itself: it shows the new code once, and a code is
    # never put in the session to survive a redirect (nor is the soft token's secret below).
    delivery = form.delivery.data
    issued = administration.issue_activation(practitioner, utcnow(), by=_actor(), delivery=delivery)
    db.session.commit()
    if delivery == "letter":
        pdf = letters.render([letters.Letter(practitioner, issued)])
        response = make_response(pdf)
        response.headers["Content-Type"] = "application/pdf"
        response.headers["Content-Disposition"] = (
            f'attachment; filename="activation-{practitioner.id}.pdf"'
        )
        response.headers["Cache-Control"] = "no-store"
        return response
    return _page(practitioner, shown_code=issued)


@bp.post("/practitioners/<practitioner_id>/token/assign")
@admins_only
def assign_token(practitioner_id: str) -> BaseResponse:
    def act(p: Practitioner, form: Any) -> str:
        token = tokens.assign(form.serial.data, p, by=_actor())
        return f"Token {token.serial} assigned."

    form = forms.AssignTokenForm(prefix="assign")
    return _change(practitioner_id, "assign_form", form, act, "serial")


@bp.post("/practitioners/<practitioner_id>/token/resync")
@admins_only
def resync_token(practitioner_id: str) -> BaseResponse:
    def act(p: Practitioner, form: Any) -> str:
        drift = tokens.resync(p, form.first.data, form.second.data, utcnow(), by=_actor())
        way = "ahead" if drift >= 0 else "behind"
        return f"Token resynchronised: its clock is {abs(drift) * 30} seconds {way}."

    form = forms.ResyncForm(prefix="resync")
    return _change(practitioner_id, "resync_form", form, act, "second")


@bp.post("/practitioners/<practitioner_id>/token/lost")
@admins_only
def token_lost(practitioner_id: str) -> BaseResponse:
    def act(p: Practitioner, form: Any) -> str:
        serial = tokens.mark_lost(p, by=_actor())
        return f"Token {serial or ''} marked lost: calls are refused until another is assigned."

    return _change(practitioner_id, "plain_form", forms.EmptyForm(), act)


@bp.post("/practitioners/<practitioner_id>/token/retire")
@admins_only
def token_retire(practitioner_id: str) -> BaseResponse:
    def act(p: Practitioner, form: Any) -> str:
        serial = tokens.retire(p, by=_actor())
        return f"Token {serial or ''} retired: calls are refused until another is assigned."

    return _change(practitioner_id, "plain_form", forms.EmptyForm(), act)


@bp.post("/practitioners/<practitioner_id>/token/soft")
@admins_only
def soft_token(practitioner_id: str) -> BaseResponse:
    practitioner = _practitioner(practitioner_id)
    form = forms.EmptyForm()
    if not form.validate_on_submit():
        flash(EXPIRED, "error")
        return redirect(url_for("admin.practitioner", practitioner_id=practitioner_id))
    secret = tokens.issue_soft(practitioner, by=_actor())
    db.session.commit()
    uri = totp.provisioning_uri(secret, practitioner.id)
    return _page(practitioner, soft_token={"secret": secret, "qr": qr_svg(uri)})


@bp.post("/practitioners/<practitioner_id>/phones")
@admins_only
def phones(practitioner_id: str) -> BaseResponse:
    def act(p: Practitioner, form: Any) -> str:
        changed = administration.set_phones(p, form.numbers(), by=_actor())
        return "Registered numbers saved." if changed else "The registered numbers are unchanged."

    form = forms.PhonesForm(prefix="phones")
    return _change(practitioner_id, "phones_form", form, act, "phones")


@bp.get("/lapsing")
@admins_only
def lapsing_lists() -> str:
    """Whose vetting or training lapses in the next 30 days, and the dates from a file."""
    form = kept_input.form_again(forms.DatesFileForm, kept_input.take("admin.lapsing"))
    today = utcnow().date()
    return render_template(
        "admin/lapsing.html",
        form=form,
        vetting=lapsing(Lapse.VETTING, today),
        training=lapsing(Lapse.TRAINING, today),
    )


@bp.post("/lapsing")
@admins_only
def update_dates() -> BaseResponse:
    """The dates from a file, all or nothing; a file with problems goes back to the page with
    the first of them beside the field (a file cannot be kept: it is chosen again)."""
    form = forms.DatesFileForm()
    back = redirect(url_for("admin.lapsing_lists"))
    if not form.validate_on_submit():
        kept_input.keep("admin.lapsing", kept_input.invalid(form))
        return back
    upload = form.file.data
    suffix = Path(upload.filename or "dates.csv").suffix.lower()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"dates{suffix}"
        upload.save(path)
        report = dates.update(path, enrolment.format_of(path, None), utcnow().date(), by=_actor())
    if report.problem_count:
        db.session.rollback()
        # The session cookie is small: the first problems, and how many there were.
        problems = [
            *report.problems[:PROBLEMS_SHOWN],
            f"{report.problem_count} of {report.lines} lines have problems: nothing was changed.",
        ]
        kept_input.keep("admin.lapsing", kept_input.Attempt({}, {"file": problems}))
        return back
    db.session.commit()
    flash(f"Dates updated for {report.updated}; {report.unchanged} unchanged.", "success")
    return back


def _staff_page(**shown: Any) -> BaseResponse:
    add_form = shown.pop("add_form", None) or forms.AddStaffForm(formdata=None)
    html = render_template(
        "admin/staff.html",
        everyone=accounts.all_staff(),
        add_form=add_form,
        plain_form=forms.EmptyForm(),
        authority_names=lambda codes: sorted(authority_name(code) for code in codes),
        **shown,
    )
    return _no_store(html)


@bp.get("/staff")
@admins_only
def staff() -> BaseResponse:
    kept = kept_input.take("admin.add_staff")
    return _staff_page(add_form=kept_input.form_again(forms.AddStaffForm, kept) if kept else None)


def _enrolment(member: Staff, secret: str, password: str | None = None) -> dict[str, Any]:
    uri = totp.provisioning_uri(secret, member.username)
    return {"username": member.username, "secret": secret, "password": password, "qr": qr_svg(uri)}


@bp.post("/staff")
@admins_only
def add_staff() -> BaseResponse:
    form = forms.AddStaffForm()
    back = redirect(url_for("admin.staff"))
    if not form.validate_on_submit():
        kept_input.keep("admin.add_staff", kept_input.invalid(form))
        return back
    # A first password nobody chose, shown once with the authenticator to hand over (so a
    # success answers the POST itself: neither goes into the session to survive a redirect).
    password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
    try:
        member, secret = accounts.add_staff(
            form.username.data,
            form.name.data,
            form.role.data,
            password,
            phone_leg=form.phone_leg.data or None,
            by=current_user._get_current_object(),
            scopes=tuple(form.authorities.data or ()),
        )
    except ValueError as error:
        fields = {"username": "username", "phone": "phone_leg", "name": "name"}
        fields["authorit"] = "authorities"
        at = next((f for word, f in fields.items() if word in str(error)), "username")
        refusal = Refused(_sentence(str(error)), at)
        kept_input.keep("admin.add_staff", kept_input.refused(form, refusal))
        return back
    db.session.commit()
    flash(f"Added {member.role.label.lower()} {member.username}.", "success")
    return _staff_page(enrolled=_enrolment(member, secret, password))


def _member(username: str) -> Staff:
    try:
        return accounts.get(username)
    except LookupError:
        abort(404)


def _staff_change(username: str, act: Callable[[Staff], str]) -> BaseResponse:
    member = _member(username)
    if not forms.EmptyForm().validate_on_submit():
        flash(EXPIRED, "error")
        return redirect(url_for("admin.staff"))
    done = act(member)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("admin.staff"))


@bp.post("/staff/<username>/disable")
@admins_only
def disable_staff(username: str) -> BaseResponse:
    def act(member: Staff) -> str:
        if member.id == current_user.id:
            return "You cannot disable your own account."
        accounts.disable(member, by=current_user._get_current_object())
        return f"{member.username} disabled: their sessions have ended."

    return _staff_change(username, act)


@bp.post("/staff/<username>/unlock")
@admins_only
def unlock_staff(username: str) -> BaseResponse:
    def act(member: Staff) -> str:
        accounts.unlock(member, by=current_user._get_current_object())
        return f"{member.username} unlocked."

    return _staff_change(username, act)


@bp.post("/staff/<username>/authenticator")
@admins_only
def reenrol_staff(username: str) -> BaseResponse:
    member = _member(username)
    if not forms.EmptyForm().validate_on_submit():
        flash(EXPIRED, "error")
        return redirect(url_for("admin.staff"))
    secret = accounts.reenrol_authenticator(member, by=current_user._get_current_object())
    db.session.commit()
    flash(f"New authenticator for {member.username}: the old one no longer works.", "success")
    return _staff_page(enrolled=_enrolment(member, secret))
