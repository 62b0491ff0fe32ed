"""Signing in and out of the console, and ending sessions that have run their time."""

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from desk.core.extensions import db
from desk.core.types import utcnow
from desk.staff import accounts, sessions
from desk.staff.forms import SignInForm

bp = Blueprint("auth", __name__)

# The one answer to every failed sign-in: it must not say which part was wrong, or that an
# account exists, is disabled or is locked.
NOT_RECOGNISED = "Those details were not recognised."


def safe_next(target: str | None) -> str | None:
    """The page to go to after signing in, if it is a path on this desk; None otherwise."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    # Browsers read a backslash as a slash, and "/\evil.example" as another host.
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Response | str:
    # The front page sends each role on to its own work (desk.web.home).
    destination = safe_next(request.args.get("next")) or url_for("home.index")
    if current_user.is_authenticated:
        return redirect(destination)
    form = SignInForm()
    if form.validate_on_submit():
        now = utcnow()
        staff = accounts.authenticate(form.username.data, form.password.data, form.code.data, now)
        db.session.commit()
        if staff is not None:
            # A fresh session at sign-in: nothing set before it (a CSRF secret included) carries on.
            session.clear()
            session.permanent = True
            login_user(staff)
            sessions.start(session, now)
            return redirect(destination)
        flash(NOT_RECOGNISED, "error")
        form.code.data = ""  # a spent or wrong code is no use in the box again
    return render_template("auth/sign_in.html", form=form)


@bp.post("/sign-out")
def sign_out() -> Response:
    if current_user.is_authenticated:
        accounts.sign_out(current_user._get_current_object())
        db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))


@bp.before_app_request
def end_expired_session() -> Response | None:
    """Sign out a session idle for 30 minutes or 12 hours old, before it does anything else."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = utcnow()
    ending = sessions.ending(session, now)
    if ending is None:
        # A page polling by itself must not keep an unattended session alive.
        if not sessions.is_background(current_app.view_functions.get(request.endpoint or "")):
            sessions.touch(session, now)
        return None
    accounts.sign_out(current_user._get_current_object(), ending)
    db.session.commit()
    logout_user()
    session.clear()
    flash(ending.message, "warning")
    # Back to the page after signing in again, unless the request was a form: its data is gone.
    if request.method == "GET":
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    return redirect(url_for("auth.sign_in"))
