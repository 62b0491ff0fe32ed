"""The audit log: how fast concurrent writers append to it, and how fast it is verified.

    python -m bench.audit --events 20000 [--writers 8] [--log-rows 100000] [--database NAME]
                          [--fresh] [--json]

Each writer is a process of its own, as a gunicorn worker is: it appends one search event at a
time through desk.audit.service.record, in a transaction of its own, and commits. Then
`flask audit verify` itself walks the whole log, which must be intact and hold every new row.
Targets (issue 6): 1,000 appends a second with 8 writers; verify 100,000 rows a second.

Verify is timed over a log of a fixed size, --log-rows, so that runs compare: the log is
first filled to exactly that with chained events written in bulk, and verified before the
appends. The log is append-only, so a database holding more (a previous run's appends) is
remade. After the appends, verify walks the whole log again to check the chain is intact.
"""

import argparse
import multiprocessing
import queue
import re
import sys
import threading
import time
from multiprocessing.synchronize import Barrier
from typing import Any

from flask import Flask
from sqlalchemy import select, text

from bench.database import BENCH_CONFIG, bench_app
from bench.report import emit, machine, percentiles
from desk.app import create_app
from desk.core.audit import chain
from desk.core.audit.events import Event
from desk.core.audit.models import AuditEvent
from desk.core.audit.service import CHAIN_LOCK, record
from desk.core.extensions import db
from desk.core.types import utcnow

DATABASE = "bench_audit"
APPEND_TARGET = 1_000
VERIFY_TARGET = 100_000
FILL_BATCH = 5_000
STARTUP_SECONDS = 120
FILL = text(
    "INSERT INTO audit_events (occurred_at, kind, call_id, practitioner_id, operator_id, data, "
    "prev_hash, hash) VALUES (:occurred_at, 'search.made', :call_id, :practitioner_id, "
    ":operator_id, CAST(:data_json AS json), :prev_hash, :hash)"
)
SEARCH = {
    "form": "name_and_postcode",
    "criteria": {"family_name": "O'Neill", "given_names": "Amelia"},
    "match_count": 2,
    "is_too_many": False,
    "matched": ["9434765919", "9434765927"],
}


def fill_log(rows: int) -> int:
    """Append events in bulk until the log holds `rows`; how many were added.

    Each is chained and stored as record() would do it, but many go in one statement.
    """
    missing = rows - chain.count()
    if missing <= 0:
        return 0
    db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    prev_hash = (
        db.session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
        or chain.GENESIS
    )
    for start in range(0, missing, FILL_BATCH):
        batch = []
        for n in range(start, min(start + FILL_BATCH, missing)):
            occurred_at = utcnow()
            subjects = (n, f"{n % 10**8:08d}", n % 50, None)
            event_hash = chain.row_hash(prev_hash, occurred_at, "search.made", subjects, SEARCH)
            batch.append(
                {
                    "occurred_at": occurred_at,
                    "call_id": subjects[0],
                    "practitioner_id": subjects[1],
                    "operator_id": subjects[2],
                    "data_json": chain.canonical_data(SEARCH),
                    "prev_hash": prev_hash,
                    "hash": event_hash,
                }
            )
            prev_hash = event_hash
        db.session.execute(FILL, batch)
    db.session.commit()
    return missing


def append_events(uri: str, writer: int, count: int, start: Barrier, results: Any) -> None:
    """One writer: append `count` events, each committed alone; report each one's seconds."""
    app = create_app({**BENCH_CONFIG, "SQLALCHEMY_DATABASE_URI": uri})
    seconds = []
    with app.app_context():
        db.session.execute(text("SELECT 1"))  # connect before the clock starts
        db.session.rollback()
        start.wait()
        for n in range(count):
            began = time.perf_counter()
            record(
                Event.SEARCH_MADE,
                call_id=writer * 1_000_000 + n,
                practitioner_id=f"{writer:08d}",
                operator_id=writer,
                data=SEARCH,
            )
            db.session.commit()
            seconds.append(time.perf_counter() - began)
        db.engine.dispose()
    results.put(seconds)


def run_writers(uri: str, events: int, writers: int) -> tuple[float, list[float]]:
    """Wall-clock seconds for `writers` processes to append `events` in all, and each latency."""
    # Spawned, not forked: each writer makes its own app and connections from nothing.
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(writers + 1)
    results = spawn.Queue()
    shares = [events // writers + (1 if n < events % writers else 0) for n in range(writers)]
    processes = [
        spawn.Process(target=append_events, args=(uri, n, share, start, results))
        for n, share in enumerate(shares)
    ]
    for process in processes:
        process.start()
    try:
        start.wait(timeout=STARTUP_SECONDS)  # every writer has its app and a connection
    except threading.BrokenBarrierError:
        raise SystemExit("the writers did not all start: see their errors above") from None
    began = time.perf_counter()
    latencies: list[float] = []
    for _ in processes:
        latencies += _writer_result(results, processes)
    elapsed = time.perf_counter() - began
    for process in processes:
        process.join()
    return elapsed, latencies


def _writer_result(results: Any, processes: list[Any]) -> list[float]:
    # A writer that fails reports nothing: notice it rather than wait for it for ever.
    while True:
        try:
            return list(results.get(timeout=1))
        except queue.Empty:
            failed = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
            if failed:
                raise SystemExit(f"a writer failed (exit code {failed[0]})") from None


def run_verify(app: Flask) -> tuple[float, int, str]:
    """Seconds `flask audit verify` takes over the whole log, the rows it found intact (0 if
    broken), and what it said."""
    runner = app.test_cli_runner()
    began = time.perf_counter()
    result = runner.invoke(args=["audit", "verify"])
    elapsed = time.perf_counter() - began
    # Its verdict, not the notes after it (on checkpoints, say).
    verdicts = [line for line in result.output.splitlines() if re.search(r"intact|broken", line)]
    said = verdicts[0] if verdicts else result.output.strip()
    intact = re.search(r"intact: (\d+) rows", said)
    return elapsed, int(intact.group(1)) if intact and result.exit_code == 0 else 0, said


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=20_000, help="appends in all")
    parser.add_argument("--writers", type=int, default=8, help="concurrent writer processes")
    parser.add_argument(
        "--log-rows", type=int, default=100_000, help="fill the log to this first, for verify"
    )
    parser.add_argument("--database", default=DATABASE, help=f"(default {DATABASE})")
    parser.add_argument("--fresh", action="store_true", help="start from an empty database")
    parser.add_argument("--json", action="store_true", help="one JSON object, not a table")
    args = parser.parse_args()

    app = bench_app(args.database, fresh=args.fresh)
    with app.app_context():
        held = chain.count()
        db.engine.dispose()
    if held > args.log_rows:
        print(f"The log holds {held:,} rows, not {args.log_rows:,}: remade.", file=sys.stderr)
        app = bench_app(args.database, fresh=True)
    uri = str(app.config["SQLALCHEMY_DATABASE_URI"])
    with app.app_context():
        filled = fill_log(args.log_rows)
        rows_before = chain.count()
        db.engine.dispose()
    if filled:
        print(f"Filled the log with {filled:,} events in bulk.", file=sys.stderr)
    verify_seconds, fixed_checked, verify_said = run_verify(app)
    if fixed_checked != rows_before:
        raise SystemExit(f"audit verify, before the appends: {verify_said}")

    append_seconds, latencies = run_writers(uri, args.events, args.writers)
    _, checked, after_said = run_verify(app)
    with app.app_context():
        rows_after = chain.count()
        db.engine.dispose()
    is_intact = checked == rows_after
    # Every event appended is there once; more means someone else wrote to the log meanwhile.
    added = rows_after - rows_before

    append_rate = args.events / append_seconds
    verify_rate = rows_before / verify_seconds
    latency = percentiles(latencies)
    result = {
        "benchmark": "audit",
        "events": args.events,
        "writers": args.writers,
        "append": {"seconds": append_seconds, "per_second": append_rate, **latency},
        "rows_added": added,
        "chain_intact": is_intact,
        "verify": {
            "rows": rows_before,
            "seconds": verify_seconds,
            "per_second": verify_rate,
            "said": verify_said,
        },
        "verify_after_appends": {"rows": rows_after, "said": after_said},
        "targets": {
            "append_per_second": APPEND_TARGET,
            "verify_rows_per_second": VERIFY_TARGET,
            "is_met": is_intact
            and added == args.events
            and append_rate >= APPEND_TARGET
            and verify_rate >= VERIFY_TARGET,
        },
        "machine": machine(uri),
    }
    rows = [
        (f"appends, {args.writers} writers", append_rate, "/s", f">= {APPEND_TARGET:,}/s"),
        ("append latency p50", latency["p50_ms"], "ms", ""),
        ("append latency p95", latency["p95_ms"], "ms", ""),
        ("append latency p99", latency["p99_ms"], "ms", ""),
        ("rows added", added, "rows", f"{args.events:,}"),
        ("chain after appends", "intact" if is_intact else "BROKEN", "", "intact"),
        (f"verify, {rows_before:,} rows", verify_rate, "rows/s", f">= {VERIFY_TARGET:,} rows/s"),
    ]
    title = f"Audit log: {args.events:,} appends by {args.writers} writers, then verify"
    emit(title, ("measure", "result", "unit", "target"), rows, result, as_json=args.json)
    if not is_intact:
        raise SystemExit(f"audit verify: {after_said}")
    if added != args.events:
        raise SystemExit(f"{added:,} rows were added, not {args.events:,}: another writer?")


if __name__ == "__main__":
    main()
