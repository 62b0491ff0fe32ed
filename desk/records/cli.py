"""`flask records …`: load the children index from files."""

import getpass
from pathlib import Path

import click
from flask.cli import AppGroup

from desk.extensions import db
from desk.records import importer

records_cli = AppGroup("records", help="Load the children index.")


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
