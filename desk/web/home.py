"""The desk's front page and health check."""

from flask import Blueprint, render_template
from sqlalchemy import text

from desk.core.extensions import db

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    return render_template("home/index.html")


@bp.get("/healthz")
def health() -> tuple[dict[str, str], int]:
    """For the load balancer: 200 while the database answers."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        return {"status": "database unavailable"}, 503
    return {"status": "ok"}, 200
