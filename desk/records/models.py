"""The children index: each child, the family names it is searched by, and who works with it."""

from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, UniqueConstraint, orm, text
from sqlalchemy.orm import Mapped, mapped_column

from desk.core.extensions import Model
from desk.core.types import UTCDateTime, enum_column, utcnow

ARCHIVE_AGE = 18
# Children come of age at midnight in England, whatever the server's clock says.
ENGLAND = ZoneInfo("Europe/London")


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class ContactKind(StrEnum):
    PARENT = "parent"
    CARER = "carer"
    SCHOOL = "school"
    GP = "gp"
    LEAD_PROFESSIONAL = "lead_professional"
    SERVICE = "service"


class SensitiveBasis(StrEnum):
    """Why a sensitive service is on the record at all (ContactPoint Regulations, reg. 6)."""

    CONSENT = "consent"
    IN_NEED = "in_need"


def _enum(enum: type[StrEnum]) -> Enum:
    # Stored as its value in a VARCHAR, so adding a member needs no ALTER TYPE.
    return enum_column(enum, length=24)


def today_in_england() -> date:
    """Today's date in England, where the index's birthdays fall."""
    return datetime.now(ENGLAND).date()


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
    is_shielded: Mapped[bool] = mapped_column(default=False)
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
