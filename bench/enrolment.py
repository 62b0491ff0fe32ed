"""How fast practitioners enrol in bulk: `python -m bench.enrolment --practitioners N [--json]`.

Writes N synthetic practitioners to a CSV file (once; kept in build/bench), then runs
`flask practitioners import` on it twice, as an administrator would, into a fresh PostgreSQL
database: a first enrolment into an empty desk, then the same file again, which finds every
practitioner unchanged (the re-import's comparison, without writes). Reports practitioners a
second and the command's peak memory for each; the memory should not grow with N.
"""

import argparse
import csv
import os
import random
import subprocess  # nosec B404 - runs this checkout's own flask command
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.database import bench_app, database_url
from bench.report import emit, machine
from desk.core import authorities
from verification.enrolment import FIELDS

ROOT = Path(__file__).resolve().parents[1]
FILES = ROOT / "build" / "bench"
DAY = date(2026, 11, 25)
FLASK = Path(sys.executable).parent / "flask"
GIVEN = ("Ada", "Ben", "Cai", "Dee", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jo", "Kit", "Lena")
FAMILY = ("Brook", "Crane", "Dunn", "Eve", "Fox", "Gill", "Hale", "Iqbal", "Jones", "Kaur")
ROLES = ("Social worker", "Health visitor", "Teacher", "School nurse", "Youth worker")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practitioners", type=int, default=390_000)
    parser.add_argument("--database", help="default: desk_bench_enrol_<practitioners>")
    parser.add_argument("--json", action="store_true", help="one JSON object, not a table")
    args = parser.parse_args()

    count = args.practitioners
    name = args.database or f"desk_bench_enrol_{count}"
    file = practitioners_file(count)
    bench_app(name, fresh=True)
    url = database_url(name)
    runs = [
        ("first enrolment, empty desk", *run_import(file, url)),
        ("re-import, every one unchanged", *run_import(file, url)),
    ]
    rows = [[what, count, s, count / s, peak] for what, s, peak in runs]
    result: dict[str, Any] = {
        "benchmark": "enrolment",
        "practitioners": count,
        "file_bytes": file.stat().st_size,
        "enrolled": enrolled(url),
        "runs": [
            {"run": what, "seconds": s, "practitioners_per_second": n / s, "peak_rss_mib": m}
            for what, n, s, _, m in rows
        ],
        "machine": machine(url),
    }
    emit(
        f"Enrolment of {count:,} practitioners ({file.stat().st_size / 1e6:,.0f} MB file)",
        ["run", "practitioners", "seconds", "practitioners/s", "peak MiB"],
        rows,
        result,
        as_json=args.json,
    )


def practitioners_file(count: int) -> Path:
    """The CSV of `count` synthetic practitioners, written if not already there."""
    file = FILES / f"practitioners-{count}.csv"
    if file.exists():
        return file
    FILES.mkdir(parents=True, exist_ok=True)
    codes = [authority.code for authority in authorities.all_authorities()]
    chance = random.Random(16)  # noqa: S311 - synthetic data, the same on every run
    partial = file.with_suffix(".partial")
    with partial.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(FIELDS)
        for n in range(count):
            vetted = DAY - timedelta(days=chance.randrange(31, 1000))
            phones = ";".join(f"+4477009{chance.randrange(10**5):05d}" for _ in range(n % 3))
            writer.writerow(
                (
                    f"{50_000_000 + n:08d}",
                    f"{chance.choice(GIVEN)} {chance.choice(FAMILY)}",
                    f"Organisation {n % 997}",
                    chance.choice(ROLES),
                    chance.choice(codes),
                    phones,
                    vetted.isoformat(),
                    (vetted + timedelta(days=30)).isoformat() if n % 10 else "",
                )
            )
    partial.rename(file)
    return file


def run_import(file: Path, url: str) -> tuple[float, float]:
    """Seconds `flask practitioners import` took, and its peak resident memory in MiB."""
    env = {**os.environ, "DESK_ENV": "development", "DATABASE_URL": url}
    with tempfile.TemporaryFile("w+") as said:
        started = time.perf_counter()
        importer = subprocess.Popen(  # noqa: S603  # nosec B603 - fixed arguments
            [str(FLASK), "--app", "wsgi", "practitioners", "import", str(file)],
            cwd=ROOT,
            env=env,
            stdout=said,
            stderr=subprocess.DEVNULL,  # the progress bars
        )
        _, status, usage = os.wait4(importer.pid, 0)
        seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status):
            said.seek(0)
            raise SystemExit(f"the import failed:\n{said.read()[-5000:]}")
    return seconds, usage.ru_maxrss / 1024  # Linux gives kilobytes


def enrolled(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = {
            table: connection.execute(
                sa.text(f"SELECT count(*) FROM {table}")  # noqa: S608 - our own table names
            ).scalar_one()
            for table in ("practitioners", "practitioner_phones")
        }
    engine.dispose()
    return found


if __name__ == "__main__":
    main()
