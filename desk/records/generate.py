"""Synthetic children, in the import format, for trying the desk and testing it at scale.

Deterministic for a seed and a day (ages are counted back from `today`). No real person: names
come from Faker's en_GB lists and phone numbers from Ofcom's ranges kept for drama.

Fast enough to write files of millions: the word lists are read from Faker once, and every
choice is drawn from one seeded `random.Random` (only its `random()`, whose sequence Python
keeps stable across versions), never through Faker for each child.
"""

import json
import random
from bisect import bisect
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from itertools import accumulate
from typing import Any, TypeVar

from faker.providers.address.en_GB import Provider as AddressWords
from faker.providers.person.en_GB import Provider as PersonWords

from desk.core import authorities
from desk.records import contactpoint
from desk.records.models import (
    ContactKind,
    Gender,
    SensitiveBasis,
    latest_adult_birth_date,
    latest_birth_date_at_age,
)

SOURCE = "synthetic"

# Shares of children, close to the national picture the desk is planned for.
SHIELDED = 0.01
SENSITIVE_SERVICE = 0.05
CAF = 0.08
ARCHIVED = 0.03
LEAD_PROFESSIONAL = 0.12
OTHER_SERVICE = 0.20
FORMER_NAME = 0.06
SOUND_ALIKE = 0.10
FOSTER_CARER = 0.04
FATHER = 0.7
MIDDLE_NAME = 0.5
FLAT = 0.10

# Every fiftieth child comes with a ContactPoint number, as from a source that already holds
# them; the importer assigns the rest.
NUMBERED_EVERY = 50

# Family and given names that differ in spelling but share a sound key, so that searches by
# sound find more than one spelling.
SOUND_ALIKE_FAMILY_NAMES = (
    ("Smith", "Smyth"),
    ("Reid", "Reed", "Read"),
    ("Stephens", "Stevens"),
    ("Phillips", "Philips"),
    ("Clark", "Clarke"),
    ("Davies", "Davis"),
    ("Matthews", "Mathews"),
    ("Gray", "Grey"),
    ("O'Neill", "Neal"),
)
SOUND_ALIKE_GIVEN_NAMES: dict[str, tuple[str, ...]] = {
    Gender.FEMALE: ("Catherine", "Kathryn", "Katherine", "Zoe", "Zoë", "Ann", "Anne"),
    Gender.MALE: ("Stephen", "Steven", "Philip", "Filip", "Jon", "John"),
}
# Genders in a hundred children.
GENDER_SHARES = {Gender.FEMALE: 48, Gender.MALE: 48, Gender.OTHER: 1, Gender.UNKNOWN: 3}
# Towns with some of their real postcode districts, so towns and postcodes agree.
TOWNS = (
    ("Rochdale", ("OL11", "OL12", "OL16")),
    ("Oldham", ("OL1", "OL4", "OL8")),
    ("Bury", ("BL8", "BL9")),
    ("Bolton", ("BL1", "BL3")),
    ("Manchester", ("M8", "M14", "M20")),
    ("Stockport", ("SK1", "SK4")),
    ("Leeds", ("LS6", "LS11")),
    ("Sheffield", ("S2", "S11")),
)
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
OTHER_SERVICES = (
    "speech and language therapy",
    "health visiting",
    "school nursing",
    "educational psychology",
    "youth service",
)
SENSITIVE_SERVICES = ("sexual health", "substance misuse", "child and adolescent mental health")
INITIALS = "ABCDEFGHJKLMNPRSTW"

# Faker's en_GB word lists, read once. Family names keep Faker's weights (Smith is common).
FEMALE_NAMES: tuple[str, ...] = tuple(PersonWords.first_names_female)
MALE_NAMES: tuple[str, ...] = tuple(PersonWords.first_names_male)
FIRST_NAMES = FEMALE_NAMES + MALE_NAMES
FAMILY_NAMES: tuple[str, ...] = tuple(PersonWords.last_names)
FAMILY_NAME_WEIGHTS = tuple(accumulate(PersonWords.last_names.values()))
STREET_SUFFIXES: tuple[str, ...] = tuple(AddressWords.street_suffixes)
GIVEN_NAMES: dict[str, tuple[str, ...]] = {
    Gender.FEMALE: FEMALE_NAMES,
    Gender.MALE: MALE_NAMES,
    Gender.OTHER: FIRST_NAMES,
    Gender.UNKNOWN: FIRST_NAMES,
}

# Everything else a child is made of, written out once. Genders and kinds are plain strings:
# reading an enum member's value for every child took a seventh of the time to make one.
GENDERS = tuple(gender.value for gender, share in GENDER_SHARES.items() for _ in range(share))
PARENT = ContactKind.PARENT.value
CARER = ContactKind.CARER.value
SCHOOL = ContactKind.SCHOOL.value
GP = ContactKind.GP.value
LEAD = ContactKind.LEAD_PROFESSIONAL.value
SERVICE = ContactKind.SERVICE.value
BASES = tuple(basis.value for basis in SensitiveBasis)
INWARD_CODES = tuple(
    f"{digit}{first}{second}"
    for digit in range(1, 10)
    for first in INWARD_LETTERS
    for second in INWARD_LETTERS
)
# Ofcom's drama ranges, a thousand numbers each.
MOBILES = tuple(f"+447700900{n:03d}" for n in range(1000))
LANDLINES = tuple(f"+441632960{n:03d}" for n in range(1000))

T = TypeVar("T")


def children(count: int, *, seed: int, today: date) -> Iterator[dict[str, Any]]:
    """`count` synthetic children as import-format objects, the same for the same seed and day."""
    make = _Children(seed, today)
    for n in range(1, count + 1):
        child = make.child(f"SYN-{seed}-{n:07d}")
        number = _given_number(seed, n)
        if number:
            child["contactpoint_id"] = number
        yield child


def lines(count: int, *, seed: int, today: date) -> Iterator[str]:
    """The same children as lines of an import file: compact JSON, each ending in a newline."""
    encode = json.JSONEncoder(
        ensure_ascii=False, check_circular=False, separators=(",", ":")
    ).encode
    for child in children(count, seed=seed, today=today):
        yield encode(child) + "\n"


class _Children:
    """Children drawn one after another from one seeded generator, for one day."""

    def __init__(self, seed: int, today: date) -> None:
        rng = random.Random(seed)  # noqa: S311 - repeatable made-up data  # nosec B311
        self.random = rng.random
        # Children are up to this many days old; the archived are 18 or 19, not yet purged.
        self.under_18 = (today - latest_adult_birth_date(today)).days
        self.at_school = (today - latest_birth_date_at_age(today, 4)).days
        self.at_secondary = (today - latest_birth_date_at_age(today, 11)).days
        # Dates of birth by age in days, written once rather than for each child.
        self.born = tuple(
            (today - timedelta(days=days)).isoformat() for days in range(self.under_18 + 730)
        )

    def child(self, source_id: str) -> dict[str, Any]:
        """One child in the import format."""
        random = self.random
        gender = GENDERS[int(random() * len(GENDERS))]
        family_name = self.family_name()
        given_names = self.given_name(gender)
        if random() < MIDDLE_NAME:
            given_names += " " + self.given_name(gender)
        if random() < ARCHIVED:
            days_old = self.under_18 + int(random() * 730)
        else:
            days_old = int(random() * self.under_18)
        town, districts = self.pick(TOWNS)
        street = f"{1 + int(random() * 199)} {self.street_name()}"
        child: dict[str, Any] = {
            "source": SOURCE,
            "source_id": source_id,
            "given_names": given_names,
            "family_name": family_name,
            "gender": gender,
            "date_of_birth": self.born[days_old],
            "address": {
                "lines": [f"Flat {1 + int(random() * 24)}", street]
                if random() < FLAT
                else [street],
                "town": town,
                "postcode": f"{self.pick(districts)} {self.pick(INWARD_CODES)}",
            },
            "shielded": random() < SHIELDED,
            "contacts": self.contacts(family_name, town, days_old),
            "local_authority": _authority_of(town),
        }
        if random() < FORMER_NAME:
            child["former_family_names"] = [self.surname()]
        if random() < CAF:
            lead = {
                "name": self.person(),
                "organisation": f"{town} Early Help",
                "phone": self.pick(LANDLINES),
            }
            child["caf"] = {"exists": True, "lead_contact": lead}
        return child

    def contacts(self, family_name: str, town: str, days_old: int) -> list[dict[str, Any]]:
        """Family, GP, school from 4, and some professionals; family on mobiles, the rest not."""
        random = self.random
        pick = self.pick
        if random() < FOSTER_CARER:
            carer = f"{pick(FIRST_NAMES)} {self.surname()}"
            contacts = [_family(CARER, carer, "foster carer", pick(MOBILES))]
        else:
            mother = f"{pick(FEMALE_NAMES)} {family_name}"
            contacts = [_family(PARENT, mother, "mother", pick(MOBILES))]
            if random() < FATHER:
                father = f"{pick(MALE_NAMES)} {family_name}"
                contacts.append(_family(PARENT, father, "father", pick(MOBILES)))
        if days_old >= self.at_school:
            school = "Academy" if days_old >= self.at_secondary else "Primary School"
            organisation = f"{self.street_name()} {school}"
            contacts.append(_organisation(SCHOOL, "School office", organisation, pick(LANDLINES)))
        surgery = f"{self.surname()} Surgery"
        contacts.append(_organisation(GP, f"Dr {self.person()}", surgery, pick(LANDLINES)))
        if random() < LEAD_PROFESSIONAL:
            early_help = f"{town} Early Help"
            contacts.append(_organisation(LEAD, self.person(), early_help, pick(LANDLINES)))
        if random() < OTHER_SERVICE:
            service = _organisation(
                SERVICE, self.person(), f"{town} Children's Services", pick(LANDLINES)
            )
            service["service_type"] = pick(OTHER_SERVICES)
            contacts.append(service)
        if random() < SENSITIVE_SERVICE:
            service = _organisation(
                SERVICE, self.person(), f"{town} Young People's Clinic", pick(LANDLINES)
            )
            service["service_type"] = pick(SENSITIVE_SERVICES)
            service["sensitive"] = True
            service["basis"] = pick(BASES)
            contacts.append(service)
        return contacts

    def pick(self, items: Sequence[T]) -> T:
        """Any one of `items`, each as likely."""
        return items[int(self.random() * len(items))]

    def family_name(self) -> str:
        """A child's family name, now and then one of several spellings of one sound."""
        if self.random() < SOUND_ALIKE:
            return self.pick(self.pick(SOUND_ALIKE_FAMILY_NAMES))
        return self.surname()

    def given_name(self, gender: str) -> str:
        """A given name for the gender, now and then one of several spellings of one sound."""
        if gender in SOUND_ALIKE_GIVEN_NAMES and self.random() < SOUND_ALIKE:
            return self.pick(SOUND_ALIKE_GIVEN_NAMES[gender])
        return self.pick(GIVEN_NAMES[gender])

    def surname(self) -> str:
        """A family name from Faker's list, as often as Faker would give it."""
        weight = self.random() * FAMILY_NAME_WEIGHTS[-1]
        # Never past the last name, even if rounding takes the weight to the very top.
        return FAMILY_NAMES[bisect(FAMILY_NAME_WEIGHTS, weight, 0, len(FAMILY_NAMES) - 1)]

    def person(self) -> str:
        """A professional as an initial and a family name: "J. Patel"."""
        return f"{self.pick(INITIALS)}. {self.surname()}"

    def street_name(self) -> str:
        """A street as Faker makes one: a first or family name and a suffix."""
        name = self.pick(FIRST_NAMES) if self.random() < 0.5 else self.surname()
        return f"{name} {self.pick(STREET_SUFFIXES)}"


def _authority_of(town: str) -> str:
    # Every town the generator uses is a local authority of its own name.
    code = authorities.code_for(town)
    assert code is not None, town
    return code


def _given_number(seed: int, n: int) -> str | None:
    """The ContactPoint number the nth child comes with, if any.

    Made from the seed and the child's place alone, so a child keeps its number whatever the
    day; seeds a hundred apart share numbers. Starting with 0, which the importer never
    draws, a given number is never one the importer has already assigned to another child.
    """
    place, rest = divmod(n, NUMBERED_EVERY)
    if rest or place >= 1_000_000:
        return None
    first_nine = f"0{seed % 100:02d}{place:06d}"
    check = contactpoint.check_digit(first_nine)
    return None if check is None else f"{first_nine}{check}"


def _family(kind: str, name: str, relationship: str, phone: str) -> dict[str, Any]:
    return {"kind": kind, "name": name, "relationship": relationship, "phone": phone}


def _organisation(kind: str, name: str, organisation: str, phone: str) -> dict[str, Any]:
    return {"kind": kind, "name": name, "organisation": organisation, "phone": phone}
