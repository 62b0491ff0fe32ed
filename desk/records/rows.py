"""The one place an import entry is turned into rows: staged, and written as COPY text.

The search keys are made here, so a child is found the same way whatever loaded them. Nothing
here imports the ORM or SQLAlchemy: the importer's worker processes run `stage_lines` on a
chunk of the file and hand back the three staging tables' rows as PostgreSQL COPY text, so the
importer process only passes them on (desk.records.staging).
"""

import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import cast

from psycopg.adapt import Transformer

from desk.records import contactpoint, postcodes
from desk.records.names import alternate_key, first_given_name, name_key, phonetic_key
from desk.records.parse import BadLine, ChildEntry, parse_line

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


def as_index_rows(rows: Iterable[tuple[object, ...]], ids_from: int) -> list[tuple[object, ...]]:
    """Name or contact rows as the index's own: the child's id for its line, no position.

    On a first load the line's child is given the id `ids_from` + its line, so these rows can
    be written straight into the index's tables (desk.records.staging, first loads); the rows
    keep their file order, which is what the position was for.
    """
    return [(ids_from + cast(int, row[0]), *row[2:]) for row in rows]


@dataclass(frozen=True)
class StagedChunk:
    """A chunk of the file as the staging tables' COPY text, and its bad lines in file order.

    On a first load the names and contacts are the index's own rows (`as_index_rows`).
    """

    # Handed on as they were made, not copied into bytes.
    children: bytearray
    names: bytearray
    contacts: bytearray
    bad: list[BadLine]


def stage_lines(
    chunk: list[bytes], first: int, today: date, seed: int, ids_from: int | None = None
) -> StagedChunk:
    """Parse a chunk of lines (the first numbered `first`) into staging rows as COPY text.

    A child the file gives no number to is drawn one from a generator seeded with `seed`,
    so the importer's own generator decides every number wherever the chunk is parsed. With
    `ids_from` (a first load), names and contacts are made as the index's own rows.
    """
    rng = random.Random(seed)  # noqa: S311  # nosec B311 - numbers are identifiers, not secrets
    # Each row is written out as COPY text as soon as it is made: no list of a chunk's rows
    # is held beside its text, which kept a worker some 15 MiB larger.
    child_text, name_text, contact_text = CopyText(), CopyText(), CopyText()
    bad: list[BadLine] = []
    for number, raw in enumerate(chunk, start=first):
        if not raw.strip():
            continue
        try:
            entry = parse_line(raw, number, today)
        except ValueError as error:
            bad.append(BadLine(number, str(error)))
            continue
        drawn = None if entry.contactpoint_id else contactpoint.new_number(rng)
        child = child_row(entry, drawn)
        child_text.add((child,))
        names: Iterable[tuple[object, ...]] = name_rows(entry, child)
        contacts: Iterable[tuple[object, ...]] = contact_rows(entry)
        if ids_from is not None:
            names, contacts = as_index_rows(names, ids_from), as_index_rows(contacts, ids_from)
        name_text.add(names)
        contact_text.add(contacts)
    return StagedChunk(child_text.out, name_text.out, contact_text.out, bad)


class CopyText:
    """Rows in PostgreSQL COPY's text format, as UTF-8, added to as they come.

    Formatted by psycopg's own COPY writer (compiled, with psycopg[binary]), which escapes
    tabs, newlines and backslashes as COPY FROM reads them; it took 8-12 us a line of the
    file against 40-54 us for the same rows formatted field by field in Python. No connection
    is needed: values are dumped by psycopg's default adapters (text, dates, booleans, ints).
    """

    def __init__(self) -> None:
        # psycopg does not re-export its row formatter (the one `Copy.write_row` uses), so it is
        # imported from its private module here, not where the web app would load it: a psycopg
        # that moved it fails an import (and tests/desk/records/test_rows.py), not the desk's
        # start. pyproject.toml keeps psycopg to the minor versions it was checked on.
        from psycopg._copy_base import format_row_text

        self.out = bytearray()
        self._transformer = Transformer()
        self._format = format_row_text

    def add(self, rows: Iterable[tuple[object, ...]]) -> None:
        for row in rows:
            self._format(row, self._transformer, self.out)


def copy_text(rows: Iterable[tuple[object, ...]]) -> bytes:
    """Rows in PostgreSQL COPY's text format, as UTF-8 (CopyText)."""
    text = CopyText()
    text.add(rows)
    return bytes(text.out)
