"""A first load into an empty index, as pg_restore loads a dump (PostgreSQL only).

The index's foreign keys, unique constraints and secondary indexes are dropped before it and
made again after: one sort per index instead of an index entry and a foreign-key check per
row. Its children are numbered ahead (`ids_from` + their line), so that each line's names and
contacts can be written straight into the index's tables under the id its child will get;
desk.records.staging decides when a load is a first one and drives it.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from desk.records.rows import CHILD_COLUMNS
from desk.records.staged import children, index_children, index_contacts, index_names

INDEX_TABLES = tuple(table.name for table in (index_children, index_names, index_contacts))


@dataclass(frozen=True)
class Definitions:
    """The index's foreign keys, unique constraints and secondary indexes, as the database
    gives them: dropped for a first load and made again from these after it."""

    constraints: list[sa.Row[Any]]
    indexes: list[sa.Row[Any]]


def drop_indexes(connection: sa.Connection) -> Definitions:
    """Drop the index's foreign keys, unique constraints and secondary indexes, read from the
    database itself, so what is rebuilt is exactly what the migrations made."""
    tables = list(INDEX_TABLES)
    dropped = Definitions(
        constraints=list(
            connection.execute(
                sa.text(
                    "SELECT conrelid::regclass::text AS tab, conname,"
                    " pg_get_constraintdef(oid) AS definition"
                    " FROM pg_constraint WHERE contype IN ('f', 'u')"
                    " AND conrelid::regclass::text = ANY(:tables)"
                ),
                {"tables": tables},
            )
        ),
        indexes=list(
            connection.execute(
                sa.text(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(:tables)"
                    " AND indexname NOT IN (SELECT conname FROM pg_constraint)"
                ),
                {"tables": tables},
            )
        ),
    )
    for row in dropped.constraints:
        connection.execute(sa.text(f'ALTER TABLE {row.tab} DROP CONSTRAINT "{row.conname}"'))
    for row in dropped.indexes:
        connection.execute(sa.text(f'DROP INDEX "{row.indexname}"'))
    return dropped


def rebuild_indexes(connection: sa.Connection, dropped: Definitions) -> None:
    connection.execute(sa.text("SET LOCAL maintenance_work_mem = '1GB'"))
    for row in dropped.indexes:
        connection.execute(sa.text(row.indexdef))
    # Adding a foreign key checks every row against it: a name or contact whose child was
    # never inserted could not get past this.
    for row in dropped.constraints:
        connection.execute(
            sa.text(f'ALTER TABLE {row.tab} ADD CONSTRAINT "{row.conname}" {row.definition}')
        )


def ids_from(connection: sa.Connection) -> int:
    """Where a first load numbers its children from (the first is this + 1): the table's own
    sequence, so that no id a purged child had is given again."""
    drawn = connection.scalar(
        sa.text("SELECT nextval(pg_get_serial_sequence(:table, 'id'))"),
        {"table": index_children.name},
    )
    return (drawn or 1) - 1


def insert_children(connection: sa.Connection, now: datetime, ids_from: int) -> None:
    """The staged children, each under the id its names and contacts were given."""
    stamp = sa.bindparam("now", now, type_=index_children.c.updated_at.type)
    connection.execute(
        sa.insert(index_children).from_select(
            ["id", *CHILD_COLUMNS, "contactpoint_id", "created_at", "updated_at"],
            sa.select(
                children.c.line + ids_from,
                *(children.c[name] for name in CHILD_COLUMNS),
                sa.func.coalesce(children.c.contactpoint_id, children.c.drawn_number),
                stamp,
                stamp,
            ).order_by(children.c.line),
        )
    )
    # The sequence goes on after the last id given (never back, should anything else have
    # drawn from it meanwhile), so the next child added gets its own.
    connection.execute(
        sa.text(
            "SELECT setval(pg_get_serial_sequence(:table, 'id'), GREATEST("
            " (SELECT max(id) FROM children),"
            " pg_sequence_last_value(CAST(pg_get_serial_sequence(:table, 'id') AS regclass))))"
        ),
        {"table": index_children.name},
    )
