"""The children index: each child, the family names it is searched by, and who works with it."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, UniqueConstraint, orm, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from desk.core.extensions import Model
from desk.core.types import UTCDateTime, enum_column, utcnow

# Re-exported: the values are defined apart from the ORM, for the importer's workers.
from desk.records.values import ENGLAND as ENGLAND
from desk.records.values import ContactKind as ContactKind
from desk.records.values import Gender as Gender
from desk.records.values import SensitiveBasis as SensitiveBasis
from desk.records.values import today_in_england as today_in_england

ARCHIVE_AGE = 18


def _enum(enum: type[StrEnum]) -> Enum:
    # Stored as its value in a VARCHAR, so adding a member needs no ALTER TYPE.
    return enum_column(enum, length=24)


def latest_adult_birth_date(today: date) -> date:
    """The latest date of birth of someone who has reached their 18th birthday by `today`."""
    return latest_birth_date_at_age(today, ARCHIVE_AGE)


def latest_birth_date_at_age(today: date, age: int) -> date:
    """The latest date of birth of someone who has had their `age`th birthday by `today`."""
    try:
        return today.replace(year=today.year - age)
    except ValueError:
        # Today is 29 February; `age` years ago was not a leap year. Someone born on
        # 29 February has their birthday on 1 March in a common year, so 28 February is the latest.
        return today.replace(year=today.year - age, day=28)


class Child(Model):
    """One child in the index, from one source system, with a ContactPoint number for life."""

    __tablename__ = "children"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contactpoint_id: Mapped[str] = mapped_column(String(10), unique=True)
    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(64))
    given_names: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    # Keys of the first given name and the current family name (see desk.records.names),
    # written by the importer. Searches use the copies in child_names, which also hold the
    # alternate sound keys; the family key here ranks exact matches first.
    given_key: Mapped[str] = mapped_column(String(200))
    given_phonetic: Mapped[str] = mapped_column(String(200))
    family_key: Mapped[str] = mapped_column(String(200))
    family_phonetic: Mapped[str] = mapped_column(String(200))
    gender: Mapped[Gender] = mapped_column(_enum(Gender))
    date_of_birth: Mapped[date]
    address_lines: Mapped[list[str]] = mapped_column(JSON, default=list)
    town: Mapped[str | None] = mapped_column(String(100))
    postcode: Mapped[str | None] = mapped_column(String(8))  # normalised: "OL16 1AA"
    postcode_compact: Mapped[str | None] = mapped_column(String(7))  # "OL161AA"
    # Which local authority's ContactPoint team the child belongs to (desk.core.authorities);
    # None only for children imported before the import format named it.
    local_authority: Mapped[str | None] = mapped_column(String(9), index=True)
    # Two shields, kept apart so that neither lifts the other's: the import's own (the file's
    # `shielded`, stored in the column named is_shielded) and an officer's (desk.records.shields,
    # which keeps this flag true while a shield of theirs stands). The record is shielded if
    # either is.
    import_shielded: Mapped[bool] = mapped_column("is_shielded", default=False)
    officer_shielded: Mapped[bool] = mapped_column(default=False, server_default="false")
    # Set by the archiving job; until it runs, an 18th birthday archives a child just the same.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    has_caf: Mapped[bool] = mapped_column(default=False)
    caf_lead_name: Mapped[str | None] = mapped_column(String(200))
    caf_lead_organisation: Mapped[str | None] = mapped_column(String(200))
    caf_lead_phone: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    names: Mapped[list["ChildName"]] = orm.relationship(
        back_populates="child", cascade="all, delete-orphan", order_by="ChildName.id"
    )
    contacts: Mapped[list["Contact"]] = orm.relationship(
        back_populates="child", cascade="all, delete-orphan", order_by="Contact.id"
    )

    @hybrid_property
    def is_shielded(self) -> bool:
        """Whether the record is shielded, by the import or by an officer of its authority."""
        return self.import_shielded or self.officer_shielded

    @is_shielded.inplace.setter
    def _is_shielded_setter(self, value: bool) -> None:
        # What a test or the demo means by making a shielded child: the import's shield.
        self.import_shielded = value

    @is_shielded.inplace.expression
    @classmethod
    def _is_shielded_expression(cls) -> ColumnElement[bool]:
        return (cls.import_shielded | cls.officer_shielded).self_group()

    @is_shielded.inplace.update_expression
    @classmethod
    def _is_shielded_update(cls, value: Any) -> list[tuple[Any, Any]]:
        # UPDATE … SET is_shielded = … as the setter: the import's shield.
        return [(cls.import_shielded, value)]

    def is_archived_on(self, today: date) -> bool:
        """Whether the desk may no longer find this child: archived, or 18 by `today`."""
        return self.archived_at is not None or self.date_of_birth <= latest_adult_birth_date(today)

    @property
    def former_family_names(self) -> list[str]:
        return [name.family_name for name in self.names if name.is_former]

    def __repr__(self) -> str:
        return f"<Child {self.id} {self.contactpoint_id}>"


class ChildName(Model):
    """A family name a child is found by, current or former, with what each search pairs it with.

    Date of birth, first given name and postcode are copied from the child so that every search
    form is answered by one index on this table, at 11 million children. Only the importer
    (desk.records.staging) writes these rows, from the child's own fields.
    """

    __tablename__ = "child_names"
    # A sound match includes the exact match (see desk.records.names), so these indexes answer
    # both search forms that name a child: a search asks for rows whose primary or alternate
    # family key is one of its own, one index each (a bitmap OR). Most names have no alternate,
    # so its indexes hold only the rows that have one. The given name is checked on the few
    # rows a family name and postcode leave.
    __table_args__ = (
        Index("ix_child_names_phonetic_birth", "family_phonetic", "date_of_birth"),
        Index(
            "ix_child_names_alternate_birth",
            "family_phonetic_alt",
            "date_of_birth",
            postgresql_where=text("family_phonetic_alt IS NOT NULL"),
            sqlite_where=text("family_phonetic_alt IS NOT NULL"),
        ),
        Index("ix_child_names_phonetic_postcode", "family_phonetic", "postcode_compact"),
        Index(
            "ix_child_names_alternate_postcode",
            "family_phonetic_alt",
            "postcode_compact",
            postgresql_where=text("family_phonetic_alt IS NOT NULL"),
            sqlite_where=text("family_phonetic_alt IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    family_name: Mapped[str] = mapped_column(String(200))
    family_key: Mapped[str] = mapped_column(String(200))
    family_phonetic: Mapped[str] = mapped_column(String(200))
    family_phonetic_alt: Mapped[str | None] = mapped_column(String(200))
    is_former: Mapped[bool] = mapped_column(default=False)
    given_phonetic: Mapped[str] = mapped_column(String(200))
    given_phonetic_alt: Mapped[str | None] = mapped_column(String(200))
    date_of_birth: Mapped[date]
    postcode_compact: Mapped[str | None] = mapped_column(String(7))

    child: Mapped[Child] = orm.relationship(back_populates="names")


class Contact(Model):
    """Someone who works with or cares for a child: a parent, carer, school, GP or service."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    kind: Mapped[ContactKind] = mapped_column(_enum(ContactKind))
    name: Mapped[str | None] = mapped_column(String(200))
    organisation: Mapped[str | None] = mapped_column(String(200))
    # "mother", "foster carer"...; `orm.relationship` is spelt out in this module because of it.
    relationship: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(16))  # E.164
    service_type: Mapped[str | None] = mapped_column(String(100))
    is_sensitive: Mapped[bool] = mapped_column(default=False)
    basis: Mapped[SensitiveBasis | None] = mapped_column(_enum(SensitiveBasis))

    child: Mapped[Child] = orm.relationship(back_populates="contacts")

    def __repr__(self) -> str:
        return f"<Contact {self.id} {self.kind.value}>"


class ShieldReason(StrEnum):
    """Why an officer shielded a child: a category, never the story (no free text)."""

    DOMESTIC_ABUSE = "domestic_abuse"
    WITNESS_PROTECTION = "witness_protection"
    ADOPTION = "adoption"
    RISK_OF_ABDUCTION = "risk_of_abduction"
    OTHER_SERIOUS_RISK = "other_serious_risk"


SHIELD_REASON_LABELS = {
    ShieldReason.DOMESTIC_ABUSE: "Domestic abuse: a parent or carer must not find the child",
    ShieldReason.WITNESS_PROTECTION: "Witness protection",
    ShieldReason.ADOPTION: "Adoption or placement that must stay confidential",
    ShieldReason.RISK_OF_ABDUCTION: "Risk of abduction",
    ShieldReason.OTHER_SERIOUS_RISK: "Other serious risk of harm if the child is found",
}


class Shield(Model):
    """An officer's shield on a child: standing until a second officer approves lifting it."""

    __tablename__ = "shields"
    __table_args__ = (
        # One standing shield per child: the database keeps two officers from both adding one.
        Index(
            "uq_shields_standing_per_child",
            "child_id",
            unique=True,
            postgresql_where=text("lifted_at IS NULL"),
            sqlite_where=text("lifted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    reason: Mapped[ShieldReason] = mapped_column(_enum(ShieldReason))
    review_on: Mapped[date]
    shielded_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    shielded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Four eyes: one officer asks for the shield to be lifted, another approves.
    unshield_requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    unshield_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    child: Mapped[Child] = orm.relationship()
