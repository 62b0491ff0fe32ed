"""The records' plain values, without the ORM: what a worker that only parses needs to import."""

from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

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


def today_in_england() -> date:
    """Today's date in England, where the index's birthdays fall."""
    return datetime.now(ENGLAND).date()
