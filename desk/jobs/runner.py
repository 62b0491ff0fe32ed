"""`jobs run-due`: each scheduled job that is due, in order, each in a transaction of its own.

Daily jobs (archive at 18, then purge six years after) run at the first run of each day in
DESK_TIMEZONE; the others decide for themselves whether there is work, so they run every time
and usually find none. Each job is idempotent: run twice, the second finds nothing to do. Each
is audited: what it changed by its own events (records.archived, call.reconciled, …), and its
run by `job.ran` with its counts whenever it was daily or did anything, or `job.failed`. A run
that finds another server's run holding the lock does nothing at all.
"""

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app

from desk.console import states
from desk.core.audit import anchoring
from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.extensions import db
from desk.jobs.locking import exclusive
from desk.jobs.models import ScheduledJob
from desk.records import retention
from desk.records.models import today_in_england
from desk.review import assessment
from desk.review.flags import Thresholds
from ivr import reconcile

Counts = dict[str, int]


@dataclass(frozen=True)
class Job:
    """One scheduled job: what it is called, whether daily, and what it does (its counts)."""

    name: str
    run: Callable[[datetime, str], Counts]
    is_daily: bool = False


def _archive(now: datetime, by: str) -> Counts:
    return {"children": retention.archive(today_in_england(), now, by=by)}


def _purge(now: datetime, by: str) -> Counts:
    return {"children": retention.purge(today_in_england(), by=by)}


def _reconcile(now: datetime, by: str) -> Counts:
    return asdict(reconcile.reconcile(now))


def _operator_states(now: datetime, by: str) -> Counts:
    return {"operators": states.settle_all(now)}


def _assess(now: datetime, by: str) -> Counts:
    done = assessment.assess_pending(Thresholds.from_config(current_app.config), now, by=by)
    return {"calls": done.calls, "flagged": done.flagged}


def _checkpoint(now: datetime, by: str) -> Counts:
    signed = anchoring.checkpoint_if_due(now, by)
    return {"signed_rows": signed.checkpoint.size if signed else 0}


# In this order: the checkpoint last, so that it signs what the jobs before it wrote.
JOBS = (
    Job("archive", _archive, is_daily=True),
    Job("purge", _purge, is_daily=True),
    Job("reconcile", _reconcile),
    Job("operator_states", _operator_states),
    Job("assess", _assess),
    Job("checkpoint", _checkpoint),
)


@dataclass
class Run:
    """What one `run-due` did: each job run, by name, with its counts; the jobs that failed."""

    is_skipped: bool = False
    ran: dict[str, Counts] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)


def is_due(job: Job, now: datetime) -> bool:
    """A daily job is due once a day (in DESK_TIMEZONE); the others always are."""
    if not job.is_daily:
        return True
    last = db.session.get(ScheduledJob, job.name)
    zone = ZoneInfo(current_app.config["DESK_TIMEZONE"])
    return last is None or last.last_run_at.astimezone(zone).date() < now.astimezone(zone).date()


def run_due(now: datetime, *, by: str, jobs: Sequence[Job] = JOBS) -> Run:
    """Run each due job, committing each; skipped entirely while another run holds the lock."""
    done = Run()
    with exclusive(db.engine, Path(current_app.instance_path)) as is_ours:
        if not is_ours:
            return Run(is_skipped=True)
        for job in jobs:
            if not is_due(job, now):
                db.session.rollback()
                continue
            try:
                counts = job.run(now, by)
                if job.is_daily or any(counts.values()):
                    record(Event.JOB_RAN, data={"job": job.name, **counts, "by": by})
                db.session.merge(ScheduledJob(name=job.name, last_run_at=now, last_outcome="ok"))
                db.session.commit()
                done.ran[job.name] = counts
            except Exception as error:
                db.session.rollback()
                current_app.logger.exception("Scheduled job %s failed", job.name)
                record(
                    Event.JOB_FAILED,
                    data={"job": job.name, "error": type(error).__name__, "by": by},
                )
                db.session.commit()
                done.failed.append(job.name)
    return done
