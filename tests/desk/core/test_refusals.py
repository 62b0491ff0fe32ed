"""A refused request is undone; an audited refusal then leaves its own audit row, and only it."""

from flask import Flask

from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.refusals import AuditedRefusal, Refused, settle_refusal
from tests.stored import audit_events


def test_a_refusal_is_rolled_back_and_an_audited_one_keeps_only_its_own_row(ctx: Flask) -> None:
    record(Event.SEARCH_REFUSED, data={"reason": "not kept"})
    settle_refusal(Refused("Not now."))
    assert audit_events(ctx, Event.SEARCH_REFUSED) == []

    record(Event.SEARCH_MADE, data={"written": "before the refusal"})
    settle_refusal(AuditedRefusal("Not like that.", Event.SEARCH_REFUSED, data={"reason": "kept"}))
    assert [e.data for e in audit_events(ctx, Event.SEARCH_REFUSED)] == [{"reason": "kept"}]
    assert audit_events(ctx, Event.SEARCH_MADE) == []
