"""Managers' pages: the audit report, downloaded, and subject access, answered on screen.

"The only thing that is possible is for a ContactPoint manager, someone very high up, to
download an audit report": only managers reach these pages. The report holds no child data
(desk/review/reports.py); subject access names the one child asked about and is itself
audited, as `flask audit subject` is.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    stream_with_context,
)
from flask_login import current_user

from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.extensions import db
from desk.core.types import utcnow
from desk.records import contactpoint
from desk.review import reports, reviews
from desk.review.dashboard import local_today
from desk.review.forms import ReportForm
from desk.review.subject import subject_access
from desk.review.timeline import purpose_label
from desk.staff.access import role_required
from desk.staff.models import Role

bp = Blueprint("manager", __name__, url_prefix="/manager")
managers_only = role_required(Role.MANAGER)


def _zone() -> str:
    return str(current_app.config["DESK_TIMEZONE"])


def _viewed(page: str, **details: object) -> None:
    record(Event.MANAGER_PAGE_VIEWED, supervisor_id=current_user.id, data={"page": page, **details})
    db.session.commit()


@bp.get("/")
@managers_only
def report() -> str:
    form = ReportForm(formdata=request.args or None)
    if not request.args:
        today = local_today(utcnow(), _zone())
        form.date_from.data, form.date_to.data = today.replace(day=1), today
    _viewed("report")
    return render_template("manager/report.html", form=form, columns=reports.COLUMNS)


@bp.get("/report.csv")
@managers_only
def report_csv() -> tuple[str, int] | Response:
    form = ReportForm(formdata=request.args)
    if not form.validate():
        _viewed("report")
        return render_template("manager/report.html", form=form, columns=reports.COLUMNS), 400
    first, last = form.period()
    count = reports.report_count(first, last, _zone())
    words = bool(form.with_purpose_words.data)
    # What it shows: the period, and whether the purposes' words were in it.
    reviews.note_download(current_user, first, last, count, words)
    db.session.commit()
    return Response(
        stream_with_context(reports.report_lines(first, last, _zone(), words)),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={_report_name(first, last)}"},
    )


def _report_name(first: date, last: date) -> str:
    return f"desk-audit-{first.isoformat()}-to-{last.isoformat()}.csv"


@bp.get("/subject")
@managers_only
def subject() -> tuple[str, int] | str:
    raw = request.args.get("number", "")
    number = "".join(raw.split())
    if not raw:
        _viewed("subject")
        return render_template("manager/subject.html", number="", calls=None, error=None)
    if not contactpoint.is_valid(number):
        _viewed("subject")
        error = "That is not a valid ContactPoint number."
        return render_template("manager/subject.html", number=raw, calls=None, error=error), 400
    calls = subject_access(number, by=current_user.username, staff_id=current_user.id)
    db.session.commit()
    return render_template(
        "manager/subject.html",
        number=number,
        calls=calls,
        error=None,
        purpose_label=purpose_label,
        zone=_zone(),
        asked_at=utcnow(),
        local=_local,
    )


def _local(at: datetime, fmt: str) -> str:
    return at.astimezone(ZoneInfo(_zone())).strftime(fmt)


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
