"""A first load into an empty index: names and contacts go straight into the index's tables,
with every check still made, and nothing kept when any line is bad."""

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from desk.core.audit.models import AuditEvent
from desk.core.extensions import db
from desk.records import importer
from desk.records.models import Child, ChildName, Contact
from tests.desk.records.factories import child_line, make_child
from tests.desk.records.test_importer import BAD_LINES, count, run_import, schema, stored, write


@pytest.fixture(params=["in one process", "in workers"])
def workers(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test both ways: parsed in this process, and by worker processes in small chunks."""
    if request.param == "in workers":
        monkeypatch.setattr(importer, "PARALLEL_FROM_BYTES", 0)
        monkeypatch.setattr(importer, "CHUNK", 2)


def index_rows(app: Flask) -> tuple[int, int, int, int]:
    return count(app, Child), count(app, ChildName), count(app, Contact), count(app, AuditEvent)


@pytest.mark.usefixtures("workers")
def test_a_bad_line_in_a_first_load_keeps_nothing(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        before = schema(db.session.connection())
    bad, reason = BAD_LINES[0]
    lines = [child_line(source_id="C-1"), child_line(source_id="C-2"), bad, child_line()]
    code, output = run_import(app, write(tmp_path, *lines))
    assert code == 1
    assert f"line 3: {reason}" in output
    # Not a child, a name or a contact of the good lines before and after it.
    assert index_rows(app) == (0, 0, 0, 0)
    with app.app_context():
        assert schema(db.session.connection()) == before


@pytest.mark.usefixtures("workers")
def test_a_child_given_twice_in_a_first_load_is_reported_on_its_line(
    app: Flask, tmp_path: Path
) -> None:
    lines = [child_line(source_id="C-1"), child_line(source_id="C-2"), child_line(source_id="C-1")]
    code, output = run_import(app, write(tmp_path, *lines))
    assert code == 1
    assert "line 3: rochdale-ics C-1 is already on line 1" in output
    assert "1 bad lines: nothing imported" in output
    assert index_rows(app) == (0, 0, 0, 0)


@pytest.mark.usefixtures("workers")
def test_a_number_given_twice_in_a_first_load_is_reported_on_its_line(
    app: Flask, tmp_path: Path
) -> None:
    lines = [
        child_line(source_id="C-1", contactpoint_id="9434765919"),
        child_line(source_id="C-2", contactpoint_id="9434765919"),
    ]
    code, output = run_import(app, write(tmp_path, *lines))
    assert code == 1
    assert "line 2: ContactPoint number 9434765919 is already on line 1" in output
    assert index_rows(app) == (0, 0, 0, 0)


@pytest.mark.usefixtures("workers")
def test_a_first_load_gives_each_child_their_own_names_and_contacts_and_the_indexes_back(
    app: Flask, tmp_path: Path
) -> None:
    with app.app_context():
        before = schema(db.session.connection())
    lines = [
        child_line(source_id=f"C-{n}", family_name=f"Family{'x' * n}", contacts=contacts)
        for n, contacts in enumerate(
            [
                [{"kind": "parent", "name": "Ann One"}],
                [],
                [{"kind": "gp", "name": "Dr Two"}, {"kind": "school", "organisation": "Three"}],
            ],
            start=1,
        )
    ]
    code, output = run_import(app, write(tmp_path, *lines))
    assert code == 0, output
    for n, names in enumerate([["Ann One"], [], ["Dr Two", None]], start=1):
        child = stored(app, f"C-{n}")
        assert [name.family_name for name in child.names] == [f"Family{'x' * n}", "Smith"]
        assert [contact.name for contact in child.contacts] == names
    with app.app_context():
        assert schema(db.session.connection()) == before
        # The next child added gets an id of its own: the table's sequence went on past them.
        newest = make_child(source_id="C-NEW")
        db.session.flush()
        assert newest.id > max(db.session.scalars(select(Child.id).where(Child.id != newest.id)))
        db.session.rollback()
