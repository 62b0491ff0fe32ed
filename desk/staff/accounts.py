"""Staff accounts: adding, disabling and unlocking them, and checking a sign-in."""

import re
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import select

from desk.core import authorities
from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.credentials import accounts, totp
from desk.core.extensions import db
from desk.core.phones import to_e164
from desk.staff import passwords
from desk.staff.models import PhoneKind, Role, Staff, StaffAuthority
from desk.staff.sessions import Ending

USERNAME_SHAPE = re.compile(r"[a-z0-9._-]{3,40}")
SIP_SHAPE = re.compile(r"sip:[^@\s]+@[^@\s]+")

# Who made a change: an administrator signed in to the console, or a command-line user.
Actor = Staff | str


class Subject(TypedDict, total=False):
    """The audit column that names a member of staff."""

    operator_id: int
    supervisor_id: int


def subject(staff: Staff) -> Subject:
    """The audit column that names a member of staff, by their role."""
    # The audit log has an operator column and a supervisor column, not a staff column:
    # operators go in `operator_id`; supervisors, administrators, local authority officers and
    # managers, who act on the desk's work rather than take calls, in `supervisor_id`.
    if staff.role is Role.OPERATOR:
        return {"operator_id": staff.id}
    return {"supervisor_id": staff.id}


def _by(actor: Actor) -> dict[str, Any]:
    if isinstance(actor, Staff):
        return {"by": actor.username, "by_staff_id": actor.id}
    return {"by": actor}


def normalised_username(raw: str) -> str:
    """A username as it is stored: trimmed and lowercase."""
    return raw.strip().lower()


def normalised_phone_leg(raw: str | None) -> tuple[PhoneKind | None, str | None]:
    """Where to ring someone, in stored form: `browser` (the console's softphone), a SIP
    address or a phone number; ValueError says why it is none of them."""
    value = (raw or "").strip()
    if not value:
        return None, None
    scheme, _, rest = value.partition(":")
    # `client:…` was how a browser leg was named before the softphone: it is the softphone
    # now, answered under the opaque identity the desk gives each member of staff.
    if value.lower() == PhoneKind.BROWSER or scheme.lower() == "client":
        return PhoneKind.BROWSER, None
    if scheme.lower() == "sip":
        if not SIP_SHAPE.fullmatch(f"sip:{rest}"):
            raise ValueError("a SIP phone leg looks like sip:name@domain")
        return PhoneKind.SIP, f"sip:{rest}"
    return PhoneKind.NUMBER, to_e164(value)


def add_staff(
    username: str,
    name: str,
    role: Role | str,
    password: str,
    totp_secret: str | None = None,
    phone_leg: str | None = None,
    *,
    by: Actor,
    scopes: tuple[str, ...] = (),
) -> tuple[Staff, str]:
    """Add a member of staff, with their authenticator secret; ValueError says what is wrong.

    `scopes` are the ONS codes of a local authority officer's authorities (one at least).
    """
    username = normalised_username(username)
    if not USERNAME_SHAPE.fullmatch(username):
        raise ValueError("a username has 3 to 40 characters: a-z, 0-9, '.', '_' or '-'")
    if find(username) is not None:
        raise ValueError(f"the username {username} is taken")
    if not name.strip():
        raise ValueError("a name is required")
    try:
        role = Role(role)
    except ValueError:
        raise ValueError(f"a role is one of {', '.join(Role)}") from None
    problem = passwords.password_problem(password, username)
    if problem:
        raise ValueError(problem)
    if totp_secret is not None and not totp.is_secret(totp_secret):
        raise ValueError("the authenticator secret must be base32, at least 16 characters")
    kind, leg = normalised_phone_leg(phone_leg)
    codes = _scope_codes(role, scopes)
    secret = totp_secret or totp.new_secret()
    staff = Staff(
        username=username,
        name=name.strip(),
        role=role,
        password_hash=passwords.hash_password(password),
        totp_secret_encrypted=totp.seal(secret),
        is_active=True,
        failed_attempts=0,
        phone_kind=kind,
        phone_leg=leg,
        scopes=[StaffAuthority(authority=code) for code in codes],
    )
    db.session.add(staff)
    db.session.flush()
    record(
        Event.STAFF_ADDED,
        **subject(staff),
        data={
            "username": username,
            "role": role.value,
            **({"authorities": list(codes)} if codes else {}),
            **_by(by),
        },
    )
    return staff, secret


def _scope_codes(role: Role, scopes: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The authorities' codes, checked: an officer needs one at least, nobody else any."""
    codes = tuple(sorted({code.strip().upper() for code in scopes if code.strip()}))
    unknown = [code for code in codes if not authorities.is_authority(code)]
    if unknown:
        raise ValueError(f"{unknown[0]} is not the ONS code of an English upper-tier authority")
    if role is Role.LA_OFFICER and not codes:
        raise ValueError("a local authority officer needs at least one authority (--authority)")
    if role is not Role.LA_OFFICER and codes:
        raise ValueError("only a local authority officer is scoped to authorities")
    return codes


def set_authorities(staff: Staff, scopes: tuple[str, ...] | list[str], *, by: Actor) -> None:
    """Scope an officer to exactly these authorities (ONS codes); ValueError says why not."""
    codes = _scope_codes(staff.role, scopes)
    before = sorted(staff.authorities)
    staff.scopes = [StaffAuthority(authority=code) for code in codes]
    db.session.flush()
    record(
        Event.STAFF_AUTHORITIES_SET,
        **subject(staff),
        data={
            "username": staff.username,
            "before": before,
            "authorities": list(codes),
            **_by(by),
        },
    )


def find(username: str) -> Staff | None:
    """The member of staff with this username, if any."""
    return db.session.scalar(select(Staff).where(Staff.username == normalised_username(username)))


def get(username: str) -> Staff:
    """The member of staff with this username; LookupError when there is none."""
    staff = find(username)
    if staff is None:
        raise LookupError(f"no member of staff with the username {normalised_username(username)}")
    return staff


def all_staff() -> list[Staff]:
    """Every member of staff, by username."""
    return list(db.session.scalars(select(Staff).order_by(Staff.username)))


def signed_in_staff(staff_id: str) -> Staff | None:
    """The member of staff a session names, while their account is enabled."""
    number, _, epoch = staff_id.partition(":")
    staff = db.session.get(Staff, int(number)) if number.isdigit() else None
    if staff is not None and epoch != str(staff.session_epoch):
        return None  # a session from before a sign-out or disabling
    # Disabling an account ends its open sessions at their next request (UserMixin, whose
    # is_authenticated is is_active, would too; this does not depend on it). A lock does not:
    # anyone can lock an account by guessing, and must not be able to cut an operator off a call.
    return staff if staff is not None and staff.is_active else None


def disable(staff: Staff, *, by: Actor) -> None:
    """Stop a member of staff signing in, and end their open sessions."""
    staff.is_active = False
    staff.session_epoch += 1
    record(Event.STAFF_DISABLED, **subject(staff), data={"username": staff.username, **_by(by)})


def unlock(staff: Staff, *, by: Actor) -> None:
    """Lift a lock after repeated failures, and forget the failures."""
    accounts.unlock(staff)
    record(Event.STAFF_UNLOCKED, **subject(staff), data={"username": staff.username, **_by(by)})


def reenrol_authenticator(staff: Staff, *, by: Actor) -> str:
    """A new authenticator secret for a member of staff (their phone lost or replaced), to be
    shown once; the old one stops working, and so do their open sessions."""
    secret = totp.new_secret()
    staff.totp_secret_encrypted = totp.seal(secret)
    staff.totp_last_step = None
    staff.session_epoch += 1
    record(
        Event.STAFF_AUTHENTICATOR_REENROLLED,
        **subject(staff),
        data={"username": staff.username, **_by(by)},
    )
    return secret


def authenticate(username: str, password: str, code: str, now: datetime) -> Staff | None:
    """The member of staff these details sign in, or None; every attempt is audited.

    One argon2 verification and one code check happen whatever is wrong, and the same
    statements, so the time taken does not tell an unknown username from a wrong password.
    The password is checked before any lock is taken; the verdict then holds the account's row
    before anything else (the lock order of desk/core/credentials/accounts.py), so that
    simultaneous sign-ins are judged one after another and the audit lock always comes last.
    """
    found = find(username)
    checked = passwords.verify(found.password_hash if found else None, password)
    staff = accounts.hold(Staff, Staff.username, normalised_username(username))
    secret = totp.secret_of(staff.totp_secret_encrypted if staff else None)
    step = totp.matching_step(secret, code, now, after=staff.totp_last_step if staff else None)

    problems = _problems(staff, checked.is_match, step)
    is_spent = accounts.spend_code(Staff, None if problems else staff, step)
    if not problems and not is_spent:
        problems = ("wrong_or_reused_code",)  # only where rows cannot be held (SQLite, the demo)
    if problems:
        _fail(staff, problems, now)
        return None

    assert staff is not None
    staff.last_signed_in_at = now
    if checked.rehashed:
        staff.password_hash = checked.rehashed
    record(Event.STAFF_SIGNED_IN, **subject(staff), data={"username": staff.username})
    return staff


def sign_out(staff: Staff, ending: Ending | None = None) -> None:
    """Audit the end of a session: signed out by its holder, or ended by the desk."""
    reason = ending.value if ending else "signed_out"
    staff.session_epoch += 1
    record(
        Event.STAFF_SIGNED_OUT,
        **subject(staff),
        data={"username": staff.username, "reason": reason},
    )


def _problems(staff: Staff | None, is_password_right: bool, step: int | None) -> tuple[str, ...]:
    """What was wrong with a sign-in, for the audit log only; empty when nothing was."""
    if staff is None:
        return ("unknown_username",)
    problems = []
    if not is_password_right:
        problems.append("wrong_password")
    if step is None:
        problems.append("wrong_or_reused_code")
    if not staff.is_active:
        problems.append("disabled")
    if staff.is_locked:
        problems.append("locked")
    return tuple(problems)


def _fail(staff: Staff | None, problems: tuple[str, ...], now: datetime) -> None:
    """Count a failed sign-in against the account, locking it at the limit, then audit it."""
    # Counted (on the row this sign-in holds) before the audit takes its lock: the lock order.
    failures = accounts.count_failure(Staff, staff, now)
    if staff is None:
        # What was typed is not kept: a password typed into the username box is still a password.
        record(Event.STAFF_SIGN_IN_FAILED, data={"reasons": list(problems)})
        return
    record(
        Event.STAFF_SIGN_IN_FAILED,
        **subject(staff),
        data={"username": staff.username, "reasons": list(problems)},
    )
    if failures is not None:
        record(
            Event.STAFF_LOCKED,
            **subject(staff),
            data={"username": staff.username, "failures": failures},
        )
