"""The operator's console pages. Each parses, calls a service, commits once, then redirects.

Refusals are answered one way (desk/console/answering.py). Taking and returning a call commit
twice, around their REST calls to Twilio; wrapping up commits before its own (phone.py).
"""

from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from desk.console import call_page, kept_input, lookup, states, taking
from desk.console import handling as handlings
from desk.console.answering import (
    after_commit,
    refusals_back_to,
    to_call_page,
    to_queue,
    to_record_page,
    valid,
)
from desk.console.forms import (
    ActionForm,
    BrokeredForm,
    IdentityForm,
    PurposeForm,
    ReadBackForm,
    SearchForm,
    WrapUpForm,
)
from desk.console.models import PURPOSE_LABELS, Purpose, WrapUp
from desk.console.phone import Connect
from desk.console.queue import waiting_calls
from desk.core.extensions import db
from desk.core.refusals import Refused
from desk.core.types import utcnow
from desk.records.search import Criteria
from desk.staff.access import role_required
from desk.staff.models import Role
from desk.staff.sessions import background
from ivr.models import Call

bp = Blueprint("console", __name__, url_prefix="/console")
operators_only = role_required(Role.OPERATOR)


def _to_call(public_id: str) -> BaseResponse:
    return redirect(to_call_page(public_id))


@bp.get("/")
@operators_only
def queue() -> str | BaseResponse:
    held = handlings.open_handling(current_user)
    if held is not None:
        return _to_call(held.call.public_id)
    return render_template("console/queue.html", **_queue(), form=ActionForm())


@bp.get("/queue/rows")
@background
@operators_only
def queue_rows() -> str:
    """The queue's rows alone, fetched every few seconds by the queue page."""
    return render_template("console/_queue_rows.html", **_queue(), form=ActionForm())


def _queue() -> dict[str, object]:
    """The queue as the operator sees it: who waits, and the operator's own state."""
    now = utcnow()
    return {
        "waiting": waiting_calls(now),
        "state": states.current(current_user, now),
        "wrap_up_left": states.wrap_up_seconds_left(current_user, now),
        "choices": states.CHOSEN,
    }


@bp.post("/calls/<public_id>/take")
@operators_only
@refusals_back_to(to_queue)
def take(public_id: str) -> BaseResponse:
    valid(ActionForm())
    return _connect(taking.take_call(current_user, public_id, utcnow()))


@bp.post("/take-next")
@operators_only
@refusals_back_to(to_queue)
def take_next() -> BaseResponse:
    """The longest-waiting caller, for an available operator."""
    valid(ActionForm())
    return _connect(taking.take_next(current_user, utcnow()))


@bp.post("/state")
@operators_only
@refusals_back_to(to_queue)
def set_state() -> BaseResponse:
    """The operator says they are available (or ready, after after-call work) or away."""
    valid(ActionForm())
    value = request.form.get("state", "")
    chosen = next((status for status in states.CHOSEN if status.value == value), None)
    if chosen is None:
        raise Refused("Choose available or away.")
    states.choose(current_user, chosen, utcnow())
    db.session.commit()
    flash(f"You are now {chosen.label.lower()}.", "success")
    return redirect(url_for("console.queue"))


def _connect(work: Connect) -> BaseResponse:
    """Make the claimed call's REST calls, record how they went, and say so."""
    call = db.session.get(Call, work.call_id)
    assert call is not None  # claimed, and committed, by this operator just now
    public_id = call.public_id
    connection = after_commit(work)
    failed = taking.finish_take(current_user, work, connection, utcnow())
    db.session.commit()
    if failed:
        flash(failed, "error")
        return redirect(url_for("console.queue"))  # or, if the call is still theirs, to it
    flash("Call taken: your phone is ringing. Confirm who the caller is.", "success")
    return _to_call(public_id)


@bp.get("/calls/<public_id>")
@operators_only
@refusals_back_to(to_queue)
def call(public_id: str) -> str | BaseResponse:
    held = handlings.held_call(current_user, public_id)
    return render_template("console/call.html", **call_page.workspace(held))


@bp.post("/calls/<public_id>/identity")
@operators_only
@refusals_back_to(to_call_page)
def confirm_identity(public_id: str) -> str | BaseResponse:
    form = IdentityForm()
    held, invalid = call_page.step_form(public_id, "identity", form)
    if invalid is not None:
        return invalid
    try:
        handlings.confirm_identity(current_user, held, utcnow())
    except Refused as refusal:
        return call_page.refused_step(public_id, "identity", form, refusal)
    db.session.commit()
    call_page.step_done(public_id, "identity")
    flash("Identity confirmed. Now record the purpose of the enquiry.", "success")
    return _to_call(public_id)


@bp.post("/calls/<public_id>/purpose")
@operators_only
@refusals_back_to(to_call_page)
def record_purpose(public_id: str) -> str | BaseResponse:
    form = PurposeForm()
    held, invalid = call_page.step_form(public_id, "purpose", form)
    if invalid is not None:
        return invalid
    try:
        try:
            purpose = Purpose(form.purpose.data)
        except ValueError as error:
            raise Refused("Choose a purpose from the list.", "purpose") from error
        handlings.record_purpose(current_user, held, purpose, form.detail.data or "", utcnow())
    except Refused as refusal:
        return call_page.refused_step(public_id, "purpose", form, refusal)
    db.session.commit()
    call_page.step_done(public_id, "purpose")
    flash("Purpose recorded. You may now search.", "success")
    return _to_call(public_id)


@bp.post("/calls/<public_id>/search")
@operators_only
@refusals_back_to(to_call_page)
def search(public_id: str) -> BaseResponse:
    """Search, then back to the call page (POST-redirect-GET: a refresh never searches again),
    which shows what was typed and, unless it was refused, the results."""
    form = SearchForm()
    held, invalid = call_page.step_form(public_id, "search", form)
    if invalid is not None:
        return invalid
    criteria = Criteria(
        contactpoint_number=(form.contactpoint_number.data or "").strip(),
        family_name=(form.family_name.data or "").strip(),
        given_name=(form.given_name.data or "").strip(),
        date_of_birth=form.date_of_birth.data,
        gender=form.gender.data or "",
        postcode=(form.postcode.data or "").strip(),
    )
    try:
        lookup.search_index(current_user, held, criteria, utcnow())
    except Refused as refusal:
        return call_page.refused_step(public_id, "search", form, refusal)
    db.session.commit()
    searches = len(handlings.active_handling(current_user, public_id, utcnow()).searches)
    typed = kept_input.typed_into(form, request.form)
    kept_input.keep(public_id, "search", kept_input.Attempt(typed, searches=searches))
    # Straight to the results: on a laptop screen they are below the search form.
    return redirect(f"{to_call_page(public_id)}#results")


@bp.post("/calls/<public_id>/release")
@operators_only
@refusals_back_to(to_call_page)
def release(public_id: str) -> BaseResponse:
    held = handlings.active_handling(current_user, public_id, utcnow())
    valid(ActionForm())
    work = handlings.release(current_user, held, utcnow())
    caller = after_commit(work)
    failed = handlings.finish_release(current_user, work, caller, utcnow())
    db.session.commit()
    if failed:
        flash(failed, "error")
        return _to_call(public_id)
    kept_input.forget()
    flash("The call is back in the queue.", "success")
    return redirect(url_for("console.queue"))


@bp.post("/calls/<public_id>/wrap-up")
@operators_only
@refusals_back_to(to_call_page)
def wrap_up(public_id: str) -> str | BaseResponse:
    form = WrapUpForm()
    held, invalid = call_page.step_form(public_id, "wrap_up", form)
    if invalid is not None:
        return invalid
    try:
        try:
            code = WrapUp(form.code.data)
        except ValueError as error:
            raise Refused("Choose a wrap-up from the list.", "code") from error
        work = handlings.wrap_up(current_user, held, code, form.note.data or "", utcnow())
    except Refused as refusal:
        return call_page.refused_step(public_id, "wrap_up", form, refusal)
    after_commit(work)  # hanging up has no outcome to record: a failure is only logged
    kept_input.forget()
    flash("Call wrapped up. You can take the next call.", "success")
    return redirect(url_for("console.queue"))


@bp.get("/calls/<public_id>/records/<token>")
@operators_only
@refusals_back_to(to_call_page)
def open_record(public_id: str, token: str) -> str | BaseResponse:
    held = handlings.active_handling(current_user, public_id, utcnow())
    opened = lookup.open_record(current_user, held, token, utcnow())
    db.session.commit()
    return render_template(
        "console/record.html",
        held=held,
        call=held.call,
        opened=opened,
        practitioner=held.call.practitioner,
        purposes=PURPOSE_LABELS,
        read_form=ReadBackForm(),
        brokered_form=BrokeredForm(),
        brokered=lookup.brokered_request(opened.match),
    )


def _in_place() -> bool:
    """Whether the page asked for the answer as data, to update itself (static/in_place.js)."""
    return request.headers.get("X-Requested-With") == "fetch"


@bp.post("/calls/<public_id>/records/<token>/read-back")
@operators_only
@refusals_back_to(to_record_page)
def read_back(public_id: str, token: str) -> BaseResponse:
    held = handlings.active_handling(current_user, public_id, utcnow())
    form = ReadBackForm()
    valid(form)
    label = lookup.read_back(current_user, held, token, form.item_key.data, utcnow())
    db.session.commit()
    said = f"Marked as read back: {label}."
    if _in_place():
        return jsonify(message=said)
    flash(said, "success")
    # Back to the row read, not the top of the record.
    row = "item-" + form.item_key.data.replace(".", "-")
    return redirect(f"{to_record_page(public_id, token)}#{row}")


@bp.post("/calls/<public_id>/records/<token>/brokered")
@operators_only
@refusals_back_to(to_record_page)
def brokered(public_id: str, token: str) -> BaseResponse:
    held = handlings.active_handling(current_user, public_id, utcnow())
    form = BrokeredForm()
    if not form.validate_on_submit():
        raise Refused("Say why the caller needs to be put in touch.")
    lookup.request_brokered_contact(current_user, held, token, form.reason.data, utcnow())
    db.session.commit()
    said = "Brokered contact requested from the local authority ContactPoint team."
    if _in_place():
        return jsonify(message=said)
    flash(said, "success")
    return redirect(to_record_page(public_id, token))


@bp.after_request
def no_store(response: Response) -> Response:
    # Console pages show children's details: never keep them in a browser or proxy cache.
    response.headers["Cache-Control"] = "no-store"
    return response
