"""The shipped list of local authorities: complete, well formed, and looked up both ways."""

import csv
from collections import Counter

import pytest

from desk.core import authorities
from desk.core.authorities import DATA, all_authorities, authority_name, code_for, is_authority


def test_the_list_holds_every_upper_tier_authority_once() -> None:
    with DATA.open(encoding="utf-8", newline="") as data:
        codes = [row["code"] for row in csv.DictReader(data)]
    assert len(codes) == 153 == len(set(codes)) == len(all_authorities())
    assert all(authorities.CODE_SHAPE.fullmatch(code) for code in codes)
    # 21 county councils, 63 unitaries, 36 metropolitan districts, 32 boroughs and the City.
    assert Counter(code[:3] for code in codes) == {"E10": 21, "E06": 63, "E08": 36, "E09": 33}
    assert len({a.name for a in all_authorities()}) == 153


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("E09000001", "City of London"),
        ("E06000053", "Isles of Scilly"),
        ("E06000063", "Cumberland"),
        ("E06000064", "Westmorland and Furness"),
        ("E06000065", "North Yorkshire"),
        ("E06000066", "Somerset"),
        ("E06000060", "Buckinghamshire"),
        ("E06000061", "North Northamptonshire"),
        ("E06000062", "West Northamptonshire"),
        ("E08000005", "Rochdale"),
        ("E10000016", "Kent"),
    ],
)
def test_authorities_are_named_by_their_ons_code(code: str, name: str) -> None:
    assert is_authority(code)
    assert authority_name(code) == name


@pytest.mark.parametrize("gone", ["E10000006", "E10000023", "E10000027", "E06000028", ""])
def test_abolished_and_made_up_codes_are_not_authorities(gone: str) -> None:
    assert not is_authority(gone)
    with pytest.raises(KeyError):
        authority_name(gone)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Rochdale", "E08000005"),
        ("Rochdale Borough Council", "E08000005"),
        ("e08000005", "E08000005"),
        ("Brighton & Hove City Council", "E06000043"),
        ("Kingston upon Hull City Council", "E06000010"),
        ("Benchmark", None),
    ],
)
def test_a_name_is_matched_to_its_code(text: str, code: str | None) -> None:
    assert code_for(text) == code
