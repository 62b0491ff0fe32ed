"""Synthetic children, in the import format, for trying the desk and testing it at scale.

Deterministic for a seed and a day (ages are counted back from `today`). No real person: names
come from Faker's en_GB lists and phone numbers from Ofcom's ranges kept for drama.
"""

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from faker import Faker

from desk.records.models import ContactKind, Gender, latest_adult_birth_date

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
SOUND_ALIKE_GIVEN_NAMES = {
    Gender.FEMALE: ("Catherine", "Kathryn", "Katherine", "Zoe", "Zoë", "Ann", "Anne"),
    Gender.MALE: ("Stephen", "Steven", "Philip", "Filip", "Jon", "John"),
}
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


def children(count: int, *, seed: int, today: date) -> Iterator[dict[str, Any]]:
    """`count` synthetic children as import-format objects, the same for the same seed and day."""
    rng = random.Random(seed)  # noqa: S311 - repeatable made-up data  # nosec B311
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    for n in range(1, count + 1):
        yield _child(f"SYN-{seed}-{n:07d}", rng, fake, today)


def _child(source_id: str, rng: random.Random, fake: Faker, today: date) -> dict[str, Any]:
    gender = rng.choices(list(Gender), weights=(48, 48, 1, 3))[0]
    family_name = _family_name(rng, fake)
    given_names = _given_name(gender, rng, fake)
    if rng.random() < 0.5:
        given_names += f" {_given_name(gender, rng, fake)}"
    born = _birth_date(rng, today, is_archived=rng.random() < ARCHIVED)
    age = (today - born).days // 365
    town, districts = rng.choice(TOWNS)
    postcode = (
        f"{rng.choice(districts)} {rng.randint(1, 9)}"
        f"{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
    )
    child: dict[str, Any] = {
        "source": SOURCE,
        "source_id": source_id,
        "given_names": given_names,
        "family_name": family_name,
        "gender": gender.value,
        "date_of_birth": born.isoformat(),
        "address": {
            "lines": [f"{fake.building_number()} {fake.street_name()}"],
            "town": town,
            "postcode": postcode,
        },
        "shielded": rng.random() < SHIELDED,
        "contacts": _contacts(family_name, town, age, rng, fake),
    }
    if rng.random() < FORMER_NAME:
        child["former_family_names"] = [fake.last_name()]
    if rng.random() < CAF:
        lead = {"name": _person(rng, fake), "organisation": f"{town} Early Help"}
        child["caf"] = {"exists": True, "lead_contact": {**lead, "phone": _landline(rng)}}
    return child


def _contacts(
    family_name: str, town: str, age: int, rng: random.Random, fake: Faker
) -> list[dict[str, Any]]:
    contacts: list[dict[str, Any]] = []
    if rng.random() < 0.04:
        name = f"{fake.first_name()} {fake.last_name()}"
        contacts.append(_contact(ContactKind.CARER, rng, name=name, relationship="foster carer"))
    else:
        mother = f"{fake.first_name_female()} {family_name}"
        contacts.append(_contact(ContactKind.PARENT, rng, name=mother, relationship="mother"))
        if rng.random() < 0.7:
            father = f"{fake.first_name_male()} {family_name}"
            contacts.append(_contact(ContactKind.PARENT, rng, name=father, relationship="father"))
    if age >= 4:
        school = f"{fake.street_name()} {'Academy' if age >= 11 else 'Primary School'}"
        contacts.append(
            _contact(ContactKind.SCHOOL, rng, name="School office", organisation=school)
        )
    surgery = f"{fake.last_name()} Surgery"
    contacts.append(
        _contact(ContactKind.GP, rng, name=f"Dr {_person(rng, fake)}", organisation=surgery)
    )
    if rng.random() < LEAD_PROFESSIONAL:
        contacts.append(
            _contact(
                ContactKind.LEAD_PROFESSIONAL,
                rng,
                name=_person(rng, fake),
                organisation=f"{town} Early Help",
            )
        )
    if rng.random() < OTHER_SERVICE:
        contacts.append(
            _contact(
                ContactKind.SERVICE,
                rng,
                name=_person(rng, fake),
                organisation=f"{town} Children's Services",
                service_type=rng.choice(OTHER_SERVICES),
            )
        )
    if rng.random() < SENSITIVE_SERVICE:
        service = _contact(
            ContactKind.SERVICE,
            rng,
            name=_person(rng, fake),
            organisation=f"{town} Young People's Clinic",
            service_type=rng.choice(SENSITIVE_SERVICES),
        )
        contacts.append({**service, "sensitive": True, "basis": rng.choice(("consent", "in_need"))})
    return contacts


def _contact(kind: ContactKind, rng: random.Random, **fields: str) -> dict[str, Any]:
    # Parents and carers are reached on mobiles, organisations on landlines.
    is_family = kind in (ContactKind.PARENT, ContactKind.CARER)
    return {"kind": kind.value, **fields, "phone": _mobile(rng) if is_family else _landline(rng)}


def _family_name(rng: random.Random, fake: Faker) -> str:
    if rng.random() < SOUND_ALIKE:
        return rng.choice(rng.choice(SOUND_ALIKE_FAMILY_NAMES))
    return str(fake.last_name())


def _given_name(gender: Gender, rng: random.Random, fake: Faker) -> str:
    if gender in SOUND_ALIKE_GIVEN_NAMES and rng.random() < SOUND_ALIKE:
        return rng.choice(SOUND_ALIKE_GIVEN_NAMES[gender])
    if gender is Gender.FEMALE:
        return str(fake.first_name_female())
    if gender is Gender.MALE:
        return str(fake.first_name_male())
    return str(fake.first_name())


def _birth_date(rng: random.Random, today: date, *, is_archived: bool) -> date:
    eighteenth = latest_adult_birth_date(today)  # born on or before this: 18 or over
    if is_archived:
        # 18 or 19: archived, not yet purged.
        return eighteenth - timedelta(days=rng.randint(0, 729))
    return today - timedelta(days=rng.randint(0, (today - eighteenth).days - 1))


def _person(rng: random.Random, fake: Faker) -> str:
    return f"{rng.choice('ABCDEFGHJKLMNPRSTW')}. {fake.last_name()}"


def _mobile(rng: random.Random) -> str:
    return f"+447700900{rng.randint(0, 999):03d}"


def _landline(rng: random.Random) -> str:
    return f"+441632960{rng.randint(0, 999):03d}"
