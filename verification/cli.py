"""`flask practitioners …` and `flask tokens …`: practitioners' access from the command line.

Each change calls the same service as the administration pages (verification/administration.py,
tokens.py, enrolment.py), so it is audited the same way, with the command-line user as actor.
"""

import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TextIO

import click
import segno
from flask.cli import AppGroup
from sqlalchemy import select

from desk.core.audit.actors import Actor
from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.credentials import totp
from desk.core.extensions import db
from desk.core.types import utcnow
from verification import administration, dates, enrolment, letters, pins, registry, tokens
from verification.models import HardwareToken, Practitioner
from verification.registry import NewPractitioner

practitioners_cli = AppGroup("practitioners", help="Issue and manage practitioners' access.")
tokens_cli = AppGroup("tokens", help="Import, assign and manage practitioners' tokens.")


def _by() -> Actor:
    """Who ran the command, for the audit log."""
    return Actor.command_line()


def _practitioner(practitioner_id: str) -> Practitioner:
    try:
        return registry.get(practitioner_id)
    except LookupError as error:
        raise click.UsageError(str(error)) from error


def _show_soft_token(secret: str, name: str) -> None:
    uri = totp.provisioning_uri(secret, name)
    click.echo(f"Token secret (shown once): {secret}")
    click.echo(f"Provisioning URI: {uri}")
    segno.make(uri, error="m").terminal(compact=True)


@practitioners_cli.command("add")
@click.option("--practitioner-id", required=True, help="8 digits.")
@click.option("--name", required=True)
@click.option("--organisation", required=True)
@click.option("--role", required=True)
@click.option(
    "--local-authority",
    help="ONS code or name of the local authority. Default: the one the organisation names.",
)
@click.option("--phone", "phones", multiple=True, help="A registered number; repeat for more.")
@click.option(
    "--pin",
    help="For demonstrations only. Default: no PIN; an activation code is printed once, for "
    "the practitioner to choose their own PIN by keypad.",
)
@click.option("--totp-secret", help="Base32. Default: a new secret, printed once.")
@click.option("--vetted-on", type=click.DateTime(["%Y-%m-%d"]), help="Default: today.")
@click.option("--trained-on", type=click.DateTime(["%Y-%m-%d"]), help="Default: today.")
def add(
    practitioner_id: str,
    name: str,
    organisation: str,
    role: str,
    local_authority: str | None,
    phones: tuple[str, ...],
    pin: str | None,
    totp_secret: str | None,
    vetted_on: date | None,
    trained_on: date | None,
) -> None:
    """Register a practitioner and issue their activation code and token."""
    today = date.today()
    new = NewPractitioner(
        practitioner_id=practitioner_id,
        name=name,
        organisation=organisation,
        role=role,
        local_authority=local_authority or organisation,
        phones=phones,
        vetted_on=vetted_on.date() if vetted_on else today,  # type: ignore[attr-defined]
        trained_on=trained_on.date() if trained_on else today,  # type: ignore[attr-defined]
        pin=pin,
        totp_secret=totp_secret,
    )
    try:
        issued = registry.register(new)
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    by = _by()
    record(Event.PRACTITIONER_ADDED, practitioner_id=practitioner_id, data=by.data())
    code = None
    if pin is None:
        code = administration.issue_activation(
            issued.practitioner, utcnow(), by=by, delivery="shown"
        )
    db.session.commit()
    click.echo(f"Added practitioner {practitioner_id} ({issued.practitioner.name}).")
    if code is not None:
        click.echo(
            f"Activation code (shown once, hand it to the practitioner): {code.grouped}, "
            f"until {code.expires_at:%Y-%m-%d %H:%M} UTC"
        )
    if issued.is_secret_generated:
        _show_soft_token(issued.totp_secret, practitioner_id)


def _apply(practitioner_id: str, action: Callable[[Practitioner], None], done: str) -> None:
    """Make a change to a practitioner, commit it, and say so; a refusal is a usage error."""
    practitioner = _practitioner(practitioner_id)
    try:
        action(practitioner)
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    db.session.commit()
    click.echo(f"Practitioner {practitioner_id} {done}.")


REASON = click.option("--reason", required=True, help="Why, for the audit log.")


@practitioners_cli.command("unlock")
@click.argument("practitioner_id")
@REASON
def unlock(practitioner_id: str, reason: str) -> None:
    """Lift a practitioner's lock after repeated failures."""
    _apply(practitioner_id, lambda p: administration.unlock(p, reason, by=_by()), "unlocked")


@practitioners_cli.command("suspend")
@click.argument("practitioner_id")
@REASON
def suspend(practitioner_id: str, reason: str) -> None:
    """Stop a practitioner's access to the desk."""
    _apply(practitioner_id, lambda p: administration.suspend(p, reason, by=_by()), "suspended")


@practitioners_cli.command("reactivate")
@click.argument("practitioner_id")
def reactivate(practitioner_id: str) -> None:
    """Restore a suspended practitioner's access."""
    _apply(practitioner_id, lambda p: administration.reactivate(p, by=_by()), "reactivated")


@practitioners_cli.command("phones")
@click.argument("practitioner_id")
@click.option("--phone", "phones", multiple=True, help="A registered number; repeat for more.")
def set_phones(practitioner_id: str, phones: tuple[str, ...]) -> None:
    """Replace a practitioner's registered numbers with these (none: no registered number)."""
    practitioner = _practitioner(practitioner_id)
    try:
        changed = administration.set_phones(practitioner, phones, by=_by())
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    db.session.commit()
    numbers = ", ".join(p.number for p in practitioner.phones) or "none"
    click.echo(f"Registered numbers {'now' if changed else 'already'}: {numbers}.")


@practitioners_cli.command("new-code")
@click.argument("practitioner_id")
def new_code(practitioner_id: str) -> None:
    """Issue a new activation code (a PIN reset: the old PIN stops working), shown once."""
    practitioner = _practitioner(practitioner_id)
    issued = administration.issue_activation(practitioner, utcnow(), by=_by(), delivery="shown")
    db.session.commit()
    click.echo(
        f"Activation code for {practitioner_id} (shown once): {issued.grouped}, "
        f"until {issued.expires_at:%Y-%m-%d %H:%M} UTC. The old PIN no longer works."
    )


@practitioners_cli.command("letters")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--practitioner-id", "ids", multiple=True, help="Repeat for more.")
@click.option("--awaiting", is_flag=True, help="Everyone with neither a PIN nor an unexpired code.")
@click.option("--limit", default=1000, show_default=True, help="Letters in this file at most.")
def write_letters(out: Path, ids: tuple[str, ...], awaiting: bool, limit: int) -> None:
    """Issue activation codes and write them as printable letters, a page each, to OUT (PDF).

    The file holds the only copy of each code: it is written readable by its owner alone.
    """
    if not ids and not awaiting:
        raise click.UsageError("name practitioners with --practitioner-id, or give --awaiting")
    now = utcnow()
    chosen = [_practitioner(i) for i in ids]
    if awaiting:
        chosen += list(
            db.session.scalars(
                select(Practitioner)
                .where(
                    Practitioner.pin_hash.is_(None),
                    (Practitioner.activation_hash.is_(None))
                    | (Practitioner.activation_expires_at <= now),
                )
                .order_by(Practitioner.id)
                .limit(max(limit - len(chosen), 0))
            )
        )
    chosen = chosen[:limit]
    by = _by()
    issued = [
        letters.Letter(p, administration.issue_activation(p, now, by=by, delivery="letter"))
        for p in chosen
    ]
    pdf = letters.render(issued)
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pdf)
    db.session.commit()
    click.echo(f"Wrote {len(issued)} letters to {out}. Print them, then delete the file.")


def _bar(label: str, path: Path) -> Any:  # click's ProgressBar is not public
    return click.progressbar(length=path.stat().st_size, label=label, file=sys.stderr)


def _problems(report: enrolment.Report) -> None:
    for problem in report.problems:
        click.echo(problem, err=True)
    hidden = report.problem_count - len(report.problems)
    if hidden:
        click.echo(f"… and {hidden} more.", err=True)


@practitioners_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(enrolment.FORMATS), help="Default: by extension."
)
@click.option("--check", "check_only", is_flag=True, help="Check every line; write nothing.")
def import_practitioners(file: Path, fmt: str | None, check_only: bool) -> None:
    """Enrol practitioners from a CSV or JSON Lines file, all or none.

    Fields: practitioner_id, name, organisation, role, local_authority (ONS code), phones
    (separated by ;, or a JSON list), vetted_on, trained_on (YYYY-MM-DD). Someone already
    enrolled is updated, and the changes are listed. Nobody is given a PIN: issue activation
    letters afterwards (`practitioners letters --awaiting`).
    """
    try:
        fmt = enrolment.format_of(file, fmt)
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    now = utcnow()
    if check_only:
        with _bar("Checking", file) as bar:
            report = enrolment.check(file, fmt, now.date(), bar.update)
    else:
        with _bar("Checking", file) as checking, _bar("Enrolling", file) as writing:
            report = enrolment.enrol(
                file, fmt, now, by=_by(), checking=checking.update, writing=writing.update
            )
    if report.problem_count:
        db.session.rollback()
        _problems(report)
        raise click.ClickException(
            f"{report.problem_count} of {report.lines} lines have problems: nothing was written."
        )
    if check_only:
        click.echo(f"All {report.lines} lines are fit to import.")
        return
    db.session.commit()
    click.echo(
        f"Added {report.added}, updated {report.updated}, unchanged {report.unchanged} "
        f"(of {report.lines} lines)."
    )
    for name, count in sorted(report.changed_fields.items()):
        click.echo(f"  {name}: changed for {count}")
    for practitioner_id, changed in report.changes:
        click.echo(f"  {practitioner_id}: {', '.join(changed)}")


@practitioners_cli.command("dates")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(enrolment.FORMATS), help="Default: by extension."
)
def update_dates(file: Path, fmt: str | None) -> None:
    """Update vetting and training dates from a file (practitioner_id, vetted_on, trained_on),
    all or none."""
    try:
        report = dates.update(file, enrolment.format_of(file, fmt), utcnow().date(), by=_by())
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    if report.problem_count:
        db.session.rollback()
        _problems(report)
        raise click.ClickException(
            f"{report.problem_count} of {report.lines} lines have problems: nothing was written."
        )
    db.session.commit()
    click.echo(f"Updated {report.updated}, unchanged {report.unchanged}.")


@practitioners_cli.command("list")
def list_practitioners() -> None:
    """List practitioners with their status, lock and dates."""
    click.echo(
        f"{'ID':8}  {'Name':24}  {'Organisation':24}  {'Status':9}  {'Locked':6}  "
        f"{'Vetted':10}  {'Trained':10}  Phones"
    )
    for p in registry.all_practitioners():
        click.echo(
            f"{p.id:8}  {p.name[:24]:24}  {p.organisation[:24]:24}  {p.status.value:9}  "
            f"{'yes' if p.is_locked else 'no':6}  {p.vetted_on.isoformat():10}  "
            f"{p.trained_on.isoformat() if p.trained_on else '-':10}  "
            f"{', '.join(ph.number for ph in p.phones)}"
        )


@practitioners_cli.command("pin-costs")
def pin_costs() -> None:
    """Count the PINs kept at each argon2 cost, today's and any older one."""
    today = pins.today_cost()
    costs = registry.pin_costs()
    click.echo(f"{'Cost':24}  {'PINs':>9}")
    for cost, count in sorted(costs.items(), key=lambda item: (item[0] != today, item[0])):
        click.echo(f"{cost:24}  {count:9}" + ("  (today's)" if cost == today else ""))
    older = sum(count for cost, count in costs.items() if cost != today)
    if older:
        click.echo(
            f"Kept at another cost: {older}. Each is rehashed at today's when it is next keyed "
            "right; until then the time its PIN step takes tells that ID from an unknown one."
        )


@tokens_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--key-file",
    type=click.File("r"),
    help="The vendor's pre-shared key, in hex, for an encrypted file (a file, not an option, "
    "so that it does not show in ps).",
)
def import_tokens(file: str, key_file: TextIO | None) -> None:
    """Import hardware tokens from a vendor's PSKC seed file (RFC 6030), all or none."""
    key = None
    if key_file is not None:
        try:
            key = bytes.fromhex(key_file.read().strip())
        except ValueError as error:
            raise click.UsageError("the key file must hold the key in hex") from error
    try:
        report = tokens.import_pskc(file, key, by=_by())
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    if report.problems:
        db.session.rollback()
        for problem in report.problems:
            click.echo(problem, err=True)
        raise click.ClickException("nothing was imported")
    db.session.commit()
    click.echo(f"Imported {len(report.added)} tokens; {len(report.known)} were known already.")


@tokens_cli.command("assign")
@click.argument("serial")
@click.argument("practitioner_id")
def assign(serial: str, practitioner_id: str) -> None:
    """Give a practitioner the hardware token with this serial (retiring the one they had)."""
    practitioner = _practitioner(practitioner_id)
    try:
        tokens.assign(serial, practitioner, by=_by())
    except (LookupError, ValueError) as error:
        raise click.UsageError(str(error)) from error
    db.session.commit()
    click.echo(f"Token {serial} assigned to {practitioner_id}.")


@tokens_cli.command("resync")
@click.argument("practitioner_id")
@click.argument("first")
@click.argument("second")
def resync(practitioner_id: str, first: str, second: str) -> None:
    """Resynchronise a drifted token from two consecutive codes it shows."""
    practitioner = _practitioner(practitioner_id)
    try:
        drift = tokens.resync(practitioner, first, second, utcnow(), by=_by())
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    db.session.commit()
    click.echo(f"Token of {practitioner_id} resynchronised: {drift * 30:+d} seconds.")


@tokens_cli.command("lost")
@click.argument("practitioner_id")
def lost(practitioner_id: str) -> None:
    """Mark a practitioner's token lost: they are refused until another is assigned."""
    serial = tokens.mark_lost(_practitioner(practitioner_id), by=_by())
    db.session.commit()
    click.echo(f"Token {serial or '(soft)'} of {practitioner_id} marked lost.")


@tokens_cli.command("retire")
@click.argument("practitioner_id")
def retire(practitioner_id: str) -> None:
    """Take back a practitioner's token: they are refused until another is assigned."""
    serial = tokens.retire(_practitioner(practitioner_id), by=_by())
    db.session.commit()
    click.echo(f"Token {serial or '(soft)'} of {practitioner_id} retired.")


@tokens_cli.command("soft")
@click.argument("practitioner_id")
def soft(practitioner_id: str) -> None:
    """Give a practitioner a soft token in place of any other; its secret is shown once."""
    secret = tokens.issue_soft(_practitioner(practitioner_id), by=_by())
    db.session.commit()
    _show_soft_token(secret, practitioner_id)


@tokens_cli.command("list")
def list_tokens() -> None:
    """List hardware tokens: serial, status, practitioner."""
    click.echo(f"{'Serial':20}  {'Status':9}  Practitioner")
    for t in db.session.scalars(select(HardwareToken).order_by(HardwareToken.serial)):
        click.echo(f"{t.serial:20}  {t.status.value:9}  {t.practitioner_id or '-'}")
