"""Loading children into the index: every line checked, then all added or updated, or none.

One pass over the file, in constant memory: good lines are staged (desk.records.staging), bad
ones noted; then the staged lines are checked against each other and the index, and merged
only if no line anywhere was bad. Everything happens in the caller's transaction, inside a
savepoint that a failed import rolls back, so the index is left exactly as it was.
"""

import multiprocessing
import os
import random
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path

from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.extensions import db
from desk.core.types import utcnow
from desk.records import staging
from desk.records.parse import BadLine, ChildEntry, parse_line
from desk.records.phases import Timed, timing, untimed
from desk.records.rows import StagedChunk, stage_lines
from desk.records.values import today_in_england

# Children staged per round trip: big enough to be quick, small enough to keep memory flat.
# 2,500, not 5,000: 28 MiB less with the workers at 1 million, and no slower (docs/performance.md).
CHUNK = 2500
# Bad lines listed in full; beyond this an import says only how many more there are.
MAX_REPORTED = 1000
# Files this big are parsed in worker processes: below it, starting them costs more than it saves.
PARALLEL_FROM_BYTES = 16 * 1024 * 1024
# Chunks parsed ahead of staging, per worker: enough to keep every worker busy, few enough
# that a file read faster than it is staged waits rather than filling memory.
AHEAD_PER_WORKER = 2


@dataclass(frozen=True)
class ImportSummary:
    """What an import did; with bad lines it did nothing at all.

    `errors` lists the first MAX_REPORTED bad lines in file order; `bad_lines` counts them all.
    """

    added: int
    updated: int
    errors: tuple[str, ...] = ()
    bad_lines: int = 0


def import_file(
    path: Path,
    *,
    by: str,
    rng: random.Random | None = None,
    progress: Callable[[int], None] = lambda done: None,
    phase: Callable[[str], None] = lambda name: None,
    timed: Timed = untimed,
    workers: int | None = None,
) -> ImportSummary:
    """Import a JSON Lines file if every line is good; else nothing.

    `progress` is told how many bytes of the file each step read; `phase` what comes next;
    `timed` how many seconds each phase took (desk.records.phases).
    Lines are parsed by `workers` processes (default: one a core, for a big file; none, in
    this process, for a small one) while this one stages what they return, in file order.
    """
    if workers is None:
        is_big = path.stat().st_size >= PARALLEL_FROM_BYTES
        workers = (os.cpu_count() or 1) if is_big else 0
    # Workers hand back COPY text, which only PostgreSQL takes (SQLite is for the demo).
    if db.session.connection().dialect.name != "postgresql":
        workers = 0
    rng = rng or random.SystemRandom()
    with path.open("rb") as lines:
        read = _reporting(lines, progress)
        if workers > 0:
            count = workers

            def staged(stage: staging.Stage) -> Iterator[StagedChunk]:
                return stage_in_workers(read, count, rng, ids_from=stage.ids_from)

            return _import(staged, by=by, rng=rng, phase=phase, timed=timed)
        return import_entries(parse_lines(read), by=by, rng=rng, phase=phase, timed=timed)


def parse_lines(
    lines: Iterable[str | bytes], today: date | None = None, first: int = 1
) -> Iterator[ChildEntry | BadLine]:
    """Each non-blank line of an import file as an entry, or as the reason it is bad."""
    for number, raw in enumerate(lines, start=first):
        if not raw.strip():
            continue
        try:
            yield parse_line(raw, number, today)
        except ValueError as error:
            yield BadLine(number, str(error))


def stage_in_workers(
    lines: Iterable[bytes],
    workers: int,
    rng: random.Random,
    today: date | None = None,
    ids_from: int | None = None,
) -> Iterator[StagedChunk]:
    """The file's lines as staging rows in COPY text, chunk by chunk in file order, made by
    `workers` processes (desk.records.rows.stage_lines; `ids_from` for a first load).

    At most AHEAD_PER_WORKER chunks a worker are in flight: the file is read no faster than
    what comes back is taken (bounded back-pressure), so memory stays flat however big it is.
    """
    today = today or today_in_england()
    # Spawned, not forked: a worker needs nothing of this process's (its connections least),
    # and imports only the parser and the row builders, not the ORM.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        pending: deque[Future[StagedChunk]] = deque()
        it = iter(lines)
        first = 1
        while chunk := list(islice(it, CHUNK)):
            pending.append(
                pool.submit(stage_lines, chunk, first, today, rng.getrandbits(64), ids_from)
            )
            first += len(chunk)
            if len(pending) >= AHEAD_PER_WORKER * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def import_entries(
    entries: Iterable[ChildEntry | BadLine],
    *,
    by: str,
    rng: random.Random | None = None,
    phase: Callable[[str], None] = lambda name: None,
    timed: Timed = untimed,
) -> ImportSummary:
    """Add or update each child by source and source ID, and audit the import; all or nothing.

    Flushed, not committed. With any bad line the index is left exactly as it was.
    """
    return _import(
        lambda stage: _chunks(entries),
        by=by,
        rng=rng or random.SystemRandom(),
        phase=phase,
        timed=timed,
    )


# The chunks of an import, made for the stage they go to (a first load makes them differently).
Chunks = Callable[[staging.Stage], Iterable[list[ChildEntry | BadLine] | StagedChunk]]


def _import(
    chunks: Chunks,
    *,
    by: str,
    rng: random.Random,
    phase: Callable[[str], None],
    timed: Timed,
) -> ImportSummary:
    # Beginning the savepoint flushes the session: staged rows are checked against the index
    # as the caller's own session sees it.
    savepoint = db.session.begin_nested()
    try:
        summary = _stage_and_merge(chunks, rng, phase, timed)
    except BaseException:
        savepoint.rollback()
        raise
    if summary.bad_lines:
        savepoint.rollback()
        return summary
    savepoint.commit()
    # Objects the session holds may be stale: the merge wrote past the ORM.
    db.session.expire_all()
    record(
        Event.RECORDS_IMPORTED, data={"added": summary.added, "updated": summary.updated, "by": by}
    )
    return summary


def _stage_and_merge(
    chunks: Chunks,
    rng: random.Random,
    phase: Callable[[str], None],
    timed: Timed,
) -> ImportSummary:
    with staging.staging(db.session.connection(), phase) as stage:
        bad: list[BadLine] = []
        with timing(timed, "staging"):
            bad_count = _stage(chunks(stage), stage, bad, rng)
        phase("Checking the file against itself and the index")
        with timing(timed, "checks"):
            clash_count, clashes = stage.problems(MAX_REPORTED)
        if bad_count or clash_count:
            bad += clashes
            bad.sort(key=lambda line: line.line)
            return ImportSummary(
                added=0,
                updated=0,
                errors=tuple(str(line) for line in bad[:MAX_REPORTED]),
                bad_lines=bad_count + clash_count,
            )
        phase("Storing the children")
        merged = stage.merge(rng, utcnow(), timed)
    return ImportSummary(added=merged.added, updated=merged.updated)


def _stage(
    chunks: Iterable[list[ChildEntry | BadLine] | StagedChunk],
    stage: staging.Stage,
    bad: list[BadLine],
    rng: random.Random,
) -> int:
    """Stage every good line; note the first MAX_REPORTED bad ones in `bad`, count them all."""
    bad_count = 0
    for chunk in chunks:
        if isinstance(chunk, StagedChunk):
            stage.add_copied(chunk)
            bad_count += len(chunk.bad)
            bad += chunk.bad[: MAX_REPORTED - len(bad)]
            continue
        good: list[ChildEntry] = []
        for entry in chunk:
            if isinstance(entry, ChildEntry):
                good.append(entry)
                continue
            bad_count += 1
            if len(bad) < MAX_REPORTED:
                bad.append(entry)
        # Good lines are staged even after a bad one, so that every clash is reported.
        stage.add(good, rng)
    return bad_count


def _chunks(entries: Iterable[ChildEntry | BadLine]) -> Iterator[list[ChildEntry | BadLine]]:
    it = iter(entries)
    while chunk := list(islice(it, CHUNK)):
        yield chunk


def _reporting(lines: Iterable[bytes], progress: Callable[[int], None]) -> Iterator[bytes]:
    for raw in lines:
        yield raw
        progress(len(raw))
