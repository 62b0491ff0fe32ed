"""`flask records import`: every line checked first; a bad line anywhere and nothing is imported."""

import json
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from desk.app import create_app
from desk.core.audit.models import AuditEvent
from desk.core.extensions import db
from desk.records import contactpoint, importer, rows
from desk.records.importer import import_entries
from desk.records.models import Child, ChildName, ContactKind
from desk.records.parse import parse_entry
from desk.records.search import Criteria, search
from tests.conftest import TEST_CONFIG
from tests.desk.records.factories import child_line, make_child


def write(tmp_path: Path, *lines: dict[str, Any] | str) -> Path:
    path = tmp_path / "children.jsonl"
    with path.open("w", encoding="utf-8") as file:
        for line in lines:
            file.write((line if isinstance(line, str) else json.dumps(line)) + "\n")
    return path


def run_import(app: Flask, path: Path) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["records", "import", str(path)])
    return result.exit_code, result.output


def stored(app: Flask, source_id: str) -> Child:
    with app.app_context():
        child = db.session.scalar(select(Child).where(Child.source_id == source_id))
        assert child is not None, source_id
        child.names, child.contacts  # noqa: B018 - load them before the session closes
        db.session.expunge_all()
        return child


def count(app: Flask, model: type[Any]) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_a_good_file_is_imported_and_audited_without_child_data(app: Flask, tmp_path: Path) -> None:
    amelia = child_line(source_id="C-1001", contactpoint_id="9434765919")
    noah = child_line(
        source_id="C-1002",
        given_names="Noah",
        family_name="Brown",
        gender="male",
        address={"lines": ["3 Canal St"], "town": "Rochdale", "postcode": "ol11  3de"},
    )
    code, output = run_import(app, write(tmp_path, amelia, "", noah))
    assert code == 0, output
    assert "2 added, 0 updated" in output

    first = stored(app, "C-1001")
    assert first.contactpoint_id == "9434765919"
    assert (first.postcode, first.postcode_compact) == ("OL16 1AA", "OL161AA")
    assert [(n.family_name, n.is_former) for n in first.names] == [
        ("O'Neill", False),
        ("Smith", True),
    ]
    assert [c.kind for c in first.contacts] == [
        ContactKind.PARENT,
        ContactKind.SCHOOL,
        ContactKind.GP,
        ContactKind.LEAD_PROFESSIONAL,
        ContactKind.SERVICE,
    ]
    assert first.contacts[0].phone == "+447700900111"
    assert first.contacts[-1].is_sensitive and first.contacts[-1].basis == "consent"
    assert first.has_caf and first.caf_lead_name == "J. Patel"
    second = stored(app, "C-1002")
    assert contactpoint.is_valid(second.contactpoint_id)
    assert second.postcode == "OL11 3DE"

    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent)))
    assert [e.kind for e in events] == ["records.imported"]
    assert events[0].data["added"] == 2 and events[0].data["updated"] == 0
    assert not {"O'Neill", "Amelia", "9434765919", "C-1001"} & set(
        json.dumps(events[0].data).split('"')
    )


def test_importing_again_updates_the_child_and_replaces_names_and_contacts(
    app: Flask, tmp_path: Path
) -> None:
    assert run_import(app, write(tmp_path, child_line(source_id="C-1001")))[0] == 0
    number = stored(app, "C-1001").contactpoint_id
    changed = child_line(
        source_id="C-1001",
        family_name="Patel",
        former_family_names=["O'Neill"],
        contacts=[{"kind": "carer", "name": "Pat Ruddock", "phone": "+447700900113"}],
        caf={"exists": False},
    )
    code, output = run_import(app, write(tmp_path, changed))
    assert code == 0, output
    assert "0 added, 1 updated" in output

    child = stored(app, "C-1001")
    assert child.contactpoint_id == number  # kept: the file gave none
    assert (child.family_name, child.former_family_names) == ("Patel", ["O'Neill"])
    assert [(c.kind, c.name) for c in child.contacts] == [(ContactKind.CARER, "Pat Ruddock")]
    assert not child.has_caf and child.caf_lead_name is None
    assert count(app, Child) == 1 and count(app, ChildName) == 2
    with app.app_context():
        by = {
            name: search(Criteria(family_name=name, date_of_birth=child.date_of_birth))
            for name in ("Patel", "O'Neill", "Smith")
        }
        assert [len(result.matches) for result in by.values()] == [1, 1, 0]


BAD_LINES = [
    ("{not json", "not JSON"),
    ("[1, 2]", "the line must be a JSON object"),
    (child_line(family_name=""), "family_name is required"),
    (child_line(gender="f"), "gender must be one of female, male, other, unknown (got 'f')"),
    (child_line(date_of_birth="14/03/2015"), "date_of_birth must be a date written YYYY-MM-DD"),
    (child_line(date_of_birth="2015-02-30"), "date_of_birth '2015-02-30' is not a date"),
    (child_line(date_of_birth="2999-01-01"), "date_of_birth is in the future"),
    (child_line(contactpoint_id="9434765918"), "contactpoint_id '9434765918' is not a valid"),
    (child_line(shieled=True), "unknown field 'shieled'"),
    (child_line(shielded="yes"), "shielded must be true or false"),
    (
        child_line(address={"lines": [], "town": "Rochdale", "postcode": "OL16"}),
        "address.postcode 'OL16' is not a UK postcode",
    ),
    (child_line(contacts=[{"kind": "friend", "name": "Al"}]), "contacts[0].kind must be one of"),
    (
        child_line(contacts=[{"kind": "service", "organisation": "Clinic", "sensitive": True}]),
        "contacts[0]: a sensitive service must give basis consent or in_need",
    ),
    (
        child_line(
            contacts=[{"kind": "service", "name": "N", "sensitive": True, "basis": "asked"}]
        ),
        "contacts[0]: a sensitive service must give basis consent or in_need",
    ),
    (
        child_line(contacts=[{"kind": "gp", "name": "Dr X", "phone": "not a phone"}]),
        "contacts[0].phone 'not a phone' is not a phone number",
    ),
    (
        child_line(contacts=[{"kind": "gp", "phone": "01706555030"}]),
        "contacts[0]: a contact needs a name or an organisation",
    ),
    (
        child_line(caf={"exists": True, "lead_contact": {"name": "J", "phone": "12"}}),
        "caf.lead_contact.phone '12' is not a phone number",
    ),
]


def test_a_file_with_bad_lines_names_each_and_imports_nothing(app: Flask, tmp_path: Path) -> None:
    make_child_committed(app, source_id="C-1")
    good = child_line(source_id="C-1", family_name="Changed")
    duplicate = child_line(source_id="C-1")
    lines = [good, *[line for line, _ in BAD_LINES], duplicate]
    code, output = run_import(app, write(tmp_path, *lines))

    assert code == 1
    reported = [line for line in output.splitlines() if line.startswith("line ")]
    expected = [f"line {n}: {message}" for n, (_, message) in enumerate(BAD_LINES, start=2)]
    expected.append(f"line {len(lines)}: rochdale-ics C-1 is already on line 1")
    assert len(reported) == len(expected), output
    for line, wanted in zip(reported, expected, strict=True):
        assert line.startswith(wanted), (line, wanted)
    assert f"{len(expected)} bad lines: nothing imported" in output
    assert stored(app, "C-1").family_name == "O'Neill"
    assert count(app, Child) == 1
    assert count(app, AuditEvent) == 1  # the first child's import, nothing since


def test_a_line_that_is_not_utf8_is_named(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    line = json.dumps(child_line(family_name="Zoë"), ensure_ascii=False)
    path.write_bytes(line.encode("latin-1") + b"\n")
    code, output = run_import(app, path)
    assert code == 1 and "line 1: not UTF-8 text" in output


def test_a_database_error_stops_the_import_without_quoting_the_line(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rows PostgreSQL refuses mid-COPY: its error's context quotes the row it was given.
    copy_text = rows.copy_text
    monkeypatch.setattr(rows, "copy_text", lambda given: copy_text([row[:-1] for row in given]))
    line = child_line(
        given_names="Zebedee", family_name="Quarrington", contactpoint_id="9434765919"
    )
    code, output = run_import(app, write(tmp_path, line))
    assert code == 1
    assert "The database stopped the import: BadCopyFileFormat (SQLSTATE 22P04)" in output
    assert "Nothing was imported." in output
    assert not {"Zebedee", "Quarrington", "9434765919", line["source_id"]} & set(
        output.replace('"', " ").replace(",", " ").split()
    ), output
    assert "Traceback" not in output
    assert count(app, Child) == 0


def test_a_number_held_by_another_child_stops_the_whole_import(app: Flask, tmp_path: Path) -> None:
    make_child_committed(app, source_id="C-1", contactpoint_id="9434765919")
    fine = child_line(source_id="C-2")
    clash = child_line(source_id="C-3", contactpoint_id="9434765919")
    code, output = run_import(app, write(tmp_path, fine, clash))
    assert code == 1
    assert "line 2: ContactPoint number 9434765919 is another child's" in output
    assert count(app, Child) == 1


def test_a_child_keeps_their_number_for_life(app: Flask, tmp_path: Path) -> None:
    make_child_committed(app, source_id="C-1", contactpoint_id="9434765919")
    code, output = run_import(
        app, write(tmp_path, child_line(source_id="C-1", contactpoint_id="1000000060"))
    )
    assert code == 1
    assert "already has ContactPoint number 9434765919, not 1000000060" in output
    assert stored(app, "C-1").contactpoint_id == "9434765919"


def make_child_committed(app: Flask, **overrides: Any) -> None:
    with app.app_context():
        make_child(**overrides)
        db.session.commit()


def test_an_import_with_errors_leaves_the_index_as_it_was_without_the_callers_help(
    ctx: Flask,
) -> None:
    make_child(source_id="C-1", contactpoint_id="9434765919")
    before = count(ctx, Child), count(ctx, AuditEvent)
    lines = [child_line(source_id="C-2"), child_line(contactpoint_id="9434765919")]
    summary = import_entries([parse_entry(line, n) for n, line in enumerate(lines, 1)], by="t")
    assert summary.errors and (summary.added, summary.updated) == (0, 0)
    # Nothing rolled back by the test: the importer undid its own work.
    assert (count(ctx, Child), count(ctx, AuditEvent)) == before


def test_every_kind_of_bad_line_is_reported_in_one_run(app: Flask, tmp_path: Path) -> None:
    make_child_committed(app, source_id="C-1", contactpoint_id="9434765919")
    lines = [
        child_line(source_id="C-2"),
        child_line(source_id="C-3", contactpoint_id="9434765919"),  # the index's C-1 holds it
        "{not json",
        child_line(source_id="C-2"),
    ]
    code, output = run_import(app, write(tmp_path, *lines))
    assert code == 1
    assert [line for line in output.splitlines() if line.startswith("line ")] == [
        "line 2: ContactPoint number 9434765919 is another child's",
        "line 3: not JSON (Expecting property name enclosed in double quotes at column 2)",
        "line 4: rochdale-ics C-2 is already on line 1",
    ]
    assert "3 bad lines: nothing imported" in output
    assert count(app, Child) == 1


def test_a_file_of_many_bad_lines_lists_the_first_and_counts_them_all(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "MAX_REPORTED", 3)
    lines = [child_line(gender="f") for _ in range(4)] + [child_line(source_id="C-1")] * 2
    code, output = run_import(app, write(tmp_path, *lines))
    assert code == 1
    reported = [line for line in output.splitlines() if line.startswith("line ")]
    assert [line.split(":")[0] for line in reported] == ["line 1", "line 2", "line 3"]
    assert "… and 2 more." in output
    assert "5 bad lines: nothing imported" in output


@pytest.fixture(params=["postgresql", "sqlite"])
def either_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    """An application context on the test database, or on a fresh SQLite file (the demo's)."""
    if request.param == "postgresql":
        with request.getfixturevalue("app").app_context():
            yield
        return
    demo = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/desk.db"})
    with demo.app_context():
        upgrade()
        yield
        db.session.remove()
        db.engine.dispose()


@pytest.mark.usefixtures("either_database")
def test_a_drawn_number_already_taken_is_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    held = make_child(contactpoint_id="9434765919").contactpoint_id
    # The first child draws the held number and the second a free one; the first draws
    # again and gets the second's number, so one of them draws a third time.
    draws = iter([held, "7688356016", "7688356016", "3742819984"])
    monkeypatch.setattr(contactpoint, "new_number", lambda rng: next(draws))
    first, second = child_line(), child_line()
    summary = import_entries([parse_entry(first, 1), parse_entry(second, 2)], by="t")
    assert (summary.added, summary.errors) == (2, ())
    numbers = {
        db.session.scalar(select(Child.contactpoint_id).where(Child.source_id == line["source_id"]))
        for line in (first, second)
    }
    assert numbers == {"7688356016", "3742819984"}
    assert next(draws, None) is None


def schema(connection: sa.Connection) -> set[tuple[str, ...]]:
    """Every index and constraint on the index's tables, as the database defines them."""
    tables = ["children", "child_names", "contacts"]
    indexes = connection.execute(
        sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(:t)"),
        {"t": tables},
    )
    constraints = connection.execute(
        sa.text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid::regclass::text = ANY(:t)"
        ),
        {"t": tables},
    )
    return {tuple(row) for row in [*indexes, *constraints]}


def test_loading_an_empty_index_leaves_every_index_and_constraint_as_the_migrations_made_them(
    ctx: Flask,
) -> None:
    before = schema(db.session.connection())
    assert ("uq_children_contactpoint_id", "UNIQUE (contactpoint_id)") in before
    summary = import_entries(
        [parse_entry(child_line(), n) for n in range(1, 4)], by="t", rng=random.Random(1)
    )
    assert summary.added == 3
    assert schema(db.session.connection()) == before
    # And they are enforced again: a second child with a held number is refused by the database.
    held = db.session.scalars(select(Child.contactpoint_id)).first()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(
            sa.update(Child).where(Child.contactpoint_id != held).values(contactpoint_id=held)
        )


def test_lines_parsed_in_worker_processes_are_reported_and_imported_as_in_one(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two workers and chunks of two lines, so that lines cross chunks and come back in turns.
    monkeypatch.setattr(importer, "PARALLEL_FROM_BYTES", 0)
    monkeypatch.setattr(importer, "CHUNK", 2)
    make_child_committed(app, source_id="C-1")
    lines = [
        child_line(source_id="C-1", family_name="Changed"),
        *[line for line, _ in BAD_LINES],
        "",
        child_line(source_id="C-1"),
    ]
    path = write(tmp_path, *lines)
    _, in_workers = run_import(app, path)
    monkeypatch.setattr(importer, "PARALLEL_FROM_BYTES", 10**12)
    _, in_one = run_import(app, path)
    assert in_workers == in_one
    assert f"line {len(lines)}: rochdale-ics C-1 is already on line 1" in in_workers

    good = [child_line(source_id=f"C-{n}", family_name="Parallel") for n in range(2, 9)]
    monkeypatch.setattr(importer, "PARALLEL_FROM_BYTES", 0)
    code, output = run_import(app, write(tmp_path, *good))
    assert code == 0, output
    assert [stored(app, f"C-{n}").family_name for n in range(2, 9)] == ["Parallel"] * 7


def test_names_with_tabs_and_backslashes_come_back_from_the_workers_as_written(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Workers hand back COPY text, where a tab, newline or backslash in a value must be escaped.
    monkeypatch.setattr(importer, "PARALLEL_FROM_BYTES", 0)
    odd = child_line(source_id="C-ODD", given_names="Ann\\e", address={"lines": ["1\tHigh St"]})
    code, output = run_import(app, write(tmp_path, odd))
    assert code == 0, output
    child = stored(app, "C-ODD")
    assert (child.given_names, child.address_lines) == ("Ann\\e", ["1\tHigh St"])


def test_the_workers_parse_without_importing_the_orm() -> None:
    # Each worker holds only what it imports: the ORM would add tens of MB a worker.
    check = (
        "import sys, desk.records.rows; "
        "assert not [m for m in sys.modules if m.startswith(('sqlalchemy', 'flask'))]"
    )
    subprocess.run(  # noqa: S603  # nosec B603 - this interpreter, fixed arguments
        [sys.executable, "-c", check], check=True, cwd=Path(__file__).parents[3]
    )
