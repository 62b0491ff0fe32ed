"""Staging tables for an import: rows written fast, checked in SQL, then merged into the index.

An import streams its file into temporary tables (PostgreSQL's COPY; plain inserts on SQLite),
so memory stays flat however big the file. What needs the whole file or the whole index (a
child given twice, a ContactPoint number held by someone else) is then asked of the database,
and only a file with nothing wrong is merged, a few set-based statements in all. A first load
into an empty index stages only its children, and writes their names and contacts straight
into the index's tables (`Stage`; desk.records.first_load). The tables and rows are
desk.records.staged's; the checks across lines, desk.records.clashes'.
"""

import random
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import psycopg
import sqlalchemy as sa

from desk.records import clashes, contactpoint, first_load, staged
from desk.records import rows as rows_
from desk.records.first_load import INDEX_TABLES
from desk.records.parse import BadLine, ChildEntry
from desk.records.phases import Timed, timing, untimed
from desk.records.rows import CHILD_COLUMNS, CONTACT_COLUMNS, NAME_COLUMNS, StagedChunk
from desk.records.staged import (
    children,
    contacts,
    ids,
    index_children,
    index_contacts,
    index_names,
    names,
    redrawn,
)

# Names the advisory lock that lets one import at a time stage (ASCII "mad_impo"): whether the
# index is empty, and so whether this is a first load, must still be true when it merges.
IMPORT_LOCK = 0x6D61645F696D706F


def owns_index(connection: sa.Connection) -> bool:
    """Whether this connection's role has its owner's rights over every one of the index's
    tables (as it always has on SQLite): only the owner may drop their indexes, or analyse them."""
    if connection.dialect.name != "postgresql":
        return True
    return bool(
        connection.scalar(
            sa.text(
                "SELECT bool_and(pg_has_role(relowner, 'USAGE')) FROM pg_class"
                " WHERE oid = ANY(CAST(:tables AS regclass[]))"
            ),
            {"tables": list(INDEX_TABLES)},
        )
    )


@dataclass(frozen=True)
class Merged:
    added: int
    updated: int


@contextmanager
def staging(
    connection: sa.Connection, phase: Callable[[str], None] = lambda _: None
) -> Iterator["Stage"]:
    """Empty staging tables on this connection, dropped afterwards."""
    staged.metadata.drop_all(connection)  # left by an import that died with its transaction open
    staged.metadata.create_all(connection)
    yield Stage(connection, phase)
    # Not on failure: the import's savepoint is rolled back, and the tables with it.
    staged.metadata.drop_all(connection)


class Stage:
    """The staged rows of one import, on the connection (and in the transaction) it runs in.

    A first load (PostgreSQL, an empty index, and this role its owner) writes each line's names
    and contacts straight into the index's tables, under the id its child will be given
    (`ids_from` + its line): only the children are staged, for the checks across lines, and
    the merge inserts nothing else; the index's indexes are dropped for it and built after
    (desk.records.first_load). A bad line anywhere rolls all of it back with the import.
    """

    def __init__(
        self, connection: sa.Connection, phase: Callable[[str], None] = lambda _: None
    ) -> None:
        self.connection = connection
        self.is_postgresql = connection.dialect.name == "postgresql"
        self.owns_index = owns_index(connection)
        # Where a first load numbers its children from, or None: staged and merged.
        self.ids_from: int | None = None
        self._dropped: first_load.Definitions | None = None
        if not self.is_postgresql:
            return
        # Held until the import's transaction ends: a second import waits here for the first.
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK})
        # Sorts and joins over millions of staged rows: kept in memory where they can be.
        connection.execute(sa.text("SET LOCAL work_mem = '256MB'"))
        if connection.scalar(sa.select(sa.exists().select_from(index_children))):
            return
        if not self.owns_index:
            phase(
                "This role does not own the index's tables, so their indexes are kept up row "
                "by row, not rebuilt after (run as the owner for a faster first load)"
            )
            return
        # Only when the index holds no child, since the tables are locked until the import
        # commits: nobody can be searching an index with nobody in it.
        self._dropped = first_load.drop_indexes(connection)
        self.ids_from = first_load.ids_from(connection)

    def add(self, entries: Iterable[ChildEntry], rng: random.Random) -> None:
        """Stage checked entries; a child the file gives no number to is drawn one now."""
        child_rows: list[tuple[object, ...]] = []
        name_rows: list[tuple[object, ...]] = []
        contact_rows: list[tuple[object, ...]] = []
        for entry in entries:
            drawn = None if entry.contactpoint_id else contactpoint.new_number(rng)
            child = rows_.child_row(entry, drawn)
            child_rows.append(child)
            name_rows += rows_.name_rows(entry, child)
            contact_rows += rows_.contact_rows(entry)
        if self.ids_from is not None:
            name_rows = rows_.as_index_rows(name_rows, self.ids_from)
            contact_rows = rows_.as_index_rows(contact_rows, self.ids_from)
        self._write(children, child_rows)
        self._write(self._names, name_rows)
        self._write(self._contacts, contact_rows)

    def add_copied(self, chunk: StagedChunk) -> None:
        """Stage a chunk a worker has turned into COPY text (PostgreSQL only), its names and
        contacts made for where they go (rows.stage_lines, given `ids_from`)."""
        for table, text in (
            (children, chunk.children),
            (self._names, chunk.names),
            (self._contacts, chunk.contacts),
        ):
            if text:
                with self._copy(table) as copy:
                    copy.write(text)

    @property
    def _names(self) -> sa.Table:
        return names if self.ids_from is None else index_names

    @property
    def _contacts(self) -> sa.Table:
        return contacts if self.ids_from is None else index_contacts

    def problems(self, limit: int) -> tuple[int, list[BadLine]]:
        """How many lines clash with each other or the index, and the first `limit` of them."""
        for table in (children, names, contacts):
            # Temporary tables are never analysed by autovacuum; the planner needs their size.
            self._analyze(table)
        found: list[BadLine] = []
        total = 0
        for query, reason in clashes.clashes():
            total += self._count(sa.select(sa.func.count()).select_from(query))
            for row in self.connection.execute(
                sa.select(query).order_by(query.c.line).limit(limit)
            ):
                found.append(BadLine(row.line, reason(row)))
        found.sort(key=lambda bad: bad.line)
        return total, found[:limit]

    def merge(
        self,
        rng: random.Random,
        now: datetime,
        timed: Timed = untimed,
    ) -> Merged:
        """Update the children the index holds, add the rest, with their names and contacts."""
        with timing(timed, "drawn numbers"):
            self._settle_drawn_numbers(rng)
        if self.ids_from is None:
            with timing(timed, "merge"):
                return self._merge(now)
        with timing(timed, "merge"):
            first_load.insert_children(self.connection, now, self.ids_from)
        assert self._dropped is not None  # a first load dropped them
        with timing(timed, "index rebuild"):
            first_load.rebuild_indexes(self.connection, self._dropped)
            # The planner knows nothing of the rows just loaded until these run: the first
            # searches after a first load would otherwise be planned for empty tables.
            for table in (index_children, index_names, index_contacts):
                self._analyze(table)
        return Merged(
            added=self._count(sa.select(sa.func.count()).select_from(children)), updated=0
        )

    def _merge(self, now: datetime) -> Merged:
        stamp = sa.bindparam("now", now, type_=index_children.c.updated_at.type)
        held = sa.exists().where(*clashes.same_child(index_children))
        staged = self._count(sa.select(sa.func.count()).select_from(children))
        updated = self._count(sa.select(sa.func.count()).select_from(children).where(held))
        if updated:
            self.connection.execute(
                sa.update(index_children)
                .where(*clashes.same_child(index_children))
                .values({name: children.c[name] for name in CHILD_COLUMNS} | {"updated_at": stamp})
            )
            # Their names and contacts are replaced by the file's, as a new record would be.
            replaced = sa.select(index_children.c.id).where(*clashes.same_child(index_children))
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
                    index_children, sa.and_(*clashes.same_child(index_children))
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
        # index holds keeps its number, so redrawing theirs is wasted but harmless.) At 11
        # million about 60,000 clash on the first pass (the birthday bound): each round's new
        # numbers are written as rows, not bound as parameters, and set in one statement.
        clashing = list(self.connection.scalars(clashes.drawn_clashes()))
        while clashing:
            self.connection.execute(sa.delete(redrawn))
            self._write(redrawn, [(line, contactpoint.new_number(rng)) for line in clashing])
            self._analyze(redrawn)
            self.connection.execute(
                sa.update(children)
                .where(children.c.line == redrawn.c.line)
                .values(drawn_number=redrawn.c.drawn_number)
            )
            clashing = list(self.connection.scalars(clashes.redrawn_clashes()))

    @contextmanager
    def _copy(self, table: sa.Table) -> Iterator[psycopg.Copy]:
        # Every column but an index table's own id, which its sequence gives.
        columns = ", ".join(column.name for column in table.c if column.name != "id")
        cursor = self.connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
            yield copy

    def _count(self, query: sa.Select[int]) -> int:
        return self.connection.scalar(query) or 0

    def _analyze(self, table: sa.Table) -> None:
        # Staging tables are this role's own; the index's may be analysed by its owner alone.
        if self.is_postgresql and (table.name not in INDEX_TABLES or self.owns_index):
            self.connection.execute(sa.text(f"ANALYZE {table.name}"))

    def _write(self, table: sa.Table, rows: list[tuple[object, ...]]) -> None:
        if not rows:
            return
        if self.is_postgresql:
            with self._copy(table) as copy:
                copy.write(rows_.copy_text(rows))
            return
        columns = [column.name for column in table.c]
        self.connection.execute(
            table.insert(), [dict(zip(columns, row, strict=True)) for row in rows]
        )
