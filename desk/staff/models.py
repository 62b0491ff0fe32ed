"""Staff who sign in: operators, supervisors, administrators, local authority officers, managers."""

import secrets
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.core.credentials.accounts import Credentialed
from desk.core.extensions import Model
from desk.core.types import UTCDateTime, enum_column, utcnow


class Role(StrEnum):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    # A local authority's ContactPoint team: brokers contact and shields, for its authorities.
    LA_OFFICER = "la_officer"
    # ContactPoint management: the audit report and subject access, and no child's record.
    MANAGER = "manager"

    @property
    def label(self) -> str:
        """The role as the console shows it."""
        return {
            "operator": "Operator",
            "supervisor": "Supervisor",
            "admin": "Administrator",
            "la_officer": "Local authority officer",
            "manager": "Manager",
        }[self.value]


class PhoneKind(StrEnum):
    """Where the desk rings a member of staff into a call."""

    BROWSER = "browser"  # the console's softphone (Twilio's Voice JavaScript SDK)
    NUMBER = "number"  # a telephone number, E.164
    SIP = "sip"  # a SIP address


class Staff(UserMixin, Credentialed, Model):  # type: ignore[misc]  # flask-login has no type hints
    """A member of the desk's staff, who signs in with a password and an authenticator code."""

    __tablename__ = "staff"
    # Usernames are compared lowercase; the database makes sure no other kind gets in.
    __table_args__ = (CheckConstraint("username = lower(username)", name="username_lowercase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    password_hash: Mapped[str] = mapped_column(String(200))
    # Also Flask-Login's `is_active`, which refuses sign-in to a disabled account.
    is_active: Mapped[bool] = mapped_column(default=True)
    # How the desk rings this person into a call: the softphone, or `phone_leg` (E.164 or sip:).
    phone_kind: Mapped[PhoneKind | None] = mapped_column(enum_column(PhoneKind))
    phone_leg: Mapped[str | None] = mapped_column(String(200))
    # The softphone's identity in its access token: opaque, never the name or the role.
    softphone_identity: Mapped[str] = mapped_column(
        String(32), unique=True, default=lambda: secrets.token_hex(16)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of the id a session cookie carries: bumped at sign-out or disabling, it voids every
    # copy of an earlier cookie, which a signed cookie alone cannot be made to forget.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")

    @property
    def dial_target(self) -> str | None:
        """What the desk dials to ring them: `client:<identity>`, a number or a SIP address."""
        if self.phone_kind is PhoneKind.BROWSER:
            return f"client:{self.softphone_identity}"
        return self.phone_leg

    # Loaded when asked for, never with the row: a sign-in runs the same statements whether
    # or not the username exists (tests/desk/staff/test_sign_in.py).
    scopes: Mapped[list["StaffAuthority"]] = relationship(
        cascade="all, delete-orphan", order_by="StaffAuthority.authority"
    )

    @property
    def authorities(self) -> frozenset[str]:
        """The ONS codes of the local authorities a local authority officer works for."""
        return frozenset(scope.authority for scope in self.scopes)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session: the id and the session epoch."""
        return f"{self.id}:{self.session_epoch}"

    def __repr__(self) -> str:
        return f"<Staff {self.username}>"


class StaffAuthority(Model):
    """One local authority (ONS code, desk.core.authorities) an officer is scoped to."""

    __tablename__ = "staff_authorities"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    authority: Mapped[str] = mapped_column(String(9), primary_key=True)
