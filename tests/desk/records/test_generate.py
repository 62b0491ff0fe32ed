"""Synthetic children: repeatable for a seed, in the import format, in realistic shares."""

import json
from collections import Counter
from datetime import date
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from desk.core.audit.models import AuditEvent
from desk.core.extensions import db
from desk.records import contactpoint, generate
from desk.records.importer import BadLine, parse_lines
from desk.records.models import Child, ContactKind, SensitiveBasis, latest_adult_birth_date
from desk.records.names import phonetic_key
from desk.records.parse import CONTACT_FIELDS, FIELDS, parse_line

TODAY = date(2026, 6, 1)
# Ofcom keeps these for drama: mobiles, then landlines.
DRAMA_NUMBERS = ("+447700900", "+441632960")
OTHER = set(generate.OTHER_SERVICES)


def test_the_same_seed_and_day_give_the_same_children() -> None:
    first = list(generate.children(50, seed=11, today=TODAY))
    assert first == list(generate.children(50, seed=11, today=TODAY))
    assert first != list(generate.children(50, seed=12, today=TODAY))


def test_lines_are_the_children_written_the_same_byte_for_byte() -> None:
    first = list(generate.lines(200, seed=11, today=TODAY))
    assert first == list(generate.lines(200, seed=11, today=TODAY))
    children = generate.children(200, seed=11, today=TODAY)
    assert [json.loads(line) for line in first] == list(children)
    assert all(line.endswith("}\n") and line.count("\n") == 1 for line in first)


def test_every_line_passes_the_importers_parser() -> None:
    districts = dict(generate.TOWNS)
    entries = [
        parse_line(line, n, TODAY)
        for n, line in enumerate(generate.lines(3000, seed=7, today=TODAY), start=1)
    ]
    assert len({entry.source_id for entry in entries}) == 3000
    for entry in entries:
        assert entry.town is not None and entry.postcode is not None
        assert entry.postcode.split()[0] in districts[entry.town]
        phones = [entry.caf_lead_phone, *(contact.phone for contact in entry.contacts)]
        assert all(phone is None or phone.startswith(DRAMA_NUMBERS) for phone in phones)


def test_every_field_of_the_import_format_is_used() -> None:
    children = list(generate.children(3000, seed=7, today=TODAY))
    fields = {field for child in children for field in child}
    contact_fields = {field for child in children for c in child["contacts"] for field in c}
    assert fields == FIELDS
    assert contact_fields == CONTACT_FIELDS
    assert {len(child["address"]["lines"]) for child in children} == {1, 2}
    assert {c["kind"] for child in children for c in child["contacts"]} == set(ContactKind)
    assert {c["basis"] for child in children for c in child["contacts"] if "basis" in c} == set(
        SensitiveBasis
    )


def test_some_children_come_with_a_contactpoint_number_theirs_whatever_the_day() -> None:
    def numbers(seed: int, today: date) -> dict[str, str]:
        children = generate.children(3000, seed=seed, today=today)
        return {c["source_id"]: c["contactpoint_id"] for c in children if "contactpoint_id" in c}

    given = numbers(7, TODAY)
    assert 40 < len(given) <= 60
    assert len(set(given.values())) == len(given)
    # A leading 0, which the importer never draws: no clash with a number it assigned.
    assert all(contactpoint.is_valid(n) and n.startswith("0") for n in given.values())
    assert numbers(7, date(2027, 2, 28)) == given
    assert not set(numbers(8, TODAY).values()) & set(given.values())


def test_shares_are_close_to_the_national_picture() -> None:
    children = list(generate.children(3000, seed=1, today=TODAY))
    total = len(children)

    def share(test: object) -> float:
        return sum(1 for c in children if test(c)) / total  # type: ignore[operator]

    adult = latest_adult_birth_date(TODAY)
    assert 0.004 < share(lambda c: c["shielded"]) < 0.02
    assert 0.03 < share(lambda c: any(x.get("sensitive") for x in c["contacts"])) < 0.07
    assert 0.06 < share(lambda c: c.get("caf", {}).get("exists")) < 0.10
    assert 0.02 < share(lambda c: date.fromisoformat(c["date_of_birth"]) <= adult) < 0.045
    assert 0.03 < share(lambda c: c.get("former_family_names")) < 0.09
    assert share(lambda c: any(x["kind"] == "parent" for x in c["contacts"])) > 0.9
    assert share(lambda c: any(x["kind"] == "gp" for x in c["contacts"])) == 1
    assert share(lambda c: any(x["kind"] == "lead_professional" for x in c["contacts"])) > 0.05
    assert 0.15 < share(lambda c: any(x.get("service_type") in OTHER for x in c["contacts"])) < 0.25
    assert 0.02 < share(lambda c: c["contacts"][0]["kind"] == "carer") < 0.06
    # Sound-alike spellings are there to be found by sound: Smith and Smyth, Reid and Reed.
    spellings_by_sound: dict[str, set[str]] = {}
    for c in children:
        spellings_by_sound.setdefault(phonetic_key(c["family_name"]), set()).add(c["family_name"])
    assert {"Smith", "Smyth"} <= spellings_by_sound["SM0"]
    assert sum(1 for names in spellings_by_sound.values() if len(names) > 1) >= 5
    assert Counter(c["gender"] for c in children).keys() == {"female", "male", "other", "unknown"}


def test_generate_writes_a_file_that_imports_cleanly(app: Flask, tmp_path: Path) -> None:
    out = tmp_path / "synthetic.jsonl"
    result = app.test_cli_runner().invoke(
        args=["records", "generate", "--count", "300", "--seed", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 300 and json.loads(lines[0])["source"] == "synthetic"
    with out.open("rb") as file:
        parsed = list(parse_lines(file))
    assert len(parsed) == 300
    assert not [line for line in parsed if isinstance(line, BadLine)]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Child)) == 0


def test_generate_loads_the_index_through_the_importer(app: Flask) -> None:
    args = ["records", "generate", "--count", "120", "--seed", "4"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "120 added, 0 updated" in result.output
    again = app.test_cli_runner().invoke(args=args)
    assert "0 added, 120 updated" in again.output
    with app.app_context():
        numbers = list(db.session.scalars(select(Child.contactpoint_id)))
        kinds = list(db.session.scalars(select(AuditEvent.kind)))
    assert len(numbers) == len(set(numbers)) == 120
    assert all(contactpoint.is_valid(n) for n in numbers)
    assert kinds == ["records.imported", "records.imported"]
