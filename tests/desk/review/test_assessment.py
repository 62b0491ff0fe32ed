"""Flags are worked out when a call is wrapped up, or by the scheduled job; never by a page."""

import csv
import io
import threading
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from desk.console.models import Handling
from desk.core.extensions import db
from desk.core.types import utcnow
from desk.dev.simulator import Twilio
from desk.review import assessment
from desk.review.flags import Thresholds
from desk.review.models import Flag, Review
from ivr.models import Call
from tests.desk.conftest import Console
from tests.desk.review.conftest import MORNING, Reviewer, assess, make_call, take_and_finish
from tests.factories import make_practitioner, make_staff
from tests.stored import audit_events, audit_kinds


def stored_counts(app: Flask) -> tuple[int, int]:
    """How many calls are assessed, and how many flags they hold."""
    with app.app_context():
        reviews = db.session.scalar(select(func.count()).select_from(Review))
        flags = db.session.scalar(select(func.count()).select_from(Flag))
        return reviews or 0, flags or 0


def review_of(app: Flask, public_id: str) -> tuple[list[str], bool] | None:
    """A call's flags (rules) and whether it was assessed at its wrap-up's moment; or None."""
    with app.app_context():
        found = db.session.execute(
            select(Review, Handling)
            .join(Call, Call.id == Review.call_id)
            .join(Handling, Handling.call_id == Call.id)
            .where(Call.public_id == public_id)
        ).first()
        if found is None:
            return None
        review, handling = found
        return [flag.rule for flag in review.flags], review.assessed_at == handling.wrapped_up_at


@pytest.fixture
def finished(app: Flask, sam: str) -> str:
    """A call its operator wrapped up, with the purpose 'Other', that nothing has assessed yet."""
    with app.app_context():
        olive = make_staff(username="olive", name="Olive Operator").id
        call = make_call(sam, olive, MORNING, purpose="other")
        make_call(sam, olive, MORNING + timedelta(hours=1), wrap_up=None)  # still open
        db.session.commit()
        return call.public_id


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("/review/", {}),
        ("/review/", {"flags": "any"}),
        ("/review/calls/{call}", {}),
        ("/review/dashboard", {}),
        ("/review/dashboard", {"period": "30-days"}),
    ],
)
def test_opening_a_review_page_assesses_nothing_and_writes_only_its_audit(
    app: Flask, finished: str, reviewer: Reviewer, page: str, query: dict[str, str]
) -> None:
    kinds_before = audit_kinds(app)
    response = reviewer.client.get(page.format(call=finished), query_string=query)
    assert response.status_code == 200
    response.get_data()  # a streamed report is read to its end
    assert stored_counts(app) == (0, 0)
    written = set(audit_kinds(app)[len(kinds_before) :])
    assert written == {"review.page_viewed"}


@pytest.mark.parametrize(
    ("page", "query", "kind"),
    [
        ("/manager/", {}, "manager.page_viewed"),
        (
            "/manager/report.csv",
            {"date_from": "2026-03-01", "date_to": "2026-03-31"},
            "review.report_downloaded",
        ),
    ],
)
def test_a_managers_report_assesses_nothing_and_writes_only_its_audit(
    app: Flask, finished: str, manager: Reviewer, page: str, query: dict[str, str], kind: str
) -> None:
    kinds_before = audit_kinds(app)
    response = manager.client.get(page, query_string=query)
    assert response.status_code == 200
    response.get_data()  # a streamed report is read to its end
    assert stored_counts(app) == (0, 0)
    assert set(audit_kinds(app)[len(kinds_before) :]) == {kind}


def test_a_wrap_up_through_the_console_assesses_the_call_there_and_then(
    app: Flask, twilio: Twilio, console: Console, sam: str, reviewer: Reviewer
) -> None:
    public_id = take_and_finish(console, twilio, sam, purpose="other", detail="A school move")
    reviewer.call(public_id)
    assert stored_counts(app) == (0, 0)  # still with its operator
    assert console.wrap_up().status_code == 302
    assert review_of(app, public_id) == (["purpose_other"], True)
    assert stored_counts(app) == (1, 1)
    reviewer.calls()
    reviewer.call(public_id)
    assert stored_counts(app) == (1, 1)
    page = reviewer.calls(flags="purpose_other")
    assert public_id in page.text and "not yet assessed" not in page.text


def test_a_wrapped_up_call_not_yet_assessed_never_looks_as_if_it_had_no_flags(
    app: Flask, finished: str, reviewer: Reviewer, manager: Reviewer
) -> None:
    listed = reviewer.calls()
    assert "Not yet assessed" in listed.text and ">None<" not in listed.text
    assert "1 wrapped-up call is not yet assessed" in listed.text
    assert "Awaiting flags" in listed.text
    assert finished not in reviewer.calls(flags="any").text
    assert "1 wrapped-up call is not yet assessed" in reviewer.calls(flags="any").text
    assert "1 wrapped-up call is not yet assessed" in reviewer.client.get("/review/dashboard").text

    page = reviewer.call(finished).text
    assert "Not yet assessed" in page and "does not mean it has none" in page
    assert "No flags" not in page and "Sign off this call" not in page
    refused = reviewer.sign_off(finished, "Looks fine.")
    assert refused.status_code == 302 and refused.location == f"/review/calls/{finished}"
    assert "flags are not yet worked out" in reviewer.call(finished).text
    assert audit_events(app, "review.signed_off") == []

    report = manager.report("2026-03-01", "2026-03-31").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(report.removeprefix("\ufeff"))))
    assert sorted(row["flags"] for row in rows) == ["", "(not yet assessed)"]  # open; finished

    assess(app)
    listed = reviewer.calls()
    assert "Purpose: other" in listed.text and "not yet assessed" not in listed.text
    assert "Not yet assessed" not in listed.text
    assert "Purpose: other" in reviewer.call(finished).text


def test_the_job_assesses_what_is_pending_once_and_audits_only_counts(
    app: Flask, sam: str, alex: str
) -> None:
    with app.app_context():
        olive = make_staff(username="olive", name="Olive Operator").id
        make_call(sam, olive, MORNING, purpose="other")
        make_call(alex, olive, MORNING, is_registered_number=False, purpose="other")
        make_call(sam, olive, MORNING + timedelta(minutes=30))
        make_call(alex, olive, MORNING + timedelta(hours=1), wrap_up=None)
        db.session.commit()

    assert assess(app).strip() == "Assessed 3 calls, 2 flagged."
    assert stored_counts(app) == (3, 3)
    [assessed] = audit_events(app, "review.flags_assessed")
    by = assessed.data.pop("by")
    assert by.startswith("command line (")
    assert assessed.data == {
        "calls": 3,
        "flagged": 2,
        "flags": {"purpose_other": 2, "unregistered_number": 1},
    }
    assert (assessed.call_id, assessed.practitioner_id, assessed.operator_id) == (None, None, None)

    assert assess(app).strip() == "Assessed 0 calls, 0 flagged."
    assert stored_counts(app) == (3, 3)
    assert len(audit_events(app, "review.flags_assessed")) == 1  # a run with nothing to do


def test_a_wrap_up_stands_when_its_assessment_fails_and_the_job_catches_up(
    app: Flask,
    twilio: Twilio,
    console: Console,
    sam: str,
    reviewer: Reviewer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    public_id = take_and_finish(console, twilio, sam, purpose="other", detail="A school move")

    def broken(*args: object) -> None:
        raise RuntimeError("a rule that cannot be worked out")

    with monkeypatch.context() as patched:
        patched.setattr(assessment, "flags_for", broken)
        assert console.wrap_up().status_code == 302
    assert "call.wrapped_up" in audit_kinds(app)
    with app.app_context():
        assert db.session.scalar(select(Handling.wrapped_up_at)) is not None
    assert review_of(app, public_id) is None
    assert "Not yet assessed" in reviewer.calls().text

    assert assess(app).strip() == "Assessed 1 call, 1 flagged."
    assert review_of(app, public_id) == (["purpose_other"], False)
    assert "Purpose: other" in reviewer.call(public_id).text


def test_jobs_started_together_on_several_servers_assess_each_call_once(
    committed_app: Flask,
) -> None:
    app = committed_app
    with app.app_context():
        practitioner = make_practitioner(
            practitioner_id="45000001", totp_secret="GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        ).id
        operator = make_staff(username="assessed-olive", name="Olive Assessed").id
        made = [
            make_call(practitioner, operator, MORNING + timedelta(minutes=n), purpose="other")
            for n in range(40)
        ]
        ids = [call.id for call in made]
        db.session.commit()
        pending = assessment.pending_count()
    start = threading.Barrier(4)
    assessed: list[int] = []
    failures: list[BaseException] = []

    def run() -> None:
        with app.app_context():
            try:
                start.wait(timeout=10)
                limits = Thresholds.from_config(app.config)
                done = assessment.assess_pending(limits, utcnow(), by="test", batch=7)
                db.session.commit()
                assessed.append(done.calls)
            except BaseException as error:  # reported by the test, not lost in the thread
                failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert sum(assessed) == pending and sorted(assessed)[:3] == [0, 0, 0]
    with app.app_context():
        reviewed = db.session.scalars(select(Review.call_id).where(Review.call_id.in_(ids)))
        assert sorted(reviewed) == sorted(ids)
        assert assessment.pending_count() == 0
