"""Reading back what the desk stored, each in its own app context as a separate request would."""

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from desk.core.audit.models import AuditEvent
from desk.core.extensions import db
from desk.staff.models import Staff
from ivr.models import Call
from verification.models import Practitioner


def stored_call(app: Flask, sid: str) -> Call:
    with app.app_context():
        call = db.session.scalar(select(Call).where(Call.sid == sid))
        assert call is not None, f"no call {sid}"
        db.session.expunge(call)
        return call


def stored_practitioner(app: Flask, practitioner_id: str) -> Practitioner:
    with app.app_context():
        found = db.session.get(Practitioner, practitioner_id)
        assert found is not None, f"no practitioner {practitioner_id}"
        found.phones  # noqa: B018 - load them before the session closes
        db.session.expunge(found)
        return found


def stored_staff(app: Flask, username: str) -> Staff:
    with app.app_context():
        found = db.session.scalar(select(Staff).where(Staff.username == username))
        assert found is not None, f"no member of staff {username}"
        db.session.expunge(found)
        return found


def audit_events(
    app: Flask, kind: str | None = None, call_sid: str | None = None
) -> list[AuditEvent]:
    """Audit rows in order, of one kind and/or one call."""
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.id)
        if kind is not None:
            query = query.where(AuditEvent.kind == kind)
        if call_sid is not None:
            query = query.where(AuditEvent.call_id == stored_call(app, call_sid).id)
        events = list(db.session.scalars(query))
        db.session.expunge_all()
        return events


def audit_kinds(app: Flask, call_sid: str | None = None) -> list[str]:
    return [event.kind for event in audit_events(app, call_sid=call_sid)]


def audit_data(app: Flask, kind: str) -> list[dict[str, Any]]:
    return [event.data for event in audit_events(app, kind)]


def row_counts(app: Flask) -> dict[str, int]:
    """Rows in each of the desk's tables: to see that a request wrote nothing, audit included."""
    with app.app_context():
        return {
            table.name: db.session.scalar(select(func.count()).select_from(table)) or 0
            for table in db.metadata.sorted_tables
        }
