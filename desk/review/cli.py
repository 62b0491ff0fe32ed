"""`flask review assess`, the scheduled job behind the flags; and `flask audit subject`, a
subject access request answered on the command line."""

import getpass
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from desk.console.models import PURPOSE_LABELS, Purpose
from desk.core.extensions import db
from desk.core.types import utcnow
from desk.records import contactpoint
from desk.review import assessment
from desk.review.flags import Thresholds
from desk.review.subject import CallAbout, subject_access

review_cli = AppGroup("review", help="Supervisors' review: work out the flags of finished calls.")


def _by() -> str:
    """Who ran the command, for the audit log."""
    return f"command line ({getpass.getuser()})"


@review_cli.command("assess")
def assess_command() -> None:
    """Assess every wrapped-up call not yet assessed (safe to run often, on several servers)."""
    limits = Thresholds.from_config(current_app.config)
    done = assessment.assess_pending(limits, utcnow(), by=_by())
    db.session.commit()
    calls = f"{done.calls} call" + ("" if done.calls == 1 else "s")
    click.echo(f"Assessed {calls}, {done.flagged} flagged.")


@click.command("subject")
@with_appcontext
@click.argument("contactpoint_number")
def subject(contactpoint_number: str) -> None:
    """Who found or opened a child's record, through which operator, when and why (for a SAR)."""
    number = "".join(contactpoint_number.split())
    if not contactpoint.is_valid(number):
        raise click.UsageError(f"{contactpoint_number!r} is not a valid ContactPoint number")
    zone = ZoneInfo(current_app.config["DESK_TIMEZONE"])
    calls = subject_access(number, _by())
    db.session.commit()
    click.echo(f"Subject access for ContactPoint number {number}, times in {zone.key}.")
    if not calls:
        click.echo("The audit log holds no search or record that names it.")
        return
    for about in calls:
        _echo_call(about, zone)
    calls_count = f"{len(calls)} call" + ("" if len(calls) == 1 else "s")
    click.echo(f"\n{calls_count}. This request is itself recorded in the audit log.")


def _echo_call(about: CallAbout, zone: ZoneInfo) -> None:
    who = about.practitioner
    started = about.uses[0].at.astimezone(zone)
    if about.call_id is None:
        # A local authority officer's shielding, which no call prompted.
        click.echo(f"\nOutside any call, {started:%d %B %Y}")
    else:
        click.echo(f"\nCall {about.call_id}, {started:%d %B %Y}")
    if who is not None:
        click.echo(f"  Practitioner: {who.name} ({who.id}), {who.role}, {who.organisation}")
    else:
        click.echo(f"  Practitioner: {about.practitioner_id or 'unknown'}")
    operators = ", ".join(f"{s.name} ({s.username})" for s in about.operators) or "unknown"
    click.echo(f"  Operator:     {operators}")
    if about.officers:
        officers = ", ".join(f"{s.name} ({s.username})" for s in about.officers)
        click.echo(f"  LA officers:  {officers}")
    purpose = PURPOSE_LABELS.get(Purpose(about.purpose)) if about.purpose in set(Purpose) else None
    detail = f": {about.purpose_detail}" if about.purpose_detail else ""
    click.echo(f"  Why:          {purpose or about.purpose or 'not recorded'}{detail}")
    for use in about.uses:
        again = f" (shown {use.times} times in the call)" if use.times > 1 else ""
        click.echo(f"  {use.at.astimezone(zone):%H:%M:%S}  {use.what}{again}")
