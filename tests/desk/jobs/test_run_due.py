"""`jobs run-due`: the day's work once a day, the rest when there is some, one run at a time."""

import threading
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine

from desk.core.types import utcnow
from desk.jobs import runner
from desk.jobs.locking import exclusive
from desk.jobs.runner import Job, run_due
from tests.stored import audit_events


def _ran(app: Flask) -> list[str]:
    return [event.data["job"] for event in audit_events(app, "job.ran")]


def test_the_daily_jobs_run_once_a_day_and_the_others_only_audit_work_done(app: Flask) -> None:
    first = app.test_cli_runner().invoke(args=["jobs", "run-due"])
    assert first.exit_code == 0, first.output
    assert "archive: children 0" in first.output and "purge: children 0" in first.output
    assert "reconcile: checked 0, ended 0, failed 0" in first.output
    assert "assess: calls 0, flagged 0" in first.output
    # Archive and purge are audited by their own events, and their runs by job.ran.
    assert _ran(app) == ["archive", "purge"]
    assert [e.kind for e in audit_events(app)][-4:] == [
        "records.archived",
        "job.ran",
        "records.purged",
        "job.ran",
    ]

    again = app.test_cli_runner().invoke(args=["jobs", "run-due"])
    assert again.exit_code == 0, again.output
    assert "archive" not in again.output and "purge" not in again.output
    assert "reconcile:" in again.output
    assert _ran(app) == ["archive", "purge"]  # nothing was done, so nothing written


def test_a_daily_job_is_due_again_the_next_day(app: Flask) -> None:
    job = Job("daily", lambda now, by: {"things": 1}, is_daily=True)
    with app.app_context():
        today = utcnow()
        assert run_due(today, by="tests", jobs=[job]).ran == {"daily": {"things": 1}}
        assert run_due(today + timedelta(minutes=5), by="tests", jobs=[job]).ran == {}
        tomorrow = today + timedelta(days=1)
        assert run_due(tomorrow, by="tests", jobs=[job]).ran == {"daily": {"things": 1}}


def test_a_failing_job_is_audited_and_the_others_still_run(app: Flask) -> None:
    def boom(now: datetime, by: str) -> dict[str, int]:
        raise RuntimeError("the disk is full")

    jobs = [Job("boom", boom), Job("fine", lambda now, by: {"done": 2})]
    with app.app_context():
        done = run_due(utcnow(), by="tests", jobs=jobs)
    assert (done.failed, done.ran) == (["boom"], {"fine": {"done": 2}})
    [failed] = audit_events(app, "job.failed")
    assert failed.data == {"job": "boom", "error": "RuntimeError", "by": "tests"}
    assert _ran(app) == ["fine"]


def test_two_runs_at_once_one_runs_and_the_other_skips_and_says_so(committed_app: Flask) -> None:
    app = committed_app
    entered, release = threading.Event(), threading.Event()

    def slow(now: datetime, by: str) -> dict[str, int]:
        entered.set()
        release.wait(timeout=30)
        return {"done": 1}

    outcome: list[runner.Run] = []

    def first_server() -> None:
        with app.app_context():
            outcome.append(run_due(utcnow(), by="server one", jobs=[Job("slow", slow)]))

    thread = threading.Thread(target=first_server)
    thread.start()
    try:
        assert entered.wait(timeout=30)
        second = app.test_cli_runner().invoke(args=["jobs", "run-due"])
    finally:
        release.set()
        thread.join(timeout=30)
    assert second.exit_code == 0, second.output
    assert "Skipped: another run of the jobs holds the lock" in second.output
    assert outcome[0].ran == {"slow": {"done": 1}} and not outcome[0].is_skipped
    # The lock is let go with the run: the next one runs.
    with app.app_context():
        assert run_due(utcnow(), by="tests", jobs=[Job("quick", lambda n, b: {})]).ran == {
            "quick": {}
        }


def test_on_sqlite_a_lock_file_keeps_a_second_run_out(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    with exclusive(engine, tmp_path) as first, exclusive(engine, tmp_path) as second:
        assert (first, second) == (True, False)
    with exclusive(engine, tmp_path) as later:
        assert later
