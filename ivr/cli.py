"""`flask calls …`: the desk's calls from the command line."""

import click
from flask.cli import AppGroup

from desk.core.extensions import db
from desk.core.types import utcnow
from ivr import reconcile

calls_cli = AppGroup("calls", help="The desk's calls: reconcile them with Twilio.")


@calls_cli.command("reconcile")
def reconcile_command() -> None:
    """End the calls Twilio says are over though the desk thinks them open (safe to rerun)."""
    done = reconcile.reconcile(utcnow())
    db.session.commit()
    click.echo(reconciled_line(done))
    if done.failed:
        raise SystemExit(1)


def reconciled_line(done: reconcile.Reconciled) -> str:
    """What a reconciliation did, in one line."""
    failed = f"; Twilio could not be asked about {done.failed}" if done.failed else ""
    return f"Checked {done.checked} open calls with Twilio, ended {done.ended}{failed}."
