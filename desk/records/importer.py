"""Loading children into the index: every line checked first, then added or updated in one go.

Both passes stream the file; only the keys needed to find a child given twice are held.
"""

import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path

from sqlalchemy import select, tuple_
from sqlalchemy.orm import selectinload

from desk.audit.service import record
from desk.extensions import db
from desk.records import contactpoint, postcodes
from desk.records.models import Child, Contact
from desk.records.parse import ChildEntry, parse_line
from desk.types import utcnow

# Children stored per round trip: big enough to be quick, small enough to keep the session lean.
CHUNK = 500


@dataclass(frozen=True)
class Checked:
    """The first pass over a file: how many lines, and every line that cannot be imported."""

    lines: int
    errors: tuple[str, ...]


@dataclass(frozen=True)
class ImportSummary:
    """What an import did; with errors it did nothing at all."""

    added: int
    updated: int
    errors: tuple[str, ...] = ()


def check_lines(lines: Iterable[str | bytes], today: date | None = None) -> Checked:
    """Check every line of an import file, naming each bad one as "line N: reason"."""
    errors: list[str] = []
    # The file may give a child, or a ContactPoint number, only once; these are the only
    # things held in memory, and only for this pass.
    seen_children: dict[tuple[str, str], int] = {}
    seen_numbers: dict[str, int] = {}
    count = 0
    for count, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            entry = parse_line(raw, count, today)
        except ValueError as error:
            errors.append(f"line {count}: {error}")
            continue
        key = (entry.source, entry.source_id)
        if key in seen_children:
            errors.append(
                f"line {count}: {entry.source} {entry.source_id} is already on line "
                f"{seen_children[key]}"
            )
        seen_children.setdefault(key, count)
        if entry.contactpoint_id:
            if entry.contactpoint_id in seen_numbers:
                errors.append(
                    f"line {count}: ContactPoint number {entry.contactpoint_id} is already on "
                    f"line {seen_numbers[entry.contactpoint_id]}"
                )
            seen_numbers.setdefault(entry.contactpoint_id, count)
    return Checked(lines=count, errors=tuple(errors))


def read_entries(lines: Iterable[str | bytes], today: date | None = None) -> Iterator[ChildEntry]:
    """The entries of an import file already checked by `check_lines`."""
    for number, raw in enumerate(lines, start=1):
        if raw.strip():
            yield parse_line(raw, number, today)


def import_entries(
    entries: Iterable[ChildEntry], *, by: str, rng: random.Random | None = None
) -> ImportSummary:
    """Add or update each child by source and source ID, and audit the import; all or nothing.

    Flushed, not committed. With errors (a ContactPoint number held by another child) the
    index is left exactly as it was.
    """
    rng = rng or random.SystemRandom()
    added = updated = 0
    errors: list[str] = []
    savepoint = db.session.begin_nested()
    for chunk in _chunks(entries):
        chunk_added, chunk_updated, chunk_errors = _store(chunk, rng)
        added, updated = added + chunk_added, updated + chunk_updated
        errors += chunk_errors
    if errors:
        savepoint.rollback()
        return ImportSummary(added=0, updated=0, errors=tuple(errors))
    savepoint.commit()
    record("records.imported", data={"added": added, "updated": updated, "by": by})
    return ImportSummary(added=added, updated=updated)


def import_file(
    path: Path,
    *,
    by: str,
    rng: random.Random | None = None,
    progress: Callable[[int], None] = lambda done: None,
) -> ImportSummary:
    """Check every line of a JSON Lines file, then import it if all are good; else nothing.

    `progress` is told how many bytes of each pass are done, out of twice the file's size.
    """
    with path.open("rb") as lines:
        checked = check_lines(_reporting(lines, progress))
    if checked.errors:
        return ImportSummary(added=0, updated=0, errors=checked.errors)
    with path.open("rb") as lines:
        return import_entries(read_entries(_reporting(lines, progress)), by=by, rng=rng)


def _chunks(entries: Iterable[ChildEntry]) -> Iterator[list[ChildEntry]]:
    it = iter(entries)
    while chunk := list(islice(it, CHUNK)):
        yield chunk


def _reporting(lines: Iterable[bytes], progress: Callable[[int], None]) -> Iterator[bytes]:
    for raw in lines:
        yield raw
        progress(len(raw))


def _store(entries: list[ChildEntry], rng: random.Random) -> tuple[int, int, list[str]]:
    keys = [(entry.source, entry.source_id) for entry in entries]
    existing = {
        (child.source, child.source_id): child
        for child in db.session.scalars(
            select(Child)
            .where(tuple_(Child.source, Child.source_id).in_(keys))
            .options(selectinload(Child.names), selectinload(Child.contacts))
        )
    }
    numbers = {entry.contactpoint_id for entry in entries if entry.contactpoint_id}
    holders = {
        number: (source, source_id)
        for number, source, source_id in db.session.execute(
            select(Child.contactpoint_id, Child.source, Child.source_id).where(
                Child.contactpoint_id.in_(numbers)
            )
        )
    }
    errors: list[str] = []
    stored: list[Child] = []
    added = 0
    # New children have no ContactPoint number until the end: nothing may be flushed before.
    with db.session.no_autoflush:
        for entry in entries:
            key = (entry.source, entry.source_id)
            child = existing.get(key)
            number = entry.contactpoint_id
            if number and holders.get(number, key) != key:
                errors.append(f"line {entry.line}: ContactPoint number {number} is another child's")
                continue
            if number and child and child.contactpoint_id != number:
                # A ContactPoint number is for life: a source sending a new one is a mistake.
                errors.append(
                    f"line {entry.line}: this child already has ContactPoint number "
                    f"{child.contactpoint_id}, not {number}"
                )
                continue
            if child is None:
                child = Child(source=entry.source, source_id=entry.source_id)
                child.contactpoint_id = number or ""
                db.session.add(child)
                added += 1
            else:
                child.updated_at = utcnow()
            _fill(child, entry)
            stored.append(child)
        _assign_numbers([child for child in stored if not child.contactpoint_id], rng)
    db.session.flush()
    for child in stored:
        # Done with: a long import need not hold every child it has stored.
        db.session.expunge(child)
    return added, len(stored) - added, errors


def _fill(child: Child, entry: ChildEntry) -> None:
    child.given_names = entry.given_names
    child.family_name = entry.family_name
    child.gender = entry.gender
    child.date_of_birth = entry.date_of_birth
    child.address_lines = list(entry.address_lines)
    child.town = entry.town
    child.postcode = entry.postcode
    child.postcode_compact = postcodes.compact(entry.postcode) if entry.postcode else None
    child.is_shielded = entry.is_shielded
    child.has_caf = entry.has_caf
    child.caf_lead_name = entry.caf_lead_name if entry.has_caf else None
    child.caf_lead_organisation = entry.caf_lead_organisation if entry.has_caf else None
    child.caf_lead_phone = entry.caf_lead_phone if entry.has_caf else None
    child.index_names(entry.former_family_names)
    child.contacts = [
        Contact(
            kind=contact.kind,
            name=contact.name,
            organisation=contact.organisation,
            relationship=contact.relationship,
            phone=contact.phone,
            service_type=contact.service_type,
            is_sensitive=contact.is_sensitive,
            basis=contact.basis,
        )
        for contact in entry.contacts
    ]


def _assign_numbers(children: list[Child], rng: random.Random) -> None:
    # Draw numbers until none is already held, in the index or in this batch.
    waiting = children
    while waiting:
        drawn = {child: contactpoint.new_number(rng) for child in waiting}
        taken = set(
            db.session.scalars(
                select(Child.contactpoint_id).where(Child.contactpoint_id.in_(drawn.values()))
            )
        )
        still: list[Child] = []
        for child, number in drawn.items():
            if number in taken:
                still.append(child)
            else:
                child.contactpoint_id = number
                taken.add(number)
        waiting = still
