"""sound keys: names transliterated with anyascii and coded by Double Metaphone, two keys each

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

Every child's and every child name's sound keys are recomputed by desk.records.names, so that
rows loaded before this migration are found the way a newly imported one is (the promise in
that module: one exact key, one set of sound keys). child_names gains the alternate keys
(family_phonetic_alt, given_phonetic_alt) and the indexes the search asks through.

Built for 11 million children: the rows are rewritten in batches of BATCH, in id order, each
batch its own statement committed at once (outside the migration's transaction), with the last
id done kept in a progress table. Stopped part way, the migration starts again where it
stopped: `flask db upgrade` again. The indexes on the keys are dropped first and built once at
the end, rather than updated row by row. Searches made while it runs may miss children whose
keys are not yet rewritten, so the desk is best kept closed for it (docs/performance.md gives
its rate). The downgrade writes the Metaphone keys back the same way.
"""

from collections.abc import Callable, Sequence

import jellyfish
import sqlalchemy as sa
from alembic import op

from desk.records.names import first_given_name, name_key, sound_keys

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BATCH = 5000
PROGRESS = "migration_0010_progress"

Keys = Callable[[str], tuple[str, str | None]]

children = sa.table(
    "children",
    sa.column("id", sa.Integer),
    sa.column("given_names", sa.String),
    sa.column("family_name", sa.String),
    sa.column("given_phonetic", sa.String),
    sa.column("family_phonetic", sa.String),
)
child_names = sa.table(
    "child_names",
    sa.column("id", sa.Integer),
    sa.column("child_id", sa.Integer),
    sa.column("family_name", sa.String),
    sa.column("family_phonetic", sa.String),
    sa.column("family_phonetic_alt", sa.String),
    sa.column("given_phonetic", sa.String),
    sa.column("given_phonetic_alt", sa.String),
)
progress = sa.table(PROGRESS, sa.column("name", sa.String), sa.column("last_id", sa.Integer))

NEW_INDEXES = {
    "ix_child_names_phonetic_birth": (["family_phonetic", "date_of_birth"], False),
    "ix_child_names_alternate_birth": (["family_phonetic_alt", "date_of_birth"], True),
    "ix_child_names_phonetic_postcode": (["family_phonetic", "postcode_compact"], False),
    "ix_child_names_alternate_postcode": (["family_phonetic_alt", "postcode_compact"], True),
}
OLD_INDEXES = {
    "ix_child_names_phonetic_birth": ["family_phonetic", "date_of_birth"],
    "ix_child_names_phonetic_given_postcode": [
        "family_phonetic",
        "given_phonetic",
        "postcode_compact",
    ],
}


def metaphone_keys(name: str) -> tuple[str, None]:
    """The sound key before this migration: Metaphone of the exact key, if it is in a-z."""
    key = name_key(name)
    if not (key.isascii() and key.isalpha()):
        return key, None
    return jellyfish.metaphone(key) or key, None


def upgrade() -> None:
    bind = op.get_bind()
    if "family_phonetic_alt" not in _columns(bind):  # a rerun finds them already added
        with op.batch_alter_table("child_names") as batch_op:
            batch_op.add_column(sa.Column("family_phonetic_alt", sa.String(200), nullable=True))
            batch_op.add_column(sa.Column("given_phonetic_alt", sa.String(200), nullable=True))
    _drop_indexes(bind, OLD_INDEXES)
    rekey(bind, sound_keys)
    for index, (columns, is_partial) in NEW_INDEXES.items():
        where = sa.text(f"{columns[0]} IS NOT NULL") if is_partial else None
        op.create_index(index, "child_names", columns, postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    bind = op.get_bind()
    _drop_indexes(bind, {name: columns for name, (columns, _) in NEW_INDEXES.items()})
    rekey(bind, metaphone_keys)
    if "family_phonetic_alt" in _columns(bind):
        with op.batch_alter_table("child_names") as batch_op:
            batch_op.drop_column("given_phonetic_alt")
            batch_op.drop_column("family_phonetic_alt")
    for index, columns in OLD_INDEXES.items():
        op.create_index(index, "child_names", columns)


def rekey(bind: sa.Connection, keys: Keys, batch: int = BATCH) -> None:
    """Rewrite every child's and child name's sound keys with `keys`, a batch at a time.

    Each batch commits on its own; the progress table says where to start again.
    """
    has_alternates = "family_phonetic_alt" in _columns(bind)
    if PROGRESS not in sa.inspect(bind).get_table_names():
        op.create_table(
            PROGRESS,
            sa.Column("name", sa.String(32), primary_key=True),
            sa.Column("last_id", sa.Integer, nullable=False),
        )
        op.bulk_insert(progress, [{"name": name, "last_id": 0} for name in ("children", "names")])
    with op.get_context().autocommit_block():
        autocommit = op.get_bind()
        _in_batches(autocommit, "children", _children_batch(keys), batch)
        _in_batches(autocommit, "names", _names_batch(keys, has_alternates), batch)
    op.drop_table(PROGRESS)


Batch = Callable[[sa.Connection, int, int], int | None]


def _in_batches(bind: sa.Connection, name: str, rewrite: Batch, batch: int) -> None:
    """Run `rewrite` from where the progress table says, until it finds no rows."""
    last = bind.scalar(sa.select(progress.c.last_id).where(progress.c.name == name)) or 0
    while (done := rewrite(bind, last, batch)) is not None:
        last = done
        bind.execute(sa.update(progress).where(progress.c.name == name).values(last_id=last))


def _children_batch(keys: Keys) -> Batch:
    def rewrite(bind: sa.Connection, after: int, batch: int) -> int | None:
        rows = bind.execute(
            sa.select(children.c.id, children.c.given_names, children.c.family_name)
            .where(children.c.id > after)
            .order_by(children.c.id)
            .limit(batch)
        ).all()
        _update(
            bind,
            children,
            [
                {
                    "row": row.id,
                    "given_phonetic": keys(first_given_name(row.given_names))[0],
                    "family_phonetic": keys(row.family_name)[0],
                }
                for row in rows
            ],
        )
        return rows[-1].id if rows else None

    return rewrite


def _names_batch(keys: Keys, has_alternates: bool) -> Batch:
    def rewrite(bind: sa.Connection, after: int, batch: int) -> int | None:
        rows = bind.execute(
            sa.select(child_names.c.id, child_names.c.family_name, children.c.given_names)
            .join(children, children.c.id == child_names.c.child_id)
            .where(child_names.c.id > after)
            .order_by(child_names.c.id)
            .limit(batch)
        ).all()
        values = []
        for row in rows:
            family, family_alt = keys(row.family_name)
            given, given_alt = keys(first_given_name(row.given_names))
            value = {"row": row.id, "family_phonetic": family, "given_phonetic": given}
            if has_alternates:
                value |= {"family_phonetic_alt": family_alt, "given_phonetic_alt": given_alt}
            values.append(value)
        _update(bind, child_names, values)
        return rows[-1].id if rows else None

    return rewrite


def _update(
    bind: sa.Connection, table: sa.TableClause, values: Sequence[dict[str, object]]
) -> None:
    """One executemany UPDATE of the rows by id: psycopg pipelines it in one round trip."""
    if not values:
        return
    columns = {name: sa.bindparam(name) for name in values[0] if name != "row"}
    statement = sa.update(table).where(table.c.id == sa.bindparam("row")).values(columns)
    bind.execute(statement, list(values))


def _columns(bind: sa.Connection) -> set[str]:
    return {column["name"] for column in sa.inspect(bind).get_columns("child_names")}


def _drop_indexes(bind: sa.Connection, indexes: dict[str, list[str]]) -> None:
    held = {index["name"] for index in sa.inspect(bind).get_indexes("child_names")}
    for index in indexes:
        if index in held:
            op.drop_index(index, table_name="child_names")
