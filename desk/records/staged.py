"""The staging tables of an import, and the one place an import entry is turned into rows.

Each table is temporary and shaped like the index's own (values the index maps, as plain
text), with the line of the file each row came from. The search keys are made here too, so a
child is found the same way whatever loaded them.
"""

import json
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from desk.records import postcodes
from desk.records.models import Child, ChildName, Contact
from desk.records.names import alternate_key, first_given_name, name_key, phonetic_key
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
    "local_authority",
)
# A name row carries what the searches pair it with, copied from its child.
NAME_COLUMNS = (
    "family_name",
    "family_key",
    "family_phonetic",
    "family_phonetic_alt",
    "is_former",
    "given_phonetic",
    "given_phonetic_alt",
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
# Which child each line became, once merged.
ids = sa.Table(
    "import_ids",
    metadata,
    sa.Column("line", sa.Integer, nullable=False),
    sa.Column("child_id", sa.Integer, nullable=False),
    prefixes=["TEMPORARY"],
)


# Where child_row puts the values a name row copies: after line, the two numbers, and columns.
GIVEN_PHONETIC = 3 + CHILD_COLUMNS.index("given_phonetic")
POSTCODE_COMPACT = 3 + CHILD_COLUMNS.index("postcode_compact")


def child_row(entry: ChildEntry, drawn: str | None) -> tuple[object, ...]:
    """A child's staged row: its line, the numbers given and drawn, then CHILD_COLUMNS."""
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
        entry.local_authority,
    )


def name_rows(entry: ChildEntry, child: tuple[object, ...]) -> Iterator[tuple[object, ...]]:
    """The family names a child is found by: the current one, then former ones not the same."""
    given = first_given_name(entry.given_names)
    paired = (
        child[GIVEN_PHONETIC],
        alternate_key(given),
        entry.date_of_birth,
        child[POSTCODE_COMPACT],
    )
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
                alternate_key(family_name),
                is_former,
                *paired,
            )


def contact_rows(entry: ChildEntry) -> Iterator[tuple[object, ...]]:
    """A child's staged contacts, in the order the file gave them."""
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
