"""The desk's front page, and what a load balancer and a monitor poll (health, metrics)."""

from flask import Blueprint, Response, abort, render_template

from desk.core import metrics
from desk.core.extensions import db
from desk.core.types import utcnow
from desk.web import readiness, scrape

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
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
