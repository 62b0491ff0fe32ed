"""A refused request is undone, except the audit row of a refusal that is itself audited."""

from flask import Flask

from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.refusals import AuditedRefusal, Refused, settle_refusal
from tests.stored import audit_events


def test_a_refusal_is_rolled_back_and_an_audited_one_committed(ctx: Flask) -> None:
    record(Event.SEARCH_REFUSED, data={"reason": "not kept"})
    settle_refusal(Refused("Not now."))
    assert audit_events(ctx, Event.SEARCH_REFUSED) == []

    record(Event.SEARCH_REFUSED, data={"reason": "kept"})
    settle_refusal(AuditedRefusal("Not like that."))
    assert [e.data for e in audit_events(ctx, Event.SEARCH_REFUSED)] == [{"reason": "kept"}]
