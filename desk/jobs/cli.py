"""`flask jobs run-due`, which a systemd timer or cron runs every few minutes on every server."""

import getpass

import click
from flask.cli import AppGroup

from desk.core.types import utcnow
from desk.jobs.runner import run_due

jobs_cli = AppGroup("jobs", help="The desk's scheduled jobs.")


@jobs_cli.command("run-due")
def run_due_command() -> None:
    """Run every job that is due: safe to run often, and on several servers at once."""
    done = run_due(utcnow(), by=f"scheduled jobs ({getpass.getuser()})")
    if done.is_skipped:
        click.echo("Skipped: another run of the jobs holds the lock (on this or another server).")
        return
    for name, counts in done.ran.items():
        said = ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in counts.items())
        click.echo(f"{name}: {said or 'done'}")
    for name in done.failed:
        click.echo(f"{name}: FAILED (see the log)", err=True)
    if done.failed:
        raise SystemExit(1)
