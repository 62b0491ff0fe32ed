"""The staging tables of an import, shaped by the rows desk.records.rows makes.

Each table is temporary and shaped like the index's own (values the index maps, as plain
text), with the line of the file each row came from.
"""

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from desk.records.models import Child, ChildName, Contact
from desk.records.rows import CHILD_COLUMNS, CONTACT_COLUMNS, NAME_COLUMNS


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

# The staging tables' own metadata: created and dropped together, apart from the index's.
metadata = sa.MetaData()
children = sa.Table(
    "import_children",
    metadata,
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
        metadata,
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        *(_staged(index, column) for column in columns),
        prefixes=["TEMPORARY"],
    )


names = _rows_of_a_child("import_names", index_names, NAME_COLUMNS)
contacts = _rows_of_a_child("import_contacts", index_contacts, CONTACT_COLUMNS)
# The numbers drawn again, a round at a time, for the lines whose drawn number was taken.
redrawn = sa.Table(
    "import_redrawn",
    metadata,
    sa.Column("line", sa.Integer, nullable=False),
    sa.Column("drawn_number", sa.String(10), nullable=False),
    prefixes=["TEMPORARY"],
)
# Which child each line became, once merged.
ids = sa.Table(
    "import_ids",
    metadata,
    sa.Column("line", sa.Integer, nullable=False),
    sa.Column("child_id", sa.Integer, nullable=False),
    prefixes=["TEMPORARY"],
)
