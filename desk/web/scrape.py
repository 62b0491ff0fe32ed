"""What /metrics reports beyond the counts: gauges read from the database as it is scraped.

The scrape is allowed only from this machine and never through the proxy (see `is_local`):
nginx refuses /metrics to the world as well (deploy/nginx-site.conf.template), so the
endpoint stays closed even if one of the two is misconfigured.
"""

from datetime import datetime
from ipaddress import ip_address

from flask import request
from sqlalchemy import func, select

from desk.core import metrics
from desk.core.audit.events import Event
from desk.core.audit.models import AuditEvent
from desk.core.extensions import db
from ivr.models import Call, CallStatus

FORWARDED = ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Real-IP")


def is_local() -> bool:
    """Whether the request came straight from this machine, not through a proxy.

    The connection's own address, as gunicorn saw it (before ProxyFix rewrote it), must be a
    loopback one, and the request must carry no forwarding header: nginx, which connects from
    loopback too, always adds X-Forwarded-For.
    """
    original = request.environ.get("werkzeug.proxy_fix.orig", {})
    peer = original.get("REMOTE_ADDR") or request.environ.get("REMOTE_ADDR") or ""
    try:
        is_loopback = ip_address(peer).is_loopback
    except ValueError:
        return False
    return is_loopback and not any(request.headers.get(name) for name in FORWARDED)


def gauges(now: datetime) -> metrics.Now:
    """The queue's length and longest wait, and the newest audit checkpoint's age, now."""
    queued, oldest = db.session.execute(
        select(func.count(Call.id), func.min(Call.queued_at)).where(
            Call.status == CallStatus.QUEUED, Call.practitioner_id.is_not(None)
        )
    ).one()
    checkpointed = db.session.scalar(
        select(func.max(AuditEvent.occurred_at)).where(AuditEvent.kind == Event.AUDIT_CHECKPOINTED)
    )
    db.session.rollback()  # it only read
    return metrics.Now(
        [
            ("desk_queue_length", "Verified callers waiting for an operator.", queued),
            (
                "desk_queue_longest_wait_seconds",
                "How long the caller first in the queue has waited.",
                (now - oldest).total_seconds() if oldest else 0.0,
            ),
            (
                "desk_audit_checkpoint_age_seconds",
                "Time since the newest audit checkpoint was recorded (absent: none yet).",
                (now - checkpointed).total_seconds() if checkpointed else None,
            ),
        ]
    )
