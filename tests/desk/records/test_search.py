"""Searching the index: only the allowed forms, no wildcards, no browsing, nothing leaked."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from desk.core.audit.models import AuditEvent
from desk.core.extensions import db
from desk.records.models import Child, today_in_england
from desk.records.search import (
    MAX_MATCHES,
    Criteria,
    SearchMethod,
    SearchRefused,
    SearchResult,
    form_of,
    result_line,
    search,
)
from tests.desk.records.factories import make_child, make_children

BORN = date(2015, 3, 14)
TODAY = date(2026, 6, 1)


@pytest.mark.parametrize(
    ("criteria", "form"),
    [
        (Criteria(contactpoint_number="9434765919"), SearchMethod.CONTACTPOINT_NUMBER),
        (Criteria(contactpoint_number=" 943 476 5919 "), SearchMethod.CONTACTPOINT_NUMBER),
        (Criteria(family_name="O'Neill", date_of_birth=BORN), SearchMethod.NAME_AND_DATE_OF_BIRTH),
        (
            Criteria(
                family_name="Smith-Jones", given_name="Zoë", date_of_birth=BORN, gender="female"
            ),
            SearchMethod.NAME_AND_DATE_OF_BIRTH,
        ),
        (
            Criteria(family_name="Иванов", given_name="Анна", date_of_birth=BORN),
            SearchMethod.NAME_AND_DATE_OF_BIRTH,
        ),
        (
            Criteria(family_name="O'Neill", given_name="Amelia", postcode="ol16 1aa"),
            SearchMethod.NAME_AND_POSTCODE,
        ),
    ],
)
def test_allowed_forms(criteria: Criteria, form: SearchMethod) -> None:
    assert form_of(criteria, TODAY) is form


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        (Criteria(), "Nothing to search on: ask the caller for the ContactPoint number alone"),
        (Criteria(gender="female"), "The family name is needed"),
        (Criteria(date_of_birth=BORN), "The family name is needed"),
        (Criteria(given_name="Amelia", date_of_birth=BORN), "The family name is needed"),
        (Criteria(given_name="Amelia", postcode="OL16 1AA"), "The family name is needed"),
        (Criteria(family_name="Smith"), "A name is not enough"),
        (Criteria(family_name="Smith", given_name="Amelia"), "A name is not enough"),
        (Criteria(family_name="Smith", gender="male"), "A name is not enough"),
        (Criteria(family_name="Smith", postcode="OL16 1AA"), "needs the given name too"),
        (Criteria(family_name="S", date_of_birth=BORN), "family name needs at least 2 letters"),
        (Criteria(family_name="O'", date_of_birth=BORN), "family name needs at least 2 letters"),
        (Criteria(family_name="%", date_of_birth=BORN), "no wildcards (%, * or _)"),
        (Criteria(family_name="Sm%", date_of_birth=BORN), "family name may hold only letters"),
        (Criteria(family_name="Sm*", date_of_birth=BORN), "no wildcards"),
        (Criteria(family_name="Sm_th", date_of_birth=BORN), "no wildcards"),
        (Criteria(family_name="Smith2", date_of_birth=BORN), "digits"),
        (
            Criteria(family_name="<script>alert(1)</script>", date_of_birth=BORN),
            "family name may hold only letters",
        ),
        (
            Criteria(family_name="Smith", given_name="A%", date_of_birth=BORN),
            "given name may hold only letters",
        ),
        (
            Criteria(family_name="Smith", given_name="J", postcode="OL16 1AA"),
            "given name needs at least 2 letters",
        ),
        (Criteria(contactpoint_number="9434765918"), "not a valid ContactPoint number"),
        (Criteria(contactpoint_number="1234567890"), "not a valid ContactPoint number"),
        (Criteria(contactpoint_number="943476591"), "not a valid ContactPoint number"),
        (Criteria(contactpoint_number="94347659%"), "not a valid ContactPoint number"),
        (
            Criteria(contactpoint_number="9434765919", family_name="Smith"),
            "ContactPoint number on its own",
        ),
        (
            Criteria(family_name="Smith", given_name="Amy", date_of_birth=BORN, postcode="M1 1AE"),
            "by date of birth or by postcode, not both",
        ),
        (
            Criteria(family_name="Smith", given_name="Amy", postcode="M1 1AE", gender="female"),
            "Gender narrows a search by date of birth only",
        ),
        (
            Criteria(family_name="Smith", date_of_birth=BORN, gender="girl"),
            "Gender is female, male, other or unknown",
        ),
        (
            Criteria(family_name="Smith", given_name="Amy", postcode="M1"),
            "not a UK postcode",
        ),
        (
            Criteria(family_name="Smith", given_name="Amy", postcode="M1 1A%"),
            "not a UK postcode",
        ),
        (
            Criteria(family_name="Smith", date_of_birth=TODAY + timedelta(days=1)),
            "date of birth is in the future",
        ),
    ],
)
def test_refused_criteria_say_what_to_ask_for(
    ctx: object, criteria: Criteria, message: str
) -> None:
    with pytest.raises(SearchRefused) as refused:
        search(criteria, TODAY)
    assert message in refused.value.args[0]


@pytest.mark.parametrize(
    "criteria",
    [
        Criteria(family_name="ONeill", date_of_birth=BORN),
        Criteria(family_name="o neill", date_of_birth=BORN),
        Criteria(family_name="O\u2019NEILL", given_name="amelia", date_of_birth=BORN),
        Criteria(family_name="O'Neil", given_name="Amelia", postcode="OL161AA"),  # by sound
        Criteria(family_name="O'Neill", date_of_birth=BORN, gender="female"),
        Criteria(family_name="Smith", date_of_birth=BORN),  # her former family name
        Criteria(family_name="Smyth", given_name="Amelia", postcode="ol16 1aa"),  # sounds so
    ],
)
def test_a_child_is_found_however_the_name_is_spelt(ctx: object, criteria: Criteria) -> None:
    amelia = make_child()
    assert search(criteria, TODAY).matches == (amelia,)


@pytest.mark.parametrize(
    "criteria",
    [
        Criteria(family_name="O'Neill", date_of_birth=BORN + timedelta(days=1)),
        Criteria(family_name="O'Neill", date_of_birth=BORN, gender="male"),
        Criteria(family_name="O'Neill", given_name="Grace", date_of_birth=BORN),
        Criteria(family_name="Neill", date_of_birth=BORN),
        Criteria(family_name="Jones", date_of_birth=BORN),  # no former name of hers
        Criteria(family_name="O'Neill", given_name="Amelia", postcode="OL16 1AB"),
        Criteria(family_name="O'Neill", given_name="Rose", postcode="OL16 1AA"),  # middle name
    ],
)
def test_near_misses_find_nobody(ctx: object, criteria: Criteria) -> None:
    make_child()
    assert search(criteria, TODAY) == SearchResult(
        form=form_of(criteria, TODAY), matches=(), match_count=0, is_too_many=False
    )


def test_unicode_and_hyphenated_names_are_found(ctx: object) -> None:
    zoe = make_child(given_names="Zoë", family_name="Smith-Jones", former_family_names=[])
    for family, given in (("Smith-Jones", "Zoë"), ("smith jones", "Zoe"), ("SMITHJONES", "ZOE")):
        criteria = Criteria(family_name=family, given_name=given, postcode="OL16 1AA")
        assert search(criteria, TODAY).matches == (zoe,), (family, given)


def test_sound_alike_given_names_are_found(ctx: object) -> None:
    kathryn = make_child(given_names="Kathryn", family_name="Smyth")
    criteria = Criteria(family_name="Smith", given_name="Catherine", date_of_birth=BORN)
    assert search(criteria, TODAY).matches == (kathryn,)


def test_exact_spellings_are_listed_before_sound_alikes(ctx: object) -> None:
    smyth = make_child(family_name="Smyth", former_family_names=[])
    smith = make_child(family_name="Smith", former_family_names=[])
    result = search(Criteria(family_name="Smith", date_of_birth=BORN), TODAY)
    assert result.matches == (smith, smyth) and result.match_count == 2


def test_a_number_finds_its_child_only(ctx: object) -> None:
    amelia = make_child(contactpoint_id="9434765919")
    make_child()
    result = search(Criteria(contactpoint_number="943 476 5919"), TODAY)
    assert result == SearchResult(SearchMethod.CONTACTPOINT_NUMBER, (amelia,), 1, False)


def test_ten_matches_are_listed(ctx: object) -> None:
    make_children(MAX_MATCHES, family_name="Patel", former_family_names=[])
    result = search(Criteria(family_name="Patel", date_of_birth=BORN), TODAY)
    assert len(result.matches) == result.match_count == MAX_MATCHES
    assert not result.is_too_many


def test_more_than_ten_lists_nobody_and_gives_no_count(ctx: object) -> None:
    make_children(MAX_MATCHES + 2, family_name="Patel", former_family_names=[])
    result = search(Criteria(family_name="Patel", date_of_birth=BORN), TODAY)
    assert result == SearchResult(
        SearchMethod.NAME_AND_DATE_OF_BIRTH, matches=(), match_count=0, is_too_many=True
    )


def test_a_postcode_search_never_returns_a_shielded_child_and_says_nothing(ctx: object) -> None:
    shielded = make_child(shielded=True)
    by_postcode = Criteria(family_name="O'Neill", given_name="Amelia", postcode="OL16 1AA")
    nobody_there = Criteria(family_name="O'Neill", given_name="Amelia", postcode="OL16 1AB")
    assert search(by_postcode, TODAY) == search(nobody_there, TODAY)
    # The rules hide only what a shielded record hides: name and birth date still find her.
    assert search(Criteria(family_name="O'Neill", date_of_birth=BORN), TODAY).matches == (shielded,)


def test_a_shielded_child_does_not_count_towards_too_many_at_a_postcode(ctx: object) -> None:
    make_children(MAX_MATCHES, family_name="Patel", former_family_names=[])
    make_child(family_name="Patel", former_family_names=[], shielded=True)
    result = search(Criteria(family_name="Patel", given_name="Amelia", postcode="OL16 1AA"), TODAY)
    assert not result.is_too_many and result.match_count == MAX_MATCHES
    assert all(not child.is_shielded for child in result.matches)


def test_a_result_line_shows_only_what_tells_children_apart(ctx: object) -> None:
    amelia = make_child()
    line = result_line(amelia)
    assert (line.name, line.date_of_birth, line.gender, line.town) == (
        "Amelia Rose O'Neill",
        BORN,
        "female",
        "Rochdale",
    )
    assert result_line(make_child(shielded=True)).town is None


def all_forms(child: Child) -> list[Criteria]:
    return [
        Criteria(contactpoint_number=child.contactpoint_id),
        Criteria(family_name=child.family_name, date_of_birth=child.date_of_birth),
        Criteria(family_name=child.family_name, given_name="Amelia", postcode="OL16 1AA"),
    ]


def test_an_archived_child_is_never_found(ctx: object) -> None:
    archived = make_child()
    archived.archived_at = db.func.now()
    db.session.flush()
    for criteria in all_forms(archived):
        assert search(criteria, TODAY).matches == (), criteria


@pytest.mark.parametrize(
    ("born", "today", "is_found"),
    [
        (date(2008, 6, 1), date(2026, 5, 31), True),  # the day before the 18th birthday
        (date(2008, 6, 1), date(2026, 6, 1), False),  # the 18th birthday
        (date(2008, 2, 29), date(2026, 2, 28), True),  # born on a leap day: of age on 1 March
        (date(2008, 2, 29), date(2026, 3, 1), False),
        (date(2006, 3, 1), date(2024, 2, 29), True),  # today a leap day, 18 years ago not
        (date(2006, 2, 28), date(2024, 2, 29), False),
    ],
)
def test_a_child_is_archived_on_their_18th_birthday(
    ctx: object, born: date, today: date, is_found: bool
) -> None:
    child = make_child(date_of_birth=born.isoformat())
    for criteria in all_forms(child):
        assert bool(search(criteria, today).matches) is is_found, criteria
    assert child.is_archived_on(today) is not is_found


def test_searching_writes_nothing(ctx: object) -> None:
    make_child()
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    search(Criteria(family_name="O'Neill", date_of_birth=BORN))
    assert not (db.session.new or db.session.dirty or db.session.deleted)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_the_default_day_is_today_in_england(ctx: object) -> None:
    eighteen_today = today_in_england().replace(year=today_in_england().year - 18)
    child = make_child(date_of_birth=eighteen_today.isoformat())
    assert search(Criteria(contactpoint_number=child.contactpoint_id)).matches == ()
