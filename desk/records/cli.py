"""`flask records …`: load the children index from files, or fill it with synthetic children."""

import getpass
import json
import random
from pathlib import Path

import click
from flask.cli import AppGroup

from desk.extensions import db
from desk.records import generate, importer, retention
from desk.records.models import today_in_england
from desk.records.parse import parse_entry
from desk.types import utcnow

records_cli = AppGroup(
    "records", help="Load the children index, fill it with synthetic data, archive and purge it."
)


def _by() -> str:
    """Who ran the command, for the audit log."""
    return f"command line ({getpass.getuser()})"


@records_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Add or update children from a JSON Lines file: every line, or none if one is bad."""
    with click.progressbar(length=2 * file.stat().st_size, label=f"Importing {file}") as bar:
        summary = importer.import_file(file, by=_by(), progress=bar.update)
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
    children = generate.children(count, seed=seed, today=today)
    with click.progressbar(children, length=count, label="Generating children") as bar:
        if out is not None:
            with out.open("w", encoding="utf-8") as file:
                for child in bar:
                    file.write(json.dumps(child, ensure_ascii=False) + "\n")
            click.echo(f"\nWrote {count} children to {out}.")
            return
        # Loaded through the importer, so generated data takes the one way in that files take.
        entries = (parse_entry(child, n, today) for n, child in enumerate(bar, start=1))
        # ContactPoint numbers are identifiers, not secrets: seeded, a demo index is repeatable.
        numbers = random.Random(seed)  # noqa: S311  # nosec B311
        summary = importer.import_entries(entries, by=_by(), rng=numbers)
    _finish(summary, f"Generated {count} children")


def _finish(summary: importer.ImportSummary, done: str) -> None:
    if summary.errors:
        db.session.rollback()
        click.echo("", err=True)
        for error in summary.errors:
            click.echo(error, err=True)
        click.echo(f"{len(summary.errors)} bad lines: nothing imported.", err=True)
        raise SystemExit(1)
    db.session.commit()
    click.echo(f"\n{done}: {summary.added} added, {summary.updated} updated.")


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
