"""How fast the index loads: `python -m bench.load --children N [--json]`.

Writes N synthetic children to an import file (once; kept in build/bench), then runs
`flask records import` on it twice, as an operator of the desk would, into a fresh PostgreSQL
database: a first load into the empty index, then the same file again, which updates every
child. Reports children per second and the importer's peak memory for each.
"""

import argparse
import os
import subprocess  # nosec B404 - runs this checkout's own flask command
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.database import bench_app, database_url
from bench.report import emit, machine
from desk.records import generate

ROOT = Path(__file__).resolve().parents[1]
FILES = ROOT / "build" / "bench"
# A fixed day, so the file for a given size is the same file on every run.
DAY = date(2026, 11, 25)
FLASK = Path(sys.executable).parent / "flask"


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
    runs = [("first load, empty index", *run_import(file, url))]
    if not args.no_reload:
        runs.append(("reload, every child updated", *run_import(file, url)))
    rows = [
        [what, args.children, seconds, args.children / seconds, peak_mib]
        for what, seconds, peak_mib in runs
    ]
    result: dict[str, Any] = {
        "benchmark": "load",
        "children": args.children,
        "file_bytes": file.stat().st_size,
        "rows": table_sizes(url),
        "runs": [
            {"run": what, "seconds": s, "children_per_second": n / s, "peak_rss_mib": m}
            for what, n, s, _, m in rows
        ],
        "machine": machine(url),
    }
    emit(
        f"Import of {args.children:,} children ({file.stat().st_size / 1e6:,.0f} MB file)",
        ["run", "children", "seconds", "children/s", "peak MiB"],
        rows,
        result,
        as_json=args.json,
    )


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


def run_import(file: Path, url: str) -> tuple[float, float]:
    """Seconds `flask records import` took, and its peak resident memory in MiB."""
    env = {**os.environ, "DESK_ENV": "development", "DATABASE_URL": url}
    with tempfile.TemporaryFile("w+") as said:
        started = time.perf_counter()
        importer = subprocess.Popen(  # noqa: S603  # nosec B603 - fixed arguments
            [str(FLASK), "--app", "wsgi", "records", "import", str(file)],
            cwd=ROOT,
            env=env,
            stdout=said,
            stderr=subprocess.STDOUT,
        )
        # wait4 gives this child's own peak memory, not the largest of every child so far.
        _, status, usage = os.wait4(importer.pid, 0)
        seconds = time.perf_counter() - started
        importer.returncode = os.waitstatus_to_exitcode(status)
        if importer.returncode:
            said.seek(0)
            raise SystemExit(f"the import failed ({importer.returncode}):\n{said.read()[-5000:]}")
    return seconds, usage.ru_maxrss / 1024  # Linux gives kilobytes


def table_sizes(url: str) -> dict[str, int]:
    """Rows in each of the index's tables afterwards."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        sizes = {
            table: connection.execute(
                sa.text(f"SELECT count(*) FROM {table}")  # noqa: S608 - our own table names
            ).scalar_one()
            for table in ("children", "child_names", "contacts")
        }
    engine.dispose()
    return sizes


if __name__ == "__main__":
    main()
