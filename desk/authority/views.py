"""Local authority officers' pages: the brokered-contact workbench and shielding.

Each page parses, calls a service, commits once, then renders or redirects; a GET writes only
the audit of what the officer saw. Anything outside the officer's authorities is a 404.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse

from desk.authority import brokering, shielding
from desk.authority.forms import CloseForm, ShieldForm, StepForm
from desk.authority.scope import OutOfScope, audit
from desk.console.forms import ActionForm
from desk.console.models import (
    BROKERED_OUTCOME_LABELS,
    STEP_LABELS,
    BrokeredOutcome,
    BrokeredRequest,
    StepKind,
)
from desk.core import kept_input
from desk.core.audit.events import Event
from desk.core.authorities import authority_name
from desk.core.extensions import db
from desk.core.refusals import Refused, settle_refusal
from desk.core.types import utcnow
from desk.records.models import SHIELD_REASON_LABELS, Child, ShieldReason
from desk.staff.access import role_required
from desk.staff.models import Role

bp = Blueprint("authority", __name__, url_prefix="/authority")
officers_only = role_required(Role.LA_OFFICER)


def _zone() -> str:
    return str(current_app.config["DESK_TIMEZONE"])


def _local_time(at: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    """A UTC time as the desk's clock shows it."""
    return at.astimezone(ZoneInfo(_zone())).strftime(fmt) if at else "—"


@bp.context_processor
def words() -> dict[str, object]:
    return {
        "local_time": _local_time,
        "authority_name": authority_name,
        "outcome_labels": {o.value: label for o, label in BROKERED_OUTCOME_LABELS.items()},
        "step_labels": {k.value: label for k, label in STEP_LABELS.items()},
        "reason_labels": {r.value: label for r, label in SHIELD_REASON_LABELS.items()},
    }


@bp.errorhandler(Refused)
def refused(refusal: Refused) -> BaseResponse:
    settle_refusal(refusal)
    flash(refusal.message, "error")
    args = request.view_args or {}
    if "request_id" in args:
        return redirect(url_for("authority.request_page", request_id=args["request_id"]))
    if request.endpoint in {
        "authority.add_shield",
        "authority.request_unshield",
        "authority.approve_unshield",
    }:
        return redirect(url_for("authority.shields"))
    return redirect(url_for("authority.workbench"))


def _viewed(page: str, **details: object) -> None:
    audit(Event.AUTHORITY_PAGE_VIEWED, current_user, None, page=page, **details)
    db.session.commit()


def _working_days() -> int:
    return int(current_app.config["DESK_BROKERED_DUE_WORKING_DAYS"])


@bp.get("/")
@officers_only
def workbench() -> str:
    waiting = brokering.workbench(current_user, utcnow(), _working_days(), _zone())
    _viewed("workbench", requests=len(waiting))
    return render_template("authority/workbench.html", waiting=waiting, form=ActionForm())


def _request(request_id: int) -> BrokeredRequest:
    return brokering.request_in_scope(current_user, request_id)


@bp.get("/requests/<int:request_id>")
@officers_only
def request_page(request_id: int) -> str:
    shown = brokering.worked(current_user, _request(request_id))
    due = brokering.due_at(shown.request.requested_at, _working_days(), _zone())
    db.session.commit()  # the audit of the record's view, before it is shown
    return render_template(
        "authority/request.html",
        shown=shown,
        due=due,
        is_overdue=utcnow() > due and not shown.request.is_closed,
        form=ActionForm(),
        step_form=kept_input.form_again(StepForm, kept_input.take(f"authority.step:{request_id}")),
        close_form=kept_input.form_again(
            CloseForm, kept_input.take(f"authority.close:{request_id}")
        ),
    )


@bp.post("/requests/<int:request_id>/claim")
@officers_only
def claim(request_id: int) -> BaseResponse:
    if not ActionForm().validate_on_submit():
        raise Refused("The form had expired: try again.")
    brokering.claim(current_user, _request(request_id), utcnow())
    db.session.commit()
    flash("You have claimed the request.", "success")
    return redirect(url_for("authority.request_page", request_id=request_id))


@bp.post("/requests/<int:request_id>/steps")
@officers_only
def step(request_id: int) -> BaseResponse:
    form, page = StepForm(), f"authority.step:{request_id}"
    back = redirect(url_for("authority.request_page", request_id=request_id))
    if not form.validate_on_submit():
        kept_input.keep(page, kept_input.invalid(form))
        return back
    try:
        kind = StepKind(form.kind.data)
        brokering.log_step(current_user, _request(request_id), kind, form.note.data or "", utcnow())
    except Refused as refusal:
        return _kept_refusal(page, form, refusal, back)
    db.session.commit()
    flash("Noted.", "success")
    return redirect(url_for("authority.request_page", request_id=request_id))


@bp.post("/requests/<int:request_id>/close")
@officers_only
def close(request_id: int) -> BaseResponse:
    form, page = CloseForm(), f"authority.close:{request_id}"
    back = redirect(url_for("authority.request_page", request_id=request_id))
    if not form.validate_on_submit():
        kept_input.keep(page, kept_input.invalid(form))
        return back
    brokered = _request(request_id)
    outcome = BrokeredOutcome(form.outcome.data)
    try:
        brokering.close(current_user, brokered, outcome, form.outcome_note.data, utcnow())
    except Refused as refusal:
        return _kept_refusal(page, form, refusal, back)
    # The outcome is kept before Twilio is asked anything: a failed text never reopens it.
    db.session.commit()
    status = brokering.notify(current_user, brokered)
    db.session.commit()
    reference = brokered.reference
    if status == "sent":
        flash(f"Request {reference} closed; the practitioner has been sent the outcome.", "success")
    elif status == "no_mobile":
        flash(
            f"Request {reference} closed. The practitioner has no registered mobile: "
            "tell them the outcome by phone.",
            "warning",
        )
    else:
        flash(
            f"Request {reference} closed, but the text message could not be sent: "
            "tell the practitioner the outcome by phone.",
            "warning",
        )
    return redirect(url_for("authority.request_page", request_id=request_id))


@bp.get("/shields")
@officers_only
def shields() -> str:
    due, standing = shielding.shields_of(current_user, utcnow().date())
    _viewed("shields", due=len(due), standing=len(standing))
    return render_template(
        "authority/shields.html",
        due=due,
        standing=standing,
        shield_form=kept_input.form_again(ShieldForm, kept_input.take("authority.add_shield")),
        form=ActionForm(),
        today=utcnow().date(),
    )


@bp.post("/shields")
@officers_only
def add_shield() -> BaseResponse:
    form, page = ShieldForm(), "authority.add_shield"
    back = redirect(url_for("authority.shields"))
    if not form.validate_on_submit():
        kept_input.keep(page, kept_input.invalid(form))
        return back
    try:
        child = _child_to_shield(form.contactpoint_number.data)
        reason = ShieldReason(form.reason.data)
        shielding.shield(current_user, child, reason, form.review_on.data, utcnow())
    except Refused as refusal:
        return _kept_refusal(page, form, refusal, back)
    db.session.commit()
    flash("The child is shielded, from now.", "success")
    return redirect(url_for("authority.shields"))


def _child_to_shield(contactpoint_number: str) -> Child:
    try:
        return shielding.find_child(current_user, contactpoint_number)
    except OutOfScope:
        # Said the same way whether the child is elsewhere or nowhere.
        raise Refused(
            "No child of your authorities has that ContactPoint number.",
            field="contactpoint_number",
        ) from None


def _kept_refusal(page: str, form: FlaskForm, refusal: Refused, back: BaseResponse) -> BaseResponse:
    """A form the service refused: back to its page, what was typed kept, the reason beside
    its field, so refreshing the page sends nothing again."""
    kept_input.keep(page, kept_input.refused(form, refusal))
    return back


@bp.post("/shields/<int:shield_id>/unshield")
@officers_only
def request_unshield(shield_id: int) -> BaseResponse:
    if not ActionForm().validate_on_submit():
        raise Refused("The form had expired: try again.")
    shielding.request_unshield(current_user, shield_id, utcnow())
    db.session.commit()
    flash("Lifting the shield is asked for: a second officer must approve it.", "success")
    return redirect(url_for("authority.shields"))


@bp.post("/shields/<int:shield_id>/approve")
@officers_only
def approve_unshield(shield_id: int) -> BaseResponse:
    if not ActionForm().validate_on_submit():
        raise Refused("The form had expired: try again.")
    shielding.approve_unshield(current_user, shield_id, utcnow())
    db.session.commit()
    flash("The shield is lifted.", "success")
    return redirect(url_for("authority.shields"))


@bp.after_request
def no_store(response: Response) -> Response:
    # The pages show children's whole records: keep them out of browser and proxy caches.
    response.headers["Cache-Control"] = "no-store"
    return response
