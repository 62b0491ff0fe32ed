"""The desk's front page, and what a load balancer and a monitor poll (health, metrics)."""

from flask import Blueprint, Response, abort, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from desk.core import metrics
from desk.core.extensions import db
from desk.core.types import utcnow
from desk.staff.models import Role
from desk.web import readiness, scrape

bp = Blueprint("home", __name__)

# Where each role's work is: signing in lands there (by way of the front page), and so does the
# desk's name in the header.
LANDING_PAGES = {
    Role.OPERATOR: "console.queue",
    Role.SUPERVISOR: "review.calls",
    Role.LA_OFFICER: "authority.workbench",
    Role.MANAGER: "manager.report",
    Role.ADMIN: "admin.index",
}


@bp.get("/")
def index() -> str | BaseResponse:
    """The signed-in go to their role's work; anyone else reads what the desk is."""
    if current_user.is_authenticated:
        return redirect(url_for(LANDING_PAGES[current_user.role]))
    return render_template("home/index.html")


@bp.get("/healthz")
def health() -> tuple[dict[str, str], int]:
    """Liveness: 200 while this process answers, whatever else is down."""
    return {"status": "ok"}, 200


@bp.get("/readyz")
def ready() -> tuple[dict[str, object], int]:
    """Readiness: 200 when the database, the audit log, Redis and the checkpoints all are."""
    checks, is_ready = readiness.report(utcnow())
    db.session.rollback()  # it only read
    return {"status": "ready" if is_ready else "not ready", "checks": checks}, (
        200 if is_ready else 503
    )


@bp.get("/metrics")
def prometheus() -> Response:
    """Prometheus' scrape: for this machine's own scraper only, never through the proxy."""
    if not scrape.is_local():
        abort(404)
    return Response(metrics.exposition(scrape.gauges(utcnow())), content_type=metrics.CONTENT_TYPE)
