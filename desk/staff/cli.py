"""`flask staff …`: add and manage the accounts of the desk's staff, whatever their role."""

import getpass
from collections.abc import Callable

import click
from flask.cli import AppGroup

from desk.core.credentials import totp
from desk.core.extensions import db
from desk.staff import accounts
from desk.staff.models import Role, Staff

staff_cli = AppGroup("staff", help="Add and manage staff accounts for the console.")


def _by() -> str:
    """Who ran the command, for the audit log."""
    return f"command line ({getpass.getuser()})"


@staff_cli.command("add")
@click.option("--username", required=True, help="3 to 40 characters: a-z, 0-9, '.', '_', '-'.")
@click.option("--name", required=True, help="Full name, as the console shows it.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="At least 12 characters. Default: asked for, hidden, twice (an option shows in ps).",
)
@click.option("--totp-secret", help="Base32. Default: a new secret, printed once.")
@click.option(
    "--phone",
    "phone_leg",
    help="Where the desk rings them: browser (the softphone), an E.164 number or sip:….",
)
@click.option(
    "--authority",
    "scopes",
    multiple=True,
    help="A local authority officer's authority, by ONS code (e.g. E08000005); repeat for more.",
)
def add(
    username: str,
    name: str,
    role: str,
    password: str,
    totp_secret: str | None,
    phone_leg: str | None,
    scopes: tuple[str, ...],
) -> None:
    """Add a member of staff and issue their authenticator secret."""
    try:
        staff, secret = accounts.add_staff(
            username, name, role, password, totp_secret, phone_leg, by=_by(), scopes=scopes
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    db.session.commit()
    click.echo(f"Added {staff.role.label.lower()} {staff.username} ({staff.name}).")
    if totp_secret is None:
        click.echo(f"Authenticator secret (shown once): {secret}")
        click.echo(f"Provisioning URI: {totp.provisioning_uri(secret, staff.username)}")


def _change(action: Callable[..., None], done: str) -> Callable[[str], None]:
    def command(username: str) -> None:
        try:
            staff = accounts.get(username)
        except LookupError as error:
            raise click.UsageError(str(error)) from error
        action(staff, by=_by())
        db.session.commit()
        click.echo(f"{staff.username} {done}.")

    return command


for _name, _action, _done, _help in (
    ("disable", accounts.disable, "disabled", "Stop a member of staff signing in."),
    ("unlock", accounts.unlock, "unlocked", "Lift a lock after repeated failed sign-ins."),
):
    staff_cli.command(_name, help=_help)(click.argument("username")(_change(_action, _done)))


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


@staff_cli.command("list")
def list_staff() -> None:
    """List staff with their role, whether active or locked, and their phone leg."""
    click.echo(f"{'Username':20}  {'Name':24}  {'Role':10}  {'Active':6}  {'Locked':6}  Phone leg")
    for s in accounts.all_staff():
        click.echo(_row(s))


def _row(s: Staff) -> str:
    scoped = f"  ({', '.join(sorted(s.authorities))})" if s.authorities else ""
    return (
        f"{s.username:20}  {s.name[:24]:24}  {s.role.value:10}  {_yes_no(s.is_active):6}  "
        f"{_yes_no(s.is_locked):6}  {s.phone_leg or s.phone_kind or '-'}{scoped}"
    )
