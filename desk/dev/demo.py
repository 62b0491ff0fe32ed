"""`flask demo`: seed a development desk with demo data, read demo token codes, and list
children to search for."""

from dataclasses import dataclass
from datetime import date

import click
import pyotp
from flask import current_app
from flask.cli import AppGroup

from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.authorities import authority_name
from desk.core.credentials import totp
from desk.core.extensions import db
from desk.dev.samples import samples
from desk.dev.simulator import Twilio
from desk.records.cli import generate_command
from desk.staff import accounts
from desk.staff.models import Role
from verification import registry
from verification.registry import NewPractitioner

DEMO_PRACTITIONERS = (
    NewPractitioner(
        practitioner_id="40000001",
        name="Sam Field",
        organisation="Rochdale Council",
        role="Social worker",
        local_authority="Rochdale",
        phones=("+447700900123",),
        vetted_on=date(2025, 9, 1),
        trained_on=date(2025, 9, 15),
        pin="739182",
        totp_secret="JBSWY3DPEHPK3PXPJBSWY3DP",  # noqa: S106 - the demo account  # nosec B106
    ),
)


@dataclass(frozen=True)
class DemoStaff:
    username: str
    name: str
    role: Role
    password: str
    totp_secret: str
    phone_leg: str | None
    scopes: tuple[str, ...] = ()


ROCHDALE = "E08000005"
# Published demo credentials, refused outside development like every demo command.
DEMO_STAFF = (
    DemoStaff(
        "operator",
        "Olive Operator",
        Role.OPERATOR,
        "demo-operator-pass",
        "OPERATORDEMOSECRETOPERATOR234567",
        "browser",
    ),
    DemoStaff(
        "supervisor",
        "Sue Pervisor",
        Role.SUPERVISOR,
        "demo-supervisor-pass",
        "SUPERVISORDEMOSECRETSUPERVISOR23",
        "browser",
    ),
    DemoStaff(
        "admin",
        "Ada Administrator",
        Role.ADMIN,
        "demo-admin-pass-16",
        "ADMINDEMOSECRETADMINDEMOSECRET23",
        None,
    ),
    # Two officers of Rochdale (whose children the demo index holds, with five other towns'):
    # lifting a shield takes both.
    DemoStaff(
        "officer",
        "Owen Officer",
        Role.LA_OFFICER,
        "demo-officer-pass",
        "OFFICERDEMOSECRETOFFICERDEMO2345",
        None,
        (ROCHDALE,),
    ),
    DemoStaff(
        "officer2",
        "Rita Second-Officer",
        Role.LA_OFFICER,
        "demo-officer2-pass",
        "SECONDOFFICERDEMOSECRETSECOND234",
        None,
        (ROCHDALE,),
    ),
    DemoStaff(
        "manager",
        "Maud Manager",
        Role.MANAGER,
        "demo-manager-pass",
        "MANAGERDEMOSECRETMANAGERDEMO2345",
        None,
    ),
)
DEMO_CHILDREN = 300
DEMO_SEED = 2026
# Every demo command as a newcomer types it, from the top of a fresh clone that `make demo` has
# set up: the one way the README, the seed's output and the dev phone print it.
DEMO_COMMAND = "DESK_ENV=development .venv/bin/flask --app wsgi demo"


def demo_command(arguments: str) -> str:
    """A demo command exactly as it runs from the top of a clone, e.g. `code 40000001`."""
    return f"{DEMO_COMMAND} {arguments}"


def _require_development() -> None:
    if current_app.config["DESK_ENV"] != "development":
        raise click.UsageError("demo commands run only with DESK_ENV=development")


@click.group("demo", cls=AppGroup, invoke_without_command=True)
@click.pass_context
def demo_cli(ctx: click.Context) -> None:
    """Seed the demo data (with no subcommand), or read a demo token code."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(seed)


@demo_cli.command("seed")
def seed() -> None:
    """Add the demo practitioners (again, harmlessly) and print their credentials."""
    _require_development()
    for demo in DEMO_PRACTITIONERS:
        try:
            registry.get(demo.practitioner_id)
        except LookupError:
            registry.register(demo)
            record(
                Event.PRACTITIONER_ADDED,
                practitioner_id=demo.practitioner_id,
                data={"by": "demo seed"},
            )
        click.echo(
            f"Demo practitioner {demo.practitioner_id} ({demo.name}), phone {demo.phones[0]}: "
            f"PIN {demo.pin}, token secret {demo.totp_secret}"
        )
    for person in DEMO_STAFF:
        if accounts.find(person.username) is None:
            accounts.add_staff(
                person.username,
                person.name,
                person.role,
                person.password,
                totp_secret=person.totp_secret,
                phone_leg=person.phone_leg,
                by="demo seed",
                scopes=person.scopes,
            )
        scoped = (
            f" ({', '.join(authority_name(c) for c in person.scopes)})" if person.scopes else ""
        )
        click.echo(
            f"Demo {person.role.value} {person.username}{scoped}: password {person.password}, "
            f"authenticator secret {person.totp_secret}"
        )
    db.session.commit()
    click.get_current_context().invoke(
        generate_command, count=DEMO_CHILDREN, seed=DEMO_SEED, out=None
    )
    click.echo(
        f"A token's or authenticator's current code: {demo_command('code 40000001')} "
        "(or operator, supervisor, admin, officer, officer2, manager in place of 40000001); "
        "each code signs in once."
    )
    click.echo(f"Children to search for: {demo_command('children')}")


@demo_cli.command("code")
@click.argument("who")
def code(who: str) -> None:
    """Print the current code of a demo practitioner's token (by ID) or staff authenticator."""
    _require_development()
    try:
        sealed = (
            registry.get(who).totp_secret_encrypted
            if who.isdigit()
            else accounts.get(who).totp_secret_encrypted
        )
    except LookupError as error:
        raise click.UsageError(str(error)) from error
    click.echo(pyotp.TOTP(totp.unseal(sealed)).now())


@demo_cli.command("children")
def children() -> None:
    """Print sample search criteria from the demo's synthetic children."""
    _require_development()
    found = samples()
    if not found:
        raise click.UsageError(f"no demo children yet: seed them with {DEMO_COMMAND}")
    for sample in found:
        click.echo(f"{sample.what}: {sample.criteria}")


@demo_cli.command("call")
@click.option("--caller", default="+447700900123", show_default=True, help="The calling number.")
def call(caller: str) -> None:
    """Phone the desk from the terminal: hear the IVR, key answers, land in the queue."""
    _require_development()
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    if not token:
        raise click.UsageError("set TWILIO_AUTH_TOKEN (any value) so the desk accepts the call")
    phone = Twilio(current_app.test_client(), token).call(caller)
    phone.dial()
    while True:
        for line in phone.said_last():
            click.echo(f"  desk: {line}")
        if phone.enqueue is not None:
            for line in phone.wait(position=1):
                click.echo(f"  desk: {line}")
            click.echo("(You are in the operators' queue; this terminal phone hangs up here.)")
            return
        if phone.is_hung_up:
            click.echo("(The desk hung up.)")
            return
        digits = click.prompt(
            "keys (Enter alone waits out the timeout)", default="", show_default=False
        )
        phone.key(digits.strip().rstrip("#"))
