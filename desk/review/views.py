"""Supervisors' pages, of one shape: parse, call a service, commit once, render or redirect.

A GET writes one thing only, the audit of what the supervisor saw (`_audited_view`): no page
assesses a call (desk/review/assessment.py does, at wrap-up). A refusal reaches the
supervisor through `refused`, but the sign-off's, which goes back with the comment kept.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse
from wtforms.fields import SelectChoice

from desk.console.models import Handling
from desk.core import kept_input
from desk.core.extensions import db
from desk.core.refusals import Refused, settle_refusal
from desk.core.types import utcnow
from desk.review import assessment, listing, reviews, wallboard
from desk.review.dashboard import PERIODS, dashboard, local_today
from desk.review.flags import LABELS
from desk.review.forms import FilterForm, SignOffForm
from desk.review.timeline import duration, outcome_label, purpose_label
from desk.staff.access import role_required
from desk.staff.models import Role
from desk.staff.sessions import background
from ivr.models import Call

bp = Blueprint("review", __name__, url_prefix="/review")
supervisors_only = role_required(Role.SUPERVISOR, Role.ADMIN)


@bp.context_processor
def words() -> dict[str, object]:
    return {
        "local_time": _local_time,
        "duration": duration,
        "outcome_label": outcome_label,
        "purpose_label": purpose_label,
        "flag_labels": LABELS,
    }


def _zone() -> str:
    return str(current_app.config["DESK_TIMEZONE"])


def _local_time(at: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    """A UTC time as the desk's clock shows it."""
    return at.astimezone(ZoneInfo(_zone())).strftime(fmt) if at else "—"


def _audited_view(page: str, call: Call | None = None, **details: object) -> None:
    """The one write a GET makes: which supervisor saw what, committed before it is shown."""
    reviews.note_view(current_user, page, call, **details)
    db.session.commit()


@bp.errorhandler(Refused)
def refused(refusal: Refused) -> BaseResponse:
    """Every refusal, one way: nothing of the request is kept but an audited refusal's own row
    (desk.core.refusals), and the page it concerns says why."""
    settle_refusal(refusal)
    flash(refusal.message, "error")
    args = request.view_args or {}
    if "public_id" in args:
        return redirect(url_for("review.call", public_id=args["public_id"]))
    return redirect(url_for("review.calls"))


def _mediated_call(public_id: str) -> tuple[Call, Handling]:
    found = listing.mediated_call(public_id)
    if found is None:
        abort(404)
    return found


@bp.get("/")
@supervisors_only
def calls() -> str:
    form = FilterForm(formdata=request.args)
    operators = listing.operators_who_took_calls()
    form.operator.choices += [SelectChoice(str(s.id), s.name) for s in operators]
    is_valid = form.validate()
    page = (
        listing.page_of(form.filters(), form.page.data or 1, _zone())
        if is_valid
        else listing.Page([], 1, 0)
    )
    unassessed = assessment.pending_count()
    _audited_view("calls", filters=form.query(), page_number=page.number)
    return render_template(
        "review/calls.html", form=form, page=page, is_valid=is_valid, unassessed=unassessed
    )


@bp.get("/calls/<public_id>")
@supervisors_only
def call(public_id: str) -> str:
    found, handling = _mediated_call(public_id)
    form = kept_input.form_again(SignOffForm, kept_input.take(_sign_off_page(public_id)))
    shown = reviews.call_review(current_user, found, handling, _zone())
    _audited_view("call", found)
    following = reviews.next_unreviewed(current_user, found)
    return render_template(
        "review/call.html", shown=shown, call=found, form=form, following=following
    )


def _sign_off_page(public_id: str) -> str:
    return f"review.sign_off:{public_id}"


@bp.post("/calls/<public_id>/sign-off")
@supervisors_only
def sign_off(public_id: str) -> BaseResponse:
    """Sign a call off; an invalid or refused sign-off goes back to the call's page with the
    comment kept and the reason beside it, so refreshing that page sends nothing again."""
    found, handling = _mediated_call(public_id)
    form = SignOffForm()
    back = redirect(url_for("review.call", public_id=public_id))
    if not form.validate_on_submit():
        kept_input.keep(_sign_off_page(public_id), kept_input.invalid(form))
        return back
    try:
        reviews.sign_off(current_user, found, handling, form.comment.data, utcnow())
    except Refused as refusal:
        kept_input.keep(_sign_off_page(public_id), kept_input.refused(form, refusal))
        return back
    db.session.commit()
    flash("Call signed off.", "success")
    return redirect(url_for("review.call", public_id=public_id))


@bp.get("/dashboard")
@supervisors_only
def dashboard_page() -> str:
    period = request.args.get("period", "today")
    if period not in PERIODS:
        period = "today"
    shown = dashboard(period, local_today(utcnow(), _zone()), _zone())
    unassessed = assessment.pending_count()
    _audited_view("dashboard", period=period)
    return render_template(
        "review/dashboard.html", dashboard=shown, periods=PERIODS, unassessed=unassessed
    )


@bp.get("/wallboard")
@supervisors_only
def wallboard_page() -> str:
    """The desk right now; the page polls `wallboard_data` to keep itself up to date."""
    _audited_view("wallboard")
    return render_template("review/wallboard.html", board=wallboard.board(utcnow()))


@bp.get("/wallboard.json")
@background
@supervisors_only
def wallboard_data() -> Response:
    """The wallboard's numbers, fetched every few seconds (not audited: the page was)."""
    return jsonify(wallboard.board(utcnow()).as_json())


@bp.after_request
def no_store(response: Response) -> Response:
    # The pages name practitioners and staff: keep them out of browser and proxy caches.
    response.headers["Cache-Control"] = "no-store"
    return response
