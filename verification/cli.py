"""`flask practitioners …`: issue and manage practitioners' access from the command line."""

import getpass
from collections.abc import Callable
from datetime import date

import click
from flask.cli import AppGroup

from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.credentials import totp
from desk.core.extensions import db
from verification import pins, registry
from verification.models import Practitioner
from verification.registry import NewPractitioner

practitioners_cli = AppGroup("practitioners", help="Issue and manage practitioners' access.")


def _by() -> dict[str, str]:
    """Who ran the command, for the audit log."""
    return {"by": f"command line ({getpass.getuser()})"}


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
@click.option("--pin", help="6 to 12 digits. Default: a random PIN, printed once.")
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
    """Register a practitioner and issue their PIN and token."""
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
    record(Event.PRACTITIONER_ADDED, practitioner_id=practitioner_id, data=_by())
    db.session.commit()
    click.echo(f"Added practitioner {practitioner_id} ({issued.practitioner.name}).")
    if issued.is_pin_generated:
        click.echo(f"PIN (shown once, give it to the practitioner): {issued.pin}")
    if issued.is_secret_generated:
        click.echo(f"Token secret (shown once): {issued.totp_secret}")
        click.echo(
            f"Provisioning URI: {totp.provisioning_uri(issued.totp_secret, practitioner_id)}"
        )


def _change(
    kind: Event, action: Callable[[Practitioner], None], done: str
) -> Callable[[str], None]:
    def command(practitioner_id: str) -> None:
        try:
            practitioner = registry.get(practitioner_id)
        except LookupError as error:
            raise click.UsageError(str(error)) from error
        action(practitioner)
        record(kind, practitioner_id=practitioner_id, data=_by())
        db.session.commit()
        click.echo(f"Practitioner {practitioner_id} {done}.")

    return command


for _name, _kind, _action, _done, _help in (
    (
        "unlock",
        Event.PRACTITIONER_UNLOCKED,
        registry.unlock,
        "unlocked",
        "Lift a practitioner's lock after repeated failures.",
    ),
    (
        "suspend",
        Event.PRACTITIONER_SUSPENDED,
        registry.suspend,
        "suspended",
        "Stop a practitioner's access to the desk.",
    ),
    (
        "reactivate",
        Event.PRACTITIONER_REACTIVATED,
        registry.reactivate,
        "reactivated",
        "Restore a suspended practitioner's access.",
    ),
):
    practitioners_cli.command(_name, help=_help)(
        click.argument("practitioner_id")(_change(_kind, _action, _done))
    )


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
    today = pins.cost_of(pins.hasher().dummy)
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
