"""`flask records …`: load the children index from files, or fill it with synthetic children."""

import getpass
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
import psycopg
from click._termui_impl import ProgressBar
from flask.cli import AppGroup
from sqlalchemy.exc import DBAPIError

from desk.core.extensions import db
from desk.core.types import utcnow
from desk.records import generate, importer, retention
from desk.records.models import today_in_england
from desk.records.parse import parse_entry
from desk.records.phases import PHASE_PREFIX, untimed

records_cli = AppGroup(
    "records", help="Load the children index, fill it with synthetic data, archive and purge it."
)


def _by() -> str:
    """Who ran the command, for the audit log."""
    return f"command line ({getpass.getuser()})"


@records_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--timings", is_flag=True, help="Print how many seconds each phase took.")
def import_command(file: Path, timings: bool) -> None:
    """Add or update children from a JSON Lines file: every line, or none if one is bad."""
    with (
        _database_errors_told_without_data(),
        _progress(file.stat().st_size, f"Reading {file.name}", unit="MB", scale=1e6) as bar,
    ):
        summary = importer.import_file(
            file, by=_by(), progress=bar.update, phase=_phase, timed=_timed if timings else untimed
        )
    _finish(summary, f"Imported {file}")


@records_cli.command("generate")
@click.option("--count", type=click.IntRange(min=1), required=True, help="How many children.")
@click.option(
    "--seed", type=int, default=0, show_default=True, help="The same seed, the same children."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write a JSON Lines import file instead of loading the index.",
)
def generate_command(count: int, seed: int, out: Path | None) -> None:
    """Make synthetic children and load them, or write them to an import file."""
    today = today_in_england()
    with _progress(count, "Generating children", unit="children") as bar:
        if out is not None:
            with out.open("w", encoding="utf-8") as file:
                for line in generate.lines(count, seed=seed, today=today):
                    file.write(line)
                    bar.update(1)
            click.echo(f"Wrote {count:,} children to {out}.")
            return
        children = generate.children(count, seed=seed, today=today)
        # Loaded through the importer, so generated data takes the one way in that files take.
        entries = (
            _counted(parse_entry(child, n, today), bar) for n, child in enumerate(children, start=1)
        )
        # ContactPoint numbers are identifiers, not secrets: seeded, a demo index is repeatable.
        numbers = random.Random(seed)  # noqa: S311  # nosec B311
        with _database_errors_told_without_data():
            summary = importer.import_entries(entries, by=_by(), rng=numbers, phase=_phase)
    _finish(summary, f"Generated {count:,} children")


T = TypeVar("T")


def _counted(item: T, bar: "ProgressBar[Any]") -> T:
    bar.update(1)
    return item


@contextmanager
def _progress(
    total: int, label: str, *, unit: str, scale: float = 1
) -> Iterator["ProgressBar[Any]"]:
    """A progress bar that shows the rate as well as the time left."""
    started = time.monotonic()

    def rate(_: object) -> str:
        elapsed = time.monotonic() - started
        done = bar.pos / scale
        return f"{done / elapsed:,.1f} {unit}/s" if elapsed > 1 else ""

    # Redrawn every 0.1%: drawing each step would cost more than the work.
    with click.progressbar(
        length=total, label=label, item_show_func=rate, update_min_steps=max(1, total // 1000)
    ) as bar:
        yield bar


@contextmanager
def _database_errors_told_without_data() -> Iterator[None]:
    """A database error stops the command with what kind of error it was and where, not its
    message: PostgreSQL's detail and context may quote a line of the file, a child's details,
    and a traceback would put them on the terminal and in the journal. The savepoint has been
    rolled back by then, so nothing was imported."""
    try:
        yield
    except (psycopg.Error, DBAPIError) as error:
        raw = error.orig if isinstance(error, DBAPIError) else error
        if not isinstance(raw, psycopg.Error):
            raise
        click.echo(f"\nThe database stopped the import: {_without_data(raw)}.", err=True)
        click.echo("Nothing was imported.", err=True)
        raise SystemExit(1) from None


def _without_data(error: psycopg.Error) -> str:
    """The error's kind and SQLSTATE and the table, column or constraint it names; or, for a
    connection that failed (libpq's own message, before any row was sent), what libpq said."""
    diag = error.diag
    if diag.sqlstate is None and isinstance(error, psycopg.OperationalError):
        return str(error).strip()
    named = [
        f"{what} {name}"
        for what, name in (
            ("table", diag.table_name),
            ("column", diag.column_name),
            ("constraint", diag.constraint_name),
        )
        if name
    ]
    return ", ".join([f"{type(error).__name__} (SQLSTATE {diag.sqlstate})", *named])


def _phase(name: str) -> None:
    click.echo(f"\n{name}…", err=True)


def _timed(name: str, seconds: float) -> None:
    # One line a phase, in a fixed form: bench.load reads them.
    click.echo(f"\n{PHASE_PREFIX}{name}: {seconds:.2f} s", err=True)


def _finish(summary: importer.ImportSummary, done: str) -> None:
    if summary.errors:
        db.session.rollback()
        click.echo("", err=True)
        for error in summary.errors:
            click.echo(error, err=True)
        if summary.bad_lines > len(summary.errors):
            click.echo(f"… and {summary.bad_lines - len(summary.errors):,} more.", err=True)
        click.echo(f"{summary.bad_lines:,} bad lines: nothing imported.", err=True)
        raise SystemExit(1)
    db.session.commit()
    click.echo(f"{done}: {summary.added:,} added, {summary.updated:,} updated.")


@records_cli.command("archive")
def archive_command() -> None:
    """Archive every child who has had their 18th birthday (safe to run daily)."""
    archived = retention.archive(today_in_england(), utcnow(), by=_by())
    db.session.commit()
    click.echo(f"Archived {archived} children who have turned 18.")


@records_cli.command("purge")
def purge_command() -> None:
    """Remove every child six years past their 18th birthday (safe to run daily)."""
    today = today_in_england()
    due = retention.due_for_purge(today)
    with click.progressbar(length=due, label="Purging children") as bar:
        purged = retention.purge(today, by=_by(), progress=bar.update)
    db.session.commit()
    click.echo(f"\nPurged {purged} children six years past their 18th birthday.")
