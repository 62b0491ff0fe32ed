"""The children index migrates on SQLite, the demo database, as well as on PostgreSQL, and
migration 0010 rewrites every row's sound keys in batches, starting again where it stopped."""

import importlib.util
import random
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from types import ModuleType

import jellyfish
import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from desk.app import create_app
from desk.core.extensions import db
from desk.records import generate
from desk.records.importer import import_entries
from desk.records.models import Child
from desk.records.names import first_given_name, name_key, phonetic_key, sound_keys
from desk.records.parse import parse_entry
from desk.records.search import Criteria, search
from tests.conftest import TEST_CONFIG, TEST_DATABASE, fresh_database
from tests.desk.records.factories import make_child


def test_sqlite_upgrade_search_and_downgrade(tmp_path: Path) -> None:
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/desk.db"})
    with app.app_context():
        upgrade()
        amelia = make_child(shielded=True)
        db.session.commit()
        by_birth = Criteria(family_name="Smyth", date_of_birth=date(2015, 3, 14))
        by_postcode = Criteria(family_name="O'Neill", given_name="Amelia", postcode="OL16 1AA")
        assert search(by_birth).matches == (amelia,)
        assert search(by_postcode).matches == ()
        db.session.remove()
        downgrade(revision="0001")
        tables = sa.inspect(db.engine).get_table_names()
        assert "children" not in tables and "audit_events" in tables
        db.engine.dispose()


def migration_0010() -> ModuleType:
    path = Path(__file__).parents[3] / "migrations" / "versions" / "0010_sound_keys.py"
    spec = importlib.util.spec_from_file_location("migration_0010", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def held_children() -> list[tuple[str, str, str, str]]:
    """Each child's names and sound keys: given names, family name, given key, family key."""
    query = "SELECT given_names, family_name, given_phonetic, family_phonetic FROM children"
    with db.engine.connect() as connection:
        return [(a, b, c, d) for a, b, c, d in connection.execute(sa.text(query))]


def held_names() -> list[tuple[object, ...]]:
    """Each child name with its child's given names and the four sound keys."""
    query = (
        "SELECT n.family_name, c.given_names, n.family_phonetic, n.family_phonetic_alt,"
        " n.given_phonetic, n.given_phonetic_alt"
        " FROM child_names n JOIN children c ON c.id = n.child_id"
    )
    with db.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(query))]


def keys_are_the_desks() -> bool:
    """Whether every row holds the keys desk.records.names gives its names now."""
    return all(
        (given, family) == (phonetic_key(first_given_name(names_given)), phonetic_key(name))
        for names_given, name, given, family in held_children()
    ) and all(
        (family, family_alt, given, given_alt)
        == (*sound_keys(str(name)), *sound_keys(first_given_name(str(names_given))))
        for name, names_given, family, family_alt, given, given_alt in held_names()
    )


@pytest.fixture
def loaded() -> Iterator[Flask]:
    """A database of its own at head, holding 60 synthetic children with sound-alike names."""
    app = fresh_database(f"{TEST_DATABASE}_sound_keys")
    with app.app_context():
        today = date(2026, 6, 1)
        children = generate.children(60, seed=5, today=today)
        entries = (parse_entry(child, n, today) for n, child in enumerate(children, start=1))
        import_entries(entries, by="test", rng=random.Random(5))
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_postgresql_downgrade_writes_metaphone_keys_and_upgrade_the_desks(loaded: Flask) -> None:
    assert keys_are_the_desks()
    downgrade(revision="0009")
    children = held_children()
    assert all(family == jellyfish.metaphone(name_key(name)) for _, name, _, family in children)
    columns = {column["name"] for column in sa.inspect(db.engine).get_columns("child_names")}
    assert "family_phonetic_alt" not in columns
    upgrade()
    assert keys_are_the_desks()
    # Found again by sound: a Smith by "Smyth", a Phillips by "Philips".
    heard = {"Smith": "Smyth", "Smyth": "Smith", "Phillips": "Philips", "Philips": "Phillips"}
    child = db.session.scalars(select(Child).where(Child.family_name.in_(heard))).first()
    assert child is not None
    by_sound = Criteria(family_name=heard[child.family_name], date_of_birth=child.date_of_birth)
    assert child in search(by_sound, date(2026, 6, 1)).matches


def test_rekeying_goes_in_batches_and_starts_again_where_it_stopped(loaded: Flask) -> None:
    migration = migration_0010()
    with db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE children SET family_phonetic = 'OLD'"))
        connection.execute(sa.text("UPDATE child_names SET family_phonetic = 'OLD'"))
    calls = 0

    def failing(name: str) -> tuple[str, str | None]:
        # Stops the run part way through the children, as a killed migration would.
        nonlocal calls
        calls += 1
        if calls > 25:
            raise KeyboardInterrupt
        return sound_keys(name)

    def rekey(keys: Callable[[str], tuple[str, str | None]]) -> None:
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection)
            with Operations.context(context), context.begin_transaction():
                migration.rekey(connection, keys, batch=4)

    with pytest.raises(KeyboardInterrupt):
        rekey(failing)
    children = held_children()
    # Each batch of 4 took 8 calls (given and family name): three batches were committed.
    assert sum(family != "OLD" for *_, family in children) == 12
    with db.engine.connect() as connection:
        progress = sa.table(migration.PROGRESS, sa.column("name"), sa.column("last_id"))
        done = dict(connection.execute(sa.select(progress.c.name, progress.c.last_id)).all())
    assert done["children"] > 0 and done["names"] == 0
    calls = 0
    seen: list[str] = []

    def counting(name: str) -> tuple[str, str | None]:
        seen.append(name)
        return sound_keys(name)

    rekey(counting)
    assert keys_are_the_desks()
    # Started again after the twelfth child, not from the first.
    assert len(seen) == 2 * (len(held_children()) - 12) + 2 * len(held_names())
    assert migration.PROGRESS not in sa.inspect(db.engine).get_table_names()
