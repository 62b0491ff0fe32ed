"""Two officers claiming one request at the same moment: exactly one has it."""

import secrets
from datetime import UTC, datetime

from flask import Flask

from desk.authority.brokering import claim
from desk.console.models import BrokeredRequest, Handling, Match, Search
from desk.core.extensions import db
from desk.core.refusals import Refused
from desk.core.types import utcnow
from desk.staff.models import Role, Staff
from ivr.models import Call, CallStatus
from tests.children import ROCHDALE
from tests.factories import make_practitioner, make_staff
from tests.races import together

AT = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def test_of_two_officers_claiming_at_once_one_wins(committed_app: Flask) -> None:
    app = committed_app
    with app.app_context():
        practitioner = make_practitioner(practitioner_id="46000001", phones=("+447700900616",)).id
        officers = [
            make_staff(username=f"race-officer-{n}", role=Role.LA_OFFICER, scopes=(ROCHDALE,)).id
            for n in range(2)
        ]
        operator = make_staff(username="race-operator").id
        call = Call(
            sid="CA" + secrets.token_hex(16),
            caller_number="+447700900616",
            status=CallStatus.COMPLETED,
            practitioner_id=practitioner,
            started_at=AT,
        )
        handling = Handling(call=call, operator_id=operator, taken_at=AT, wrapped_up_at=AT)
        search = Search(handling=handling, form="birth", match_count=1)
        match = Match(search=search, child_id=None)
        request = BrokeredRequest(match=match, reason="r", local_authority=ROCHDALE)
        db.session.add_all([call, handling, search, match, request])
        db.session.commit()
        request_id = request.id

    def attempt(n: int, go: object) -> str:
        with app.app_context():
            officer = db.session.get(Staff, officers[n])
            brokered = db.session.get(BrokeredRequest, request_id)
            assert officer is not None and brokered is not None
            go()  # type: ignore[operator]
            try:
                claim(officer, brokered, utcnow())
                db.session.commit()
                return "claimed"
            except Refused:
                db.session.rollback()
                return "refused"

    assert sorted(map(str, together(2, attempt))) == ["claimed", "refused"]
    with app.app_context():
        claimed = db.session.get(BrokeredRequest, request_id)
        assert claimed is not None and claimed.claimed_by_id in officers
