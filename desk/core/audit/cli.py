"""`flask audit …`: commands over the audit log. `verify` and `checkpoint` live here; features
add theirs.
"""

import getpass

import click
from flask.cli import AppGroup

from desk.core.audit import anchoring, chain
from desk.core.audit.witnesses import WitnessError
from desk.core.extensions import db
from desk.core.types import utcnow

audit_cli = AppGroup("audit", help="Check the audit log, and answer subject access requests.")

# Redrawn every thousand rows, not every row: on a terminal, drawing cost more than checking.
REDRAW_ROWS = 1000
# A log cut short fails every checkpoint since; the first few say what happened.
SHOWN_PROBLEMS = 5


@audit_cli.command("verify")
@click.option(
    "--newest",
    type=click.IntRange(min=1),
    help="Check only the newest N checkpoints (default all).",
)
def verify(newest: int | None) -> None:
    """Walk the audit log's hash chain, then check it against the signed checkpoints."""
    total = chain.count()
    checked = 0
    with click.progressbar(
        chain.walk(), length=total, label="Checking audit log", update_min_steps=REDRAW_ROWS
    ) as rows:
        for result in rows:
            if result is not None:
                click.echo(f"\nBROKEN at audit row {result.event_id}: {result.reason}.", err=True)
                raise SystemExit(1)
            checked += 1
    against_checkpoints(checked, newest)


def against_checkpoints(rows: int, newest: int | None) -> None:
    """Check the first rows against the witness's checkpoints; exit 1 if any does not hold."""
    intact = f"Audit log intact: {rows} rows, hash chain unbroken"
    key, kept = anchoring.verify_key(), anchoring.witness()
    if key is None or kept is None:
        click.echo(f"{intact}.")
        click.echo(
            "Not checked against any checkpoint (DESK_AUDIT_WITNESS and a key are not set): "
            "the newest rows removed, or the chain rewritten, would not show."
        )
        return
    try:
        published = kept.recent(newest)
    except WitnessError as error:
        click.echo(f"CHECKPOINTS NOT READ: {error}.", err=True)
        raise SystemExit(1) from None
    signed, problems = anchoring.opened(published, key)
    with click.progressbar(
        length=anchoring.rows_to_check(signed, rows),
        label="Checking checkpoints",
        update_min_steps=REDRAW_ROWS,
    ) as bar:
        verdict = anchoring.judge(signed, rows, bar.update)
    problems += verdict.problems
    if problems:
        click.echo(f"\nThe hash chain is unbroken over {rows:,} rows, but:", err=True)
        for problem in problems[:SHOWN_PROBLEMS]:
            click.echo(f"CHECKPOINT FAILED: {problem}.", err=True)
        if len(problems) > SHOWN_PROBLEMS:
            click.echo(f"… and {len(problems) - SHOWN_PROBLEMS:,} more.", err=True)
        if verdict.holding:
            click.echo(verdict.still_matching(), err=True)
        raise SystemExit(1)
    if not published:
        click.echo(f"{intact}.")
        click.echo(f"No checkpoint yet in {kept}: run `flask audit checkpoint`.")
        return
    holding = len(verdict.holding)
    click.echo(f"{intact}, {holding:,} checkpoint{'s hold' if holding > 1 else ' holds'}.")
    click.echo(verdict.coverage())


@audit_cli.command("checkpoint")
def checkpoint() -> None:
    """Sign the log's size and Merkle head now, and publish it to the witness."""
    try:
        made = anchoring.checkpoint(utcnow(), by=f"command line ({getpass.getuser()})")
    except (anchoring.NotConfigured, anchoring.CheckpointRefused, WitnessError) as error:
        db.session.rollback()
        click.echo(f"NO CHECKPOINT: {error}.", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    click.echo(
        f"Checkpoint of rows {anchoring.span(1, made.checkpoint.size)} signed (key "
        f"{made.checkpoint.key_id.hex()}) and published: {made.where}."
    )
