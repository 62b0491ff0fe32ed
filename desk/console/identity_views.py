"""The operator's later checks of who is on the line: call back on a registered number, ask
the caller to key their code. Each commits its intent, makes one REST call with nothing
open, records how it went and commits again (desk/console/rechecking.py)."""

from flask import Blueprint, flash, redirect
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from desk.console import handling as handlings
from desk.console import rechecking
from desk.console.answering import after_commit, refusals_back_to, to_call_page, valid
from desk.console.call_page import call_back_form
from desk.console.forms import ActionForm
from desk.core.extensions import db
from desk.core.refusals import Refused
from desk.core.types import utcnow
from desk.staff.access import role_required
from desk.staff.models import Role

bp = Blueprint("identity", __name__, url_prefix="/console")
operators_only = role_required(Role.OPERATOR)


@bp.post("/calls/<public_id>/call-back")
@operators_only
@refusals_back_to(to_call_page)
def call_back(public_id: str) -> BaseResponse:
    held = handlings.active_handling(current_user, public_id, utcnow())
    form = call_back_form(held)
    if not form.validate_on_submit():
        raise Refused("Choose one of the practitioner's registered numbers to call.")
    work = rechecking.call_back(current_user, held, form.phone.data, utcnow())
    leg_sid = after_commit(work)
    failed = rechecking.finish_call_back(work, leg_sid, utcnow())
    db.session.commit()
    if failed:
        flash(failed, "error")
    else:
        flash(f"Calling {work.to}: the practitioner keys their PIN and a fresh code.", "success")
    return redirect(to_call_page(public_id))


@bp.post("/calls/<public_id>/key-again")
@operators_only
@refusals_back_to(to_call_page)
def key_again(public_id: str) -> BaseResponse:
    held = handlings.active_handling(current_user, public_id, utcnow())
    valid(ActionForm())
    work = rechecking.ask_to_key(current_user, held, utcnow())
    refused = after_commit(work)
    failed = rechecking.finish_asking(work, refused, utcnow())
    db.session.commit()
    if failed:
        flash(failed, "error")
    else:
        flash("The caller is keying their code: you will see the outcome here.", "success")
    return redirect(to_call_page(public_id))
