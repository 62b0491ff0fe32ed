"""Staging tables for an import: rows written fast, checked in SQL, then merged into the index.

An import streams its file into temporary tables (PostgreSQL's COPY; plain inserts on SQLite),
so memory stays flat however big the file. What needs the whole file or the whole index (a
child given twice, a ContactPoint number held by someone else) is then asked of the database,
and only a file with nothing wrong is merged, a few set-based statements in all. This module
is the one place that turns an import entry into rows, search keys included.
"""

import json
import random
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from desk.records import contactpoint, postcodes
from desk.records.models import Child, ChildName, Contact
from desk.records.names import first_given_name, name_key, phonetic_key
from desk.records.parse import ChildEntry

# The columns an import sets, staged under the same names and merged as they are.
CHILD_COLUMNS = (
    "source",
    "source_id",
    "given_names",
    "family_name",
    "given_key",
    "given_phonetic",
    "family_key",
    "family_phonetic",
    "gender",
    "date_of_birth",
    "address_lines",
    "town",
    "postcode",
    "postcode_compact",
    "is_shielded",
    "has_caf",
    "caf_lead_name",
    "caf_lead_organisation",
    "caf_lead_phone",
)
# A name row carries what the searches pair it with, copied from its child.
NAME_COLUMNS = (
    "family_name",
    "family_key",
    "family_phonetic",
    "is_former",
    "given_phonetic",
    "date_of_birth",
    "postcode_compact",
)
CONTACT_COLUMNS = (
    "kind",
    "name",
    "organisation",
    "relationship",
    "phone",
    "service_type",
    "is_sensitive",
    "basis",
)


def _staged(table: sa.Table, name: str) -> sa.Column[object]:
    """A staging column like the index's own, as plain text where the index maps values."""
    kind = table.c[name].type
    if isinstance(kind, sa.Enum):
        kind = sa.String(kind.length)
    elif isinstance(kind, sa.JSON):
        # Staged as JSON text; PostgreSQL parses it on the way in, SQLite stores it as text.
        kind = sa.Text().with_variant(postgresql.JSON(), "postgresql")
    return sa.Column(name, kind)


index_children = Child.metadata.tables[Child.__tablename__]
index_names = ChildName.metadata.tables[ChildName.__tablename__]
index_contacts = Contact.metadata.tables[Contact.__tablename__]

INDEX_TABLES = tuple(table.name for table in (index_children, index_names, index_contacts))


def _owns(connection: sa.Connection, tables: Iterable[str]) -> bool:
    """Whether this connection's role has its owner's rights over every one of these tables."""
    return bool(
        connection.scalar(
            sa.text(
                "SELECT bool_and(pg_has_role(relowner, 'USAGE')) FROM pg_class"
                " WHERE oid = ANY(CAST(:tables AS regclass[]))"
            ),
            {"tables": list(tables)},
        )
    )


_metadata = sa.MetaData()
children = sa.Table(
    "import_children",
    _metadata,
    sa.Column("line", sa.Integer, nullable=False),
    sa.Column("contactpoint_id", sa.String(10)),  # as the file gave it, if it did
    sa.Column("drawn_number", sa.String(10)),  # a new number, for a new child the file gave none
    *(_staged(index_children, name) for name in CHILD_COLUMNS),
    # Drawn numbers that clash are redrawn line by line: without it, a scan of the file each.
    sa.Index("ix_import_children_line", "line"),
    prefixes=["TEMPORARY"],
)


def _rows_of_a_child(name: str, index: sa.Table, columns: tuple[str, ...]) -> sa.Table:
    """A staging table for a child's names or contacts: its line, place on the line, columns."""
    return sa.Table(
        name,
        _metadata,
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        *(_staged(index, column) for column in columns),
        prefixes=["TEMPORARY"],
    )


names = _rows_of_a_child("import_names", index_names, NAME_COLUMNS)
contacts = _rows_of_a_child("import_contacts", index_contacts, CONTACT_COLUMNS)
# Which child each line became, once merged.
ids = sa.Table(
    "import_ids",
    _metadata,
    sa.Column("line", sa.Integer, nullable=False),
    sa.Column("child_id", sa.Integer, nullable=False),
    prefixes=["TEMPORARY"],
)


@dataclass(frozen=True)
class BadLine:
    """A line of the file that cannot be imported, and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class Merged:
    added: int
    updated: int


@contextmanager
def staging(connection: sa.Connection) -> Iterator["Stage"]:
    """Empty staging tables on this connection, dropped afterwards."""
    _metadata.drop_all(connection)  # left by an import that died with its transaction open
    _metadata.create_all(connection)
    yield Stage(connection)
    # Not on failure: the import's savepoint is rolled back, and the tables with it.
    _metadata.drop_all(connection)


class Stage:
    """The staged rows of one import, on the connection (and in the transaction) it runs in."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.is_postgresql = connection.dialect.name == "postgresql"
        self.owns_index = not self.is_postgresql or _owns(connection, INDEX_TABLES)
        if self.is_postgresql:
            # Sorts and joins over millions of staged rows: kept in memory where they can be.
            connection.execute(sa.text("SET LOCAL work_mem = '256MB'"))

    def add(self, entries: Iterable[ChildEntry], rng: random.Random) -> None:
        """Stage checked entries; a child the file gives no number to is drawn one now."""
        child_rows: list[tuple[object, ...]] = []
        name_rows: list[tuple[object, ...]] = []
        contact_rows: list[tuple[object, ...]] = []
        for entry in entries:
            drawn = None if entry.contactpoint_id else contactpoint.new_number(rng)
            child = _child_row(entry, drawn)
            child_rows.append(child)
            name_rows += _name_rows(entry, child)
            contact_rows += _contact_rows(entry)
        self._write(children, child_rows)
        self._write(names, name_rows)
        self._write(contacts, contact_rows)

    def problems(self, limit: int) -> tuple[int, list[BadLine]]:
        """How many lines clash with each other or the index, and the first `limit` of them."""
        for table in (children, names, contacts):
            # Temporary tables are never analysed by autovacuum; the planner needs their size.
            self._analyze(table)
        found: list[BadLine] = []
        total = 0
        for query, reason in _clashes():
            total += self._count(sa.select(sa.func.count()).select_from(query))
            for row in self.connection.execute(
                sa.select(query).order_by(query.c.line).limit(limit)
            ):
                found.append(BadLine(row.line, reason(row)))
        found.sort(key=lambda bad: bad.line)
        return total, found[:limit]

    def merge(
        self, rng: random.Random, now: datetime, phase: Callable[[str], None] = lambda _: None
    ) -> Merged:
        """Update the children the index holds, add the rest, with their names and contacts."""
        self._settle_drawn_numbers(rng)
        with self._indexes_built_after_if_empty(phase):
            return self._merge(now)

    @contextmanager
    def _indexes_built_after_if_empty(self, phase: Callable[[str], None]) -> Iterator[None]:
        """Into an empty index, load first and build its indexes and foreign keys after.

        One sort per index instead of an index entry and a foreign-key check per row, as
        pg_restore loads a dump: several times faster for the first national load. Only
        when the index holds no child, since the tables are locked until the import commits:
        nobody can be searching an index with nobody in it. The definitions are read from the
        database itself, so what is rebuilt is exactly what the migrations made. Only the
        tables' owner may drop and rebuild them: the desk's own role loads into them as they are.
        """
        has_children = self.connection.scalar(sa.select(sa.exists().select_from(index_children)))
        if not self.is_postgresql or has_children:
            yield
            return
        if not self.owns_index:
            phase(
                "This role does not own the index's tables, so their indexes are kept up row "
                "by row, not rebuilt after (run as the owner for a faster first load)"
            )
            yield
            return
        tables = list(INDEX_TABLES)
        constraints = self.connection.execute(
            sa.text(
                "SELECT conrelid::regclass::text AS tab, conname,"
                " pg_get_constraintdef(oid) AS definition"
                " FROM pg_constraint WHERE contype IN ('f', 'u')"
                " AND conrelid::regclass::text = ANY(:tables)"
            ),
            {"tables": tables},
        ).all()
        indexes = self.connection.execute(
            sa.text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(:tables)"
                " AND indexname NOT IN (SELECT conname FROM pg_constraint)"
            ),
            {"tables": tables},
        ).all()
        for row in constraints:
            drop = f'ALTER TABLE {row.tab} DROP CONSTRAINT "{row.conname}"'
            self.connection.execute(sa.text(drop))
        for row in indexes:
            self.connection.execute(sa.text(f'DROP INDEX "{row.indexname}"'))
        yield
        self.connection.execute(sa.text("SET LOCAL maintenance_work_mem = '1GB'"))
        for row in indexes:
            self.connection.execute(sa.text(row.indexdef))
        for row in constraints:
            self.connection.execute(
                sa.text(f'ALTER TABLE {row.tab} ADD CONSTRAINT "{row.conname}" {row.definition}')
            )

    def _merge(self, now: datetime) -> Merged:
        stamp = sa.bindparam("now", now, type_=index_children.c.updated_at.type)
        held = sa.exists().where(*_same_child(index_children))
        staged = self._count(sa.select(sa.func.count()).select_from(children))
        updated = self._count(sa.select(sa.func.count()).select_from(children).where(held))
        if updated:
            self.connection.execute(
                sa.update(index_children)
                .where(*_same_child(index_children))
                .values({name: children.c[name] for name in CHILD_COLUMNS} | {"updated_at": stamp})
            )
            # Their names and contacts are replaced by the file's, as a new record would be.
            replaced = sa.select(index_children.c.id).where(*_same_child(index_children))
            for table in (index_names, index_contacts):
                self.connection.execute(sa.delete(table).where(table.c.child_id.in_(replaced)))
        self.connection.execute(
            sa.insert(index_children).from_select(
                [*CHILD_COLUMNS, "contactpoint_id", "created_at", "updated_at"],
                sa.select(
                    *(children.c[name] for name in CHILD_COLUMNS),
                    sa.func.coalesce(children.c.contactpoint_id, children.c.drawn_number),
                    stamp,
                    stamp,
                )
                .where(~held)
                .order_by(children.c.line),
            )
        )
        # The index's own statistics are out of date by millions of rows now: without fresh
        # ones the planner may pair each staged line with a scan of the children table.
        self._analyze(index_children)
        self.connection.execute(
            sa.insert(ids).from_select(
                ["line", "child_id"],
                sa.select(children.c.line, index_children.c.id).join(
                    index_children, sa.and_(*_same_child(index_children))
                ),
            )
        )
        self._analyze(ids)
        self._merge_rows(names, index_names, NAME_COLUMNS)
        self._merge_rows(contacts, index_contacts, CONTACT_COLUMNS)
        return Merged(added=staged - updated, updated=updated)

    def _merge_rows(
        self,
        staged: sa.Table,
        index: sa.Table,
        columns: tuple[str, ...],
    ) -> None:
        self.connection.execute(
            sa.insert(index).from_select(
                ["child_id", *columns],
                sa.select(ids.c.child_id, *(staged.c[name] for name in columns))
                .join_from(staged, ids, ids.c.line == staged.c.line)
                # In file order, so a child's contacts keep the order the source gave them.
                .order_by(staged.c.line, staged.c.position),
            )
        )

    def _settle_drawn_numbers(self, rng: random.Random) -> None:
        # A drawn number may, rarely, be taken already: by a child in the index, by a number
        # the file gives, or by another drawn number. Draw again until none is. (A child the
        # index holds keeps its number, so redrawing theirs is wasted but harmless.)
        while clashing := list(self.connection.scalars(_drawn_clashes())):
            self.connection.execute(
                sa.update(children)
                .where(children.c.line == sa.bindparam("at"))
                .values(drawn_number=sa.bindparam("number")),
                [{"at": line, "number": contactpoint.new_number(rng)} for line in clashing],
            )

    def _count(self, query: sa.Select[int]) -> int:
        return self.connection.scalar(query) or 0

    def _analyze(self, table: sa.Table) -> None:
        # Staging tables are this role's own; the index's may be analysed by its owner alone.
        if self.is_postgresql and (table.name not in INDEX_TABLES or self.owns_index):
            self.connection.execute(sa.text(f"ANALYZE {table.name}"))

    def _write(self, table: sa.Table, rows: list[tuple[object, ...]]) -> None:
        if not rows:
            return
        columns = [column.name for column in table.c]
        if self.is_postgresql:
            cursor = self.connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        self.connection.execute(
            table.insert(), [dict(zip(columns, row, strict=True)) for row in rows]
        )


# Where _child_row puts the values a name row copies: after line, the two numbers, and columns.
GIVEN_PHONETIC = 3 + CHILD_COLUMNS.index("given_phonetic")
POSTCODE_COMPACT = 3 + CHILD_COLUMNS.index("postcode_compact")


def _child_row(entry: ChildEntry, drawn: str | None) -> tuple[object, ...]:
    given = first_given_name(entry.given_names)
    caf = entry.has_caf  # a lead contact means nothing without a CAF
    return (
        entry.line,
        entry.contactpoint_id,
        drawn,
        entry.source,
        entry.source_id,
        entry.given_names,
        entry.family_name,
        name_key(given),
        phonetic_key(given),
        name_key(entry.family_name),
        phonetic_key(entry.family_name),
        entry.gender.value,
        entry.date_of_birth,
        json.dumps(list(entry.address_lines), ensure_ascii=False),
        entry.town,
        entry.postcode,
        postcodes.compact(entry.postcode) if entry.postcode else None,
        entry.is_shielded,
        entry.has_caf,
        entry.caf_lead_name if caf else None,
        entry.caf_lead_organisation if caf else None,
        entry.caf_lead_phone if caf else None,
    )


def _name_rows(entry: ChildEntry, child: tuple[object, ...]) -> Iterator[tuple[object, ...]]:
    """The family names a child is found by: the current one, then former ones not the same."""
    paired = (child[GIVEN_PHONETIC], entry.date_of_birth, child[POSTCODE_COMPACT])
    seen: set[str] = set()
    family_names = ((entry.family_name, False), *((n, True) for n in entry.former_family_names))
    for position, (family_name, is_former) in enumerate(family_names):
        key = name_key(family_name)
        if key not in seen:
            seen.add(key)
            yield (
                entry.line,
                position,
                family_name,
                key,
                phonetic_key(family_name),
                is_former,
                *paired,
            )


def _contact_rows(entry: ChildEntry) -> Iterator[tuple[object, ...]]:
    for position, contact in enumerate(entry.contacts):
        yield (
            entry.line,
            position,
            contact.kind.value,
            contact.name,
            contact.organisation,
            contact.relationship,
            contact.phone,
            contact.service_type,
            contact.is_sensitive,
            contact.basis.value if contact.basis else None,
        )


def _same_child(index: sa.Table) -> tuple[sa.ColumnElement[bool], ...]:
    """The staged line and the index row are one child: same source, same ID there."""
    return (index.c.source == children.c.source, index.c.source_id == children.c.source_id)


Wording = Callable[[sa.Row[Any]], str]


def _clashes() -> Iterator[tuple[sa.Subquery, Wording]]:
    """Queries for lines that clash, each with how to word one of its rows."""
    yield (
        _repeats(children.c.source, children.c.source_id),
        lambda row: f"{row.source} {row.source_id} is already on line {row.first}",
    )
    yield (
        _repeats(children.c.contactpoint_id),
        lambda row: f"ContactPoint number {row.contactpoint_id} is already on line {row.first}",
    )
    holder = index_children.alias("holder")
    yield (
        sa.select(children.c.line, children.c.contactpoint_id)
        .join(holder, holder.c.contactpoint_id == children.c.contactpoint_id)
        .where(
            sa.or_(holder.c.source != children.c.source, holder.c.source_id != children.c.source_id)
        )
        .subquery(),
        lambda row: f"ContactPoint number {row.contactpoint_id} is another child's",
    )
    # A ContactPoint number is for life: a source sending a new one is a mistake.
    yield (
        sa.select(
            children.c.line,
            children.c.contactpoint_id.label("given"),
            index_children.c.contactpoint_id.label("held"),
        )
        .join(index_children, sa.and_(*_same_child(index_children)))
        .where(index_children.c.contactpoint_id != children.c.contactpoint_id)
        .subquery(),
        lambda row: f"this child already has ContactPoint number {row.held}, not {row.given}",
    )


def _repeats(*key: sa.Column[Any]) -> sa.Subquery:
    """Staged lines whose `key` an earlier line already gave, with that earlier line."""
    first = sa.func.min(children.c.line).over(partition_by=key).label("first")
    given = sa.select(children.c.line, *key, first).where(*(part.is_not(None) for part in key))
    lines = given.subquery()
    return sa.select(lines).where(lines.c.line != lines.c.first).subquery()


def _drawn_clashes() -> sa.CompoundSelect[tuple[int]]:
    """Lines whose drawn number is taken: by the index, by the file, or by an earlier line."""
    given = children.alias("given")
    first = sa.func.min(children.c.line).over(partition_by=children.c.drawn_number).label("first")
    drawn = sa.select(children.c.line, first).where(children.c.drawn_number.is_not(None)).subquery()
    # Joins, not EXISTS under OR: each part is then one hash join, whatever the file's size.
    return sa.union(
        sa.select(children.c.line).join(
            index_children, index_children.c.contactpoint_id == children.c.drawn_number
        ),
        sa.select(children.c.line).join(given, given.c.contactpoint_id == children.c.drawn_number),
        sa.select(drawn.c.line).where(drawn.c.line != drawn.c.first),
    )
