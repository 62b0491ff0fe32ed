"""Bulk enrolment: practitioners from a CSV or JSON Lines file, checked whole, then written.

The file is read twice, a line at a time, so memory stays the same whatever its length: once
to check every line (each problem named by its line number, and nothing written if there is
one), and once to write, in batches, inside one transaction that is committed only at the end.
The practitioner ID is the key: a line for someone already enrolled updates them, and the
report says which fields changed. Duplicate IDs in the file are found with a bitmap of every
possible 8-digit ID (12.5 MB), not a set that would grow with the file.

Enrolment issues no PIN and no token: a practitioner chooses their PIN by keypad with an
activation code (`flask practitioners letters`), and is given a token by serial. Until then
their sealed token secret is a random one nobody holds, so nothing costs an argon2 hash here.
"""

import csv
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any, Protocol, TextIO, TypeVar

from sqlalchemy import select

from desk.core import authorities, bulk
from desk.core.audit.actors import Actor
from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.credentials import totp
from desk.core.extensions import db
from verification.models import AccessStatus, Practitioner, PractitionerPhone
from verification.registry import ID_SHAPE, normalised_phones

FIELDS = (
    "practitioner_id",
    "name",
    "organisation",
    "role",
    "local_authority",
    "phones",
    "vetted_on",
    "trained_on",
)
KNOWN = frozenset(FIELDS)
TEXTS = tuple(name for name in FIELDS if name != "phones")
REQUIRED = ("practitioner_id", "name", "organisation", "role", "local_authority", "vetted_on")
# Compared on a re-import; the ID is the key and the phones are compared as a set.
COMPARED = ("name", "organisation", "role", "local_authority", "vetted_on", "trained_on")
LONGEST_TEXT = 200
BATCH = 2000
# Problems listed before the rest are only counted, so a wholly wrong file is not a flood.
PROBLEMS_LISTED = 200
FORMATS = ("csv", "jsonl")

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Entry:
    """One practitioner as a line of the file gives them, checked."""

    practitioner_id: str
    name: str
    organisation: str
    role: str
    local_authority: str
    phones: tuple[str, ...]
    vetted_on: date
    trained_on: date | None


@dataclass
class Report:
    """What a check or an import found and did."""

    lines: int = 0
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    # How many practitioners had each field changed, and the first few of them by ID.
    changed_fields: Counter[str] = field(default_factory=Counter)
    changes: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def problem(self, line: int, reason: str) -> None:
        self.problem_count += 1
        if len(self.problems) < PROBLEMS_LISTED:
            self.problems.append(f"line {line}: {reason}")


class IdBitmap:
    """Which 8-digit IDs have been seen: one bit each, the same size for any file."""

    def __init__(self) -> None:
        self.bits = bytearray(10**8 // 8)

    def add(self, practitioner_id: str) -> bool:
        """Note the ID; False if it was seen already."""
        number = int(practitioner_id)
        byte, bit = divmod(number, 8)
        if self.bits[byte] & (1 << bit):
            return False
        self.bits[byte] |= 1 << bit
        return True


def format_of(path: Path, given: str | None) -> str:
    """The file's format, from `given` or its extension; ValueError if neither says."""
    found = given or {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(path.suffix.lower())
    if found not in FORMATS:
        raise ValueError("say --format csv or jsonl (the file's extension does not)")
    return found


def _lines(handle: TextIO, progress: Progress | None) -> Iterator[str]:
    for line in handle:
        if progress is not None:
            progress(len(line.encode()))
        yield line


def read(
    path: Path, fmt: str, progress: Progress | None = None, headers: Iterable[str] = REQUIRED
) -> Iterator[tuple[int, Any]]:
    """Each record of the file with its line number: a dict of its fields, or a str saying why
    the line is not one. A CSV file's header must name every one of `headers`."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = _lines(handle, progress)
        if fmt == "csv":
            reader = csv.DictReader(lines)
            missing = [f for f in headers if f not in (reader.fieldnames or [])]
            if missing:
                yield 1, f"the header lacks {', '.join(missing)}"
                return
            for row in reader:
                yield reader.line_num, row
            return
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as error:
                yield number, f"not JSON ({error.msg})"
                continue
            yield number, value if isinstance(value, dict) else "not a JSON object"


def _text(raw: dict[str, Any], name: str) -> str:
    value = raw.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text")
    cleaned = " ".join(value.split())
    if len(cleaned) > LONGEST_TEXT:
        raise ValueError(f"{name} is longer than {LONGEST_TEXT} characters")
    return cleaned


def _date(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} {value!r} is not a date (YYYY-MM-DD)") from None


def _phones(raw: dict[str, Any]) -> tuple[str, ...]:
    value = raw.get("phones")
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items: list[Any] = value.replace(",", ";").split(";")
    elif isinstance(value, list):
        items = value
    else:
        raise ValueError("phones must be a list, or text separated by ;")
    if not all(isinstance(item, str) for item in items):
        raise ValueError("each phone must be text")
    return tuple(normalised_phones(item.strip() for item in items if item.strip()))


def check_record(raw: dict[str, Any], today: date) -> Entry:
    """The line's practitioner; ValueError says what is wrong with it."""
    if not raw.keys() <= KNOWN:
        raise ValueError(f"unknown field {sorted(raw.keys() - KNOWN)[0]}")
    text = {name: _text(raw, name) for name in TEXTS}
    for name in REQUIRED:
        if not text[name]:
            raise ValueError(f"{name} is missing")
    practitioner_id = text["practitioner_id"]
    if not ID_SHAPE.fullmatch(practitioner_id):
        raise ValueError(f"practitioner_id {practitioner_id!r} is not 8 digits")
    authority = text["local_authority"]
    if not authorities.is_authority(authority):
        raise ValueError(f"local_authority {authority!r} is not an English authority's ONS code")
    vetted_on = _date(text["vetted_on"], "vetted_on")
    trained_on = _date(text["trained_on"], "trained_on")
    assert vetted_on is not None  # required above
    for name, day in (("vetted_on", vetted_on), ("trained_on", trained_on)):
        if day is not None and day > today:
            raise ValueError(f"{name} {day.isoformat()} is in the future")
    return Entry(
        practitioner_id=practitioner_id,
        name=text["name"],
        organisation=text["organisation"],
        role=text["role"],
        local_authority=authority,
        phones=_phones(raw),
        vetted_on=vetted_on,
        trained_on=trained_on,
    )


def entries(
    path: Path, fmt: str, today: date, report: Report, progress: Progress | None = None
) -> Iterator[Entry]:
    """The file's practitioners, one at a time; each bad line goes in the report instead."""
    for _, entry in checked_lines(path, fmt, partial(check_record, today=today), report, progress):
        yield entry


class ForOnePractitioner(Protocol):
    @property
    def practitioner_id(self) -> str: ...


Checked = TypeVar("Checked", bound=ForOnePractitioner)


def checked_lines(
    path: Path,
    fmt: str,
    check: Callable[[dict[str, Any]], Checked],
    report: Report,
    progress: Progress | None = None,
    headers: Iterable[str] = REQUIRED,
) -> Iterator[tuple[int, Checked]]:
    """Each line `check` accepts, with its number, once per practitioner ID; each line it
    refuses (its ValueError), and each repeated ID, goes in the report instead."""
    seen = IdBitmap()
    for number, raw in read(path, fmt, progress, headers):
        report.lines += 1
        if isinstance(raw, str):
            report.problem(number, raw)
            continue
        try:
            entry = check(raw)
        except ValueError as error:
            report.problem(number, str(error))
            continue
        if not seen.add(entry.practitioner_id):
            report.problem(number, f"practitioner {entry.practitioner_id} is in the file already")
            continue
        yield number, entry


def check(path: Path, fmt: str, today: date, progress: Progress | None = None) -> Report:
    """Check every line, writing nothing."""
    report = Report()
    for _ in entries(path, fmt, today, report, progress):
        pass
    return report


def enrol(
    path: Path,
    fmt: str,
    now: datetime,
    *,
    by: Actor,
    checking: Progress | None = None,
    writing: Progress | None = None,
) -> Report:
    """Check the whole file; if it is clean, add and update its practitioners and audit the
    import. Flushed, not committed: the caller commits once, so it all happens or none does."""
    today = now.date()
    report = check(path, fmt, today, checking)
    if report.problem_count:
        return report
    written = Report()
    # One sealed secret nobody holds, for every practitioner enrolled here without a token:
    # `has_token` is false for them, so no code is accepted against it.
    nobodys = totp.seal(totp.new_secret())
    for batch in _batches(entries(path, fmt, today, written, writing), BATCH):
        _write(batch, nobodys, now, written, by)
    if written.problem_count:  # the file changed between the two readings
        raise ValueError("the file changed while it was imported: " + "; ".join(written.problems))
    record(
        Event.PRACTITIONERS_IMPORTED,
        **by.columns(),
        data={
            "file": path.name,
            "sha256": _sha256(path),
            "lines": written.lines,
            "added": written.added,
            "updated": written.updated,
            "unchanged": written.unchanged,
            "changed_fields": dict(written.changed_fields),
            **by.data(),
        },
    )
    return written


def _batches(items: Iterator[Entry], size: int) -> Iterator[list[Entry]]:
    # itertools.batched arrived in Python 3.12; the desk runs on 3.11 too.
    while batch := list(islice(items, size)):
        yield batch


def _write(batch: Iterable[Entry], sealed: bytes, now: datetime, report: Report, by: Actor) -> None:
    by_id = {entry.practitioner_id: entry for entry in batch}
    # Read as plain rows, not objects: most of a re-import is unchanged, and only the
    # practitioners that changed are loaded to be updated.
    stored = {
        row.id: row
        for row in db.session.execute(
            select(Practitioner.id, *(getattr(Practitioner, name) for name in COMPARED)).where(
                Practitioner.id.in_(by_id)
            )
        )
    }
    numbers: dict[str, set[str]] = {}
    for practitioner_id, number in db.session.execute(
        select(PractitionerPhone.practitioner_id, PractitionerPhone.number).where(
            PractitionerPhone.practitioner_id.in_(stored)
        )
    ):
        numbers.setdefault(practitioner_id, set()).add(number)
    new = [entry for pid, entry in by_id.items() if pid not in stored]
    bulk.write_rows(
        db.session.connection(),
        Practitioner.__table__,  # type: ignore[arg-type]
        [
            {
                "id": e.practitioner_id,
                "name": e.name,
                "organisation": e.organisation,
                "role": e.role,
                "local_authority": e.local_authority,
                "pin_hash": None,
                "totp_secret_encrypted": sealed,
                "has_token": False,  # nosec B105 - a flag, not a secret
                "totp_drift": 0,
                "status": AccessStatus.ACTIVE.value,
                "vetted_on": e.vetted_on,
                "trained_on": e.trained_on,
                "failed_attempts": 0,
                "created_at": now,
            }
            for e in new
        ],
    )
    phones = [{"practitioner_id": e.practitioner_id, "number": n} for e in new for n in e.phones]
    bulk.write_rows(db.session.connection(), PractitionerPhone.__table__, phones)  # type: ignore[arg-type]
    report.added += len(new)
    for pid, row in stored.items():
        entry = by_id[pid]
        changed = tuple(name for name in COMPARED if getattr(row, name) != getattr(entry, name))
        if numbers.get(pid, set()) != set(entry.phones):
            changed += ("phones",)
        if not changed:
            report.unchanged += 1
            continue
        _update(db.session.get_one(Practitioner, pid), entry)
        report.updated += 1
        report.changed_fields.update(changed)
        if len(report.changes) < PROBLEMS_LISTED:
            report.changes.append((pid, changed))
        record(
            Event.PRACTITIONER_UPDATED,
            practitioner_id=pid,
            **by.columns(),
            data={"fields": list(changed), "source": "import", **by.data()},
        )
    # The batch's objects are not needed again: keep the session, and memory, small.
    db.session.flush()
    db.session.expunge_all()


def _update(practitioner: Practitioner, entry: Entry) -> tuple[str, ...]:
    """Bring the practitioner to the entry; the names of the fields that changed."""
    changed = []
    for name in COMPARED:
        if getattr(practitioner, name) != getattr(entry, name):
            setattr(practitioner, name, getattr(entry, name))
            changed.append(name)
    numbers = {phone.number for phone in practitioner.phones}
    if numbers != set(entry.phones):
        practitioner.phones = [p for p in practitioner.phones if p.number in entry.phones] + [
            PractitionerPhone(number=n) for n in entry.phones if n not in numbers
        ]
        changed.append("phones")
    return tuple(changed)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
