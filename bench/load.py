"""How fast the index loads: `python -m bench.load --children N [--json]`.

Writes N synthetic children to an import file (once; kept in build/bench), then runs
`flask records import` on it twice, as an operator of the desk would, into a fresh PostgreSQL
database: a first load into the empty index, then the same file again, which updates every
child. Reports children per second and the importer's peak memory for each: its own, and that of
it and its worker processes together, sampled.

The floor: the rows the first load stored (children, names, contacts), COPYed from the
database's own text back into empty copies of the tables without indexes, by psycopg. It is
timed after each load, in the same run, so that a shared machine's load falls on both; the
median is the floor each load is set against.
"""

import argparse
import contextlib
import os
import statistics
import subprocess  # nosec B404 - runs this checkout's own flask command
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench.database import bench_app, database_url
from bench.report import emit, machine
from bench.server import descendants, resident_kib
from desk.records import generate
from desk.records.phases import PHASE_PREFIX

ROOT = Path(__file__).resolve().parents[1]
FILES = ROOT / "build" / "bench"
# A fixed day, so the file for a given size is the same file on every run.
DAY = date(2026, 11, 25)
FLASK = Path(sys.executable).parent / "flask"
TABLES = ("children", "child_names", "contacts")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--database", help="default: desk_bench_load_<children>")
    parser.add_argument("--no-reload", action="store_true", help="skip the second import")
    parser.add_argument("--json", action="store_true", help="one JSON object, not a table")
    args = parser.parse_args()

    name = args.database or f"desk_bench_load_{args.children}"
    file = children_file(args.children)
    bench_app(name, fresh=True)
    url = database_url(name)
    floors: list[float] = []
    runs = [("first load, empty index", *run_import(file, url))]
    dumped = dump_rows(url)
    floors.append(copy_seconds(url, dumped))
    if not args.no_reload:
        runs.append(("reload, every child updated", *run_import(file, url)))
    floors.append(copy_seconds(url, dumped))
    floor = statistics.median(floors)
    rows = [
        [what, args.children, seconds, args.children / seconds, seconds / floor, own, tree]
        for what, seconds, own, tree, _ in runs
    ]
    rows.append(
        ["floor: raw COPY of the rows", args.children, floor, args.children / floor, 1.0, "", ""]
    )
    result: dict[str, Any] = {
        "benchmark": "load",
        "children": args.children,
        "file_bytes": file.stat().st_size,
        "rows": table_sizes(url),
        "runs": [
            {
                "run": what,
                "seconds": s,
                "children_per_second": n / s,
                "times_floor": x,
                "peak_rss_mib": own,
                "peak_rss_with_workers_mib": tree,
                "phase_seconds": phases,
            }
            for (what, n, s, _, x, own, tree), (*_, phases) in zip(rows, runs, strict=False)
        ],
        "floor_seconds": floors,
        "machine": machine(url),
    }
    emit(
        f"Import of {args.children:,} children ({file.stat().st_size / 1e6:,.0f} MB file)",
        ["run", "children", "seconds", "children/s", "x floor", "peak MiB", "with workers"],
        rows,
        result,
        as_json=args.json,
    )
    if not args.json:
        # Where each load's time went, as the importer timed it.
        for what, *_, phases in runs:
            timed = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items())
            print(f"{what}: {timed}")


def children_file(count: int) -> Path:
    """The import file of `count` synthetic children, written if not already there."""
    file = FILES / f"children-{count}.jsonl"
    if not file.exists():
        FILES.mkdir(parents=True, exist_ok=True)
        partial = file.with_suffix(".partial")
        with partial.open("w", encoding="utf-8") as out:
            out.writelines(generate.lines(count, seed=1, today=DAY))
        partial.rename(file)
    return file


def run_import(file: Path, url: str) -> tuple[float, float, float, dict[str, float]]:
    """Seconds `flask records import` took, its own peak resident memory in MiB, the peak
    of it and its worker processes together (sampled every 0.1 s), and the seconds of each
    phase, as the importer printed them."""
    env = {**os.environ, "DESK_ENV": "development", "DATABASE_URL": url}
    with tempfile.TemporaryFile("w+") as said:
        started = time.perf_counter()
        importer = subprocess.Popen(  # noqa: S603  # nosec B603 - fixed arguments
            [str(FLASK), "--app", "wsgi", "records", "import", "--timings", str(file)],
            cwd=ROOT,
            env=env,
            stdout=said,
            stderr=subprocess.STDOUT,
        )
        peak = [0]
        sampler = threading.Thread(target=_sample_tree, args=(importer.pid, peak), daemon=True)
        sampler.start()
        # wait4 gives this child's own peak memory, not the largest of every child so far.
        _, status, usage = os.wait4(importer.pid, 0)
        seconds = time.perf_counter() - started
        sampler.join()
        importer.returncode = os.waitstatus_to_exitcode(status)
        said.seek(0)
        output = said.read()
        if importer.returncode:
            raise SystemExit(f"the import failed ({importer.returncode}):\n{output[-5000:]}")
    # Linux gives kilobytes
    return seconds, usage.ru_maxrss / 1024, peak[0] / 1024, phase_seconds(output)


def phase_seconds(output: str) -> dict[str, float]:
    """Each phase's seconds from the importer's output: lines `Phase <name>: <seconds> s`."""
    phases = {}
    for line in output.splitlines():
        if line.startswith(PHASE_PREFIX) and line.endswith(" s"):
            name, _, seconds = line.removeprefix(PHASE_PREFIX).rpartition(": ")
            phases[name] = float(seconds.removesuffix(" s"))
    return phases


def _sample_tree(pid: int, peak: list[int]) -> None:
    """The largest RSS in KiB of the process and its descendants together, until it ends."""
    while os.path.exists(f"/proc/{pid}"):
        # A process may end while it is being read.
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            peak[0] = max(peak[0], sum(resident_kib(p) for p in descendants(pid)))
        time.sleep(0.1)


def dump_rows(url: str) -> dict[str, bytes]:
    """The index's rows, each table as COPY text: what the floor copies back in."""
    with psycopg.connect(_driver_url(url)) as connection:
        dumped = {}
        for table in TABLES:
            with connection.cursor().copy(f"COPY {table} TO STDOUT") as copy:
                dumped[table] = b"".join(bytes(block) for block in copy)
        return dumped


def copy_seconds(url: str, dumped: dict[str, bytes]) -> float:
    """Seconds to COPY the rows into empty copies of the index's tables, committed."""
    with psycopg.connect(_driver_url(url)) as connection:
        for table in TABLES:
            connection.execute(f"CREATE TEMPORARY TABLE floor_{table} (LIKE {table})")
        connection.commit()
        started = time.perf_counter()
        for table in TABLES:
            with connection.cursor().copy(f"COPY floor_{table} FROM STDIN") as copy:
                data = memoryview(dumped[table])
                for at in range(0, len(data), 1 << 20):
                    copy.write(data[at : at + (1 << 20)])
        connection.commit()
        return time.perf_counter() - started


def _driver_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def table_sizes(url: str) -> dict[str, int]:
    """Rows in each of the index's tables afterwards."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        sizes = {
            table: connection.execute(
                sa.text(f"SELECT count(*) FROM {table}")  # noqa: S608 - our own table names
            ).scalar_one()
            for table in TABLES
        }
    engine.dispose()
    return sizes


if __name__ == "__main__":
    main()
