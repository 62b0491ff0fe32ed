"""Is this server ready to take traffic? The checks behind /readyz, each cheap enough to poll.

Liveness (/healthz) asks only that the process answers; readiness asks what a request needs:
the database, the audit log writable by the desk's role, the rate limits' storage, and an audit
checkpoint recent enough that the log's newest rows are not long unprotected.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from desk.core.audit import anchoring
from desk.core.audit.events import Event
from desk.core.audit.models import AuditEvent
from desk.core.extensions import db

# A checkpoint older than this many intervals, with rows added since, is overdue.
OVERDUE_INTERVALS = 2
REDIS_TIMEOUT_SECONDS = 1.0


class NotReady(Exception):
    """A check failed; args[0] says what, without secrets or anyone's details."""


def database() -> str:
    db.session.execute(text("SELECT 1"))
    return "answering"


def audit_log() -> str:
    if db.session.get_bind().dialect.name != "postgresql":
        return "writable"
    may_insert = db.session.scalar(
        text("SELECT has_table_privilege(current_user, 'audit_events', 'INSERT')")
    )
    if not may_insert:
        raise NotReady("the desk's database role may not add to the audit log")
    return "writable"


def rate_limits() -> str:
    storage = str(current_app.config["DESK_RATE_LIMIT_STORAGE"])
    if not storage.startswith(("redis://", "rediss://")):
        return "not counted in Redis"
    try:
        Redis.from_url(storage, socket_timeout=REDIS_TIMEOUT_SECONDS).ping()
    except RedisError as error:
        raise NotReady("Redis, where rate limits are counted, does not answer") from error
    return "answering"


def checkpoint(now: datetime) -> str:
    if anchoring.verify_key() is None or anchoring.witness() is None:
        return "not configured"
    newest = anchoring.newest_checkpoint()
    # The newest row that is not a checkpoint's own record (those come after what they sign).
    last_row_at = db.session.scalar(
        select(AuditEvent.occurred_at)
        .where(AuditEvent.kind != Event.AUDIT_CHECKPOINTED)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    if newest is None:
        if last_row_at is None:
            return "nothing to sign yet"
        raise NotReady("the audit log has no checkpoint at its witness")
    signed_at = newest.checkpoint.signed_at
    interval = timedelta(minutes=current_app.config["DESK_AUDIT_CHECKPOINT_MINUTES"])
    is_overdue = now - signed_at > OVERDUE_INTERVALS * interval
    # A quiet log needs no new checkpoint: nothing was added since the last was signed.
    # Signed to the second: a row from the second it was signed in may be one it covers.
    if is_overdue and last_row_at is not None and last_row_at > signed_at + timedelta(seconds=1):
        raise NotReady(f"the newest audit checkpoint is overdue (signed {signed_at:%H:%M} UTC)")
    return f"signed {signed_at:%Y-%m-%d %H:%M} UTC"


def report(now: datetime) -> tuple[dict[str, str], bool]:
    """Each check's answer (or why it failed), and whether every one passed."""
    checks: dict[str, Callable[[], str]] = {
        "database": database,
        "audit_log": audit_log,
        "rate_limits": rate_limits,
        "audit_checkpoint": lambda: checkpoint(now),
    }
    answers: dict[str, str] = {}
    ready = True
    for name, check in checks.items():
        try:
            answers[name] = check()
        except NotReady as failure:
            answers[name], ready = f"not ready: {failure}", False
        except (SQLAlchemyError, OSError) as error:
            current_app.logger.warning("Readiness check %s failed: %s", name, type(error).__name__)
            answers[name], ready = f"not ready: {type(error).__name__}", False
            db.session.rollback()
    return answers, ready
