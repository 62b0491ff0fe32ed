"""The IVR's webhooks under gunicorn on PostgreSQL: latency per step, beside a bare Flask floor.

    python -m bench.ivr --calls 300 --concurrency 16 [--rate 100] [--workers 4]
                        [--worker-class sync|gthread] [--threads 1] [--warmup 20]
                        [--database bench_ivr] [--fresh] [--json]

Whole calls (dial; key the ID, PIN and token code; wait once in the queue; hang up) are sent
as Twilio would, signed, by threads of this process to the desk served by gunicorn in processes
of its own, production-like: real argon2 costs, the local telephony adapter in place of Twilio's
REST API, rate limits off since one machine plays every caller. The same calls then go to the
floor (bench/floor.py): a bare Flask endpoint answering fixed TwiML under the same gunicorn
settings. Flat out by default; `--rate` paces requests open loop and times each from when it
fell due. Callers are seeded once in the database `bench_ivr` and reused; `--fresh` remakes it.

Targets (issue 6), on a 2-core machine at 100 requests a second: every step that hashes nothing
answers within 25 ms at the 99th percentile and within 2x the floor's 99th percentile; the PIN
step, which carries the argon2 cost on purpose, takes 20 to 60 ms (p50 at least 20, p99 at
most 60); each gunicorn worker holds under 150 MB resident after the run.
"""

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bench import callers
from bench.database import BENCH_CONFIG, SERVED_DATABASE_VARIABLE, bench_app
from bench.driver import STEPS, Run, drive
from bench.report import emit, machine, percentiles
from bench.server import (
    Workers,
    cpu_seconds,
    environment_without_desk_settings,
    gunicorn,
    resident_kib,
)
from desk.extensions import db

DATABASE = "bench_ivr"
FLOOR_APP = "bench.floor:create_app()"
DESK_APP = "bench.database:served_app()"
HASHING_STEPS = {"pin"}
STEP_P99_TARGET_MS = 25.0
FLOOR_RATIO_TARGET = 2.0
PIN_TARGET_MS = (20.0, 60.0)
RSS_TARGET_MIB = 150.0
TARGET_RATE = 100
ALL_BUT_PIN, FLOOR = "all_but_pin", "floor"
STEP_NAMES = {
    FLOOR: "floor: fixed TwiML",
    "voice": "voice (greeting)",
    "id": "answer: ID",
    "pin": "answer: PIN (argon2)",
    "code": "answer: token code",
    "wait": "wait (queue)",
    "left-queue": "left-queue (hang up)",
    "status": "status (call ended)",
    ALL_BUT_PIN: "desk: all but the PIN",
}


def main(argv: Sequence[str] | None = None) -> None:
    """Run the IVR benchmark and print its report."""
    args = parser().parse_args(argv)
    load_before = os.getloadavg()[0]
    workers = Workers(args.workers, args.worker_class, args.threads)
    app = bench_app(args.database, fresh=args.fresh)
    uri = str(app.config["SQLALCHEMY_DATABASE_URI"])
    with app.app_context():
        callers.seed(args.warmup + args.calls)
        callers.ready()
        db.engine.dispose()
    everyone = [callers.caller(n) for n in range(args.warmup + args.calls)]
    warmup, measured = everyone[: args.warmup], everyone[args.warmup :]
    environ = environment_without_desk_settings()
    desk_environ = {**environ, SERVED_DATABASE_VARIABLE: uri}
    results = {
        "floor": measure("floor", FLOOR_APP, environ, workers, warmup, measured, args),
        "desk": measure("desk", DESK_APP, desk_environ, workers, warmup, measured, args, uri),
    }
    report(args, workers, results, uri, (load_before, os.getloadavg()[0]))


@dataclass(frozen=True)
class Measured:
    """A server's run, its workers' resident memory after it, and the CPU spent on it."""

    run: Run
    rss_kib: list[int]
    # CPU seconds by where they were spent: gunicorn's workers, PostgreSQL, the driver.
    cpu_seconds: dict[str, float]


def measure(
    name: str,
    wsgi: str,
    environ: dict[str, str],
    workers: Workers,
    warmup: list[callers.Caller],
    measured: list[callers.Caller],
    args: argparse.Namespace,
    database: str | None = None,
) -> Measured:
    """Serve `wsgi` under gunicorn, warm it up flat out, then drive the measured calls at it."""
    token = str(BENCH_CONFIG["TWILIO_AUTH_TOKEN"])
    with gunicorn(wsgi, environ, workers) as served:
        progress(f"{name}: {len(warmup)} calls to warm up, then {len(measured)} measured")
        drive(served.url, token, warmup, workers.count * workers.threads, None)
        pids = served.worker_pids()
        progress(f"{name}: workers {', '.join(map(str, pids))} (py-spy record -p PID profiles one)")
        # The connections the warm-up opened serve the run: their backends' CPU is the database's.
        backends = database_backends(database) if database else []
        before = cpu_by_place(pids, backends)
        run = drive(served.url, token, measured, args.concurrency, args.rate)
        if served.worker_pids() != pids:
            # A worker gunicorn replaced (timed out, crashed) took its CPU count with it.
            progress(f"{name}: WARNING gunicorn replaced a worker during the run")
        cpu = {
            place: seconds - before[place]
            for place, seconds in cpu_by_place(pids, backends).items()
        }
        rss = [resident_kib(pid) for pid in served.worker_pids()]
    progress(f"{name}: {len(run.sent):,} requests in {run.seconds:.1f}s")
    return Measured(run, rss, cpu)


def cpu_by_place(workers: list[int], backends: list[int]) -> dict[str, float]:
    """CPU seconds used so far by the workers, the database's backends and this driver."""
    return {
        "workers": sum(cpu_seconds(pid) for pid in workers),
        "database": sum(cpu_seconds(pid) for pid in backends),
        "driver": time.process_time(),
    }


def database_backends(uri: str) -> list[int]:
    """The PostgreSQL backends connected to the database now (on this machine, else no CPU)."""
    engine = sa.create_engine(uri)
    with engine.connect() as connection:
        pids = connection.scalars(
            sa.text(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).all()
    engine.dispose()
    return list(pids)


def parser() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(
        prog="python -m bench.ivr", description=__doc__.split("\n\n")[0]
    )
    options.add_argument(
        "--calls", type=positive(int), default=300, help="calls measured (default 300)"
    )
    options.add_argument(
        "--concurrency",
        type=positive(int),
        default=16,
        help="calls in progress at once (default 16)",
    )
    options.add_argument(
        "--rate",
        type=positive(float),
        help="requests a second, paced open loop (default: flat out)",
    )
    options.add_argument(
        "--workers", type=positive(int), default=4, help="gunicorn workers (default 4)"
    )
    options.add_argument(
        "--worker-class", choices=("sync", "gthread"), default="sync", help="(default sync)"
    )
    options.add_argument("--threads", type=positive(int), default=1, help="per worker (default 1)")
    options.add_argument(
        "--warmup", type=int, default=20, help="calls each server gets first, unmeasured"
    )
    options.add_argument(
        "--database", default=DATABASE, help=f"on the benchmarks' server (default {DATABASE})"
    )
    options.add_argument("--fresh", action="store_true", help="remake the benchmark database")
    options.add_argument("--json", action="store_true", help="one JSON object, not a table")
    return options


def positive(kind: Callable[[str], float]) -> Callable[[str], Any]:
    """An argparse type: a number of `kind` above zero."""

    def parse(text: str) -> Any:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text} is not above zero")
        return value

    return parse


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def report(
    args: argparse.Namespace,
    workers: Workers,
    results: dict[str, Measured],
    uri: str,
    load: tuple[float, float],
) -> None:
    """Print each step's latency and its ratio to the floor, the rates, and the workers' RSS."""
    floor, desk = summary(results["floor"]), summary(results["desk"])
    desk["steps"] = by_step(results["desk"].run, floor["all"])
    result = {
        "benchmark": "ivr",
        "calls": args.calls,
        "concurrency": args.concurrency,
        "rate": args.rate,
        "warmup_calls": args.warmup,
        "gunicorn": {
            "workers": workers.count,
            "worker_class": workers.worker_class,
            "threads": workers.threads,
        },
        "floor": floor,
        "desk": desk,
        "targets": {
            "at_rate": TARGET_RATE,
            "step_p99_ms": STEP_P99_TARGET_MS,
            "step_p99_over_floor": FLOOR_RATIO_TARGET,
            "pin_ms": PIN_TARGET_MS,
            "worker_rss_mib": RSS_TARGET_MIB,
        },
        # Other work on the machine skews every figure: a busy machine makes them worthless.
        "load_average_1min": {"before": load[0], "after": load[1]},
        "machine": machine(uri),
    }
    floor_row = {**floor["all"], "p50_over_floor": 1.0, "p99_over_floor": 1.0}
    rows = [
        (
            STEP_NAMES[step],
            found["requests"],
            found["p50_ms"],
            found["p99_ms"],
            found["from_send"]["p99_ms"],
            found["p50_over_floor"],
            found["p99_over_floor"],
            found.get("target", ""),
            {True: "yes", False: "NO", None: ""}[found.get("is_met")],
        )
        for step, found in [(FLOOR, floor_row), *desk["steps"].items()]
    ]
    pace = f"paced at {args.rate:g} requests/s" if args.rate else "flat out"
    title = [
        f"IVR webhooks: {args.calls:,} calls, {args.concurrency} at once, {pace}; "
        f"gunicorn {workers}",
        f"  achieved: desk {desk['rate']:.1f} requests/s, floor {floor['rate']:.1f}/s; "
        f"failed calls: desk {desk['failed_calls']}, floor {floor['failed_calls']}",
        f"  sent late, p99: desk {desk['late_p99_ms']:.1f} ms, floor {floor['late_p99_ms']:.1f} ms"
        " (more than a few ms: the server, or the driver, fell behind the pace, and each step's"
        " latency carries the backlog; `p99 sent` is from sending)",
        f"  CPU per request, ms: desk {cpu_line(desk)}; floor {cpu_line(floor)}",
        f"  worker RSS after the run, MiB (target < {RSS_TARGET_MIB:g}): "
        f"desk {mib_list(desk['worker_rss_mib'])}; floor {mib_list(floor['worker_rss_mib'])}",
        f"  the targets are for --rate {TARGET_RATE}; latency runs from when a request fell due "
        "to its answer",
        f"  load average (1 min) before and after: {load[0]:.2f}, {load[1]:.2f} "
        f"on {os.cpu_count()} cores (anything else running skews the figures)",
        *(f"  failed: {failure}" for failure in desk["failures"] + floor["failures"]),
        "",
    ]
    columns = (
        "step",
        "requests",
        "p50 ms",
        "p99 ms",
        "p99 sent",
        "p50/floor",
        "p99/floor",
        "target",
        "met",
    )
    emit("\n".join(title), columns, rows, result, as_json=args.json)


def by_step(run: Run, floor: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each step's percentiles, their ratio to the floor's, and the step's target.

    Timed from when each request fell due, and also from when it was sent: once the server
    falls behind, a request is sent late by the backlog of the steps before it, and only the
    second says what the step itself cost.
    """
    steps: dict[str, dict[str, Any]] = {}
    for step in [*STEPS, ALL_BUT_PIN]:
        sent = [
            s
            for s in run.sent
            if s.step == step or (step == ALL_BUT_PIN and s.step not in HASHING_STEPS)
        ]
        found: dict[str, Any] = {"requests": len(sent), **percentiles([s.seconds for s in sent])}
        found["from_send"] = percentiles([s.seconds - s.late_seconds for s in sent])
        found["p50_over_floor"] = found["p50_ms"] / floor["p50_ms"]
        found["p99_over_floor"] = found["p99_ms"] / floor["p99_ms"]
        found["target"], found["is_met"] = judge(step, found)
        steps[step] = found
    return steps


def summary(measured: Measured) -> dict[str, Any]:
    """A server's run: requests, rate, failures, lateness, percentiles, memory and CPU."""
    run = measured.run
    late = percentiles([s.late_seconds for s in run.sent])
    return {
        "requests": len(run.sent),
        "seconds": run.seconds,
        "rate": run.rate,
        "failed_calls": len(run.failures),
        "failures": run.failures[:5],
        "late_p99_ms": late["p99_ms"],
        "all": {
            "requests": len(run.sent),
            **percentiles([s.seconds for s in run.sent]),
            "from_send": percentiles([s.seconds - s.late_seconds for s in run.sent]),
        },
        "worker_rss_mib": [round(kib / 1024, 1) for kib in measured.rss_kib],
        # Less swayed by other work on the machine than any latency, and what capacity rests on.
        "cpu_ms_per_request": {
            place: seconds * 1000 / max(1, len(run.sent))
            for place, seconds in measured.cpu_seconds.items()
        },
    }


def judge(step: str, found: dict[str, Any]) -> tuple[str, bool]:
    """The target a step is held to, and whether this run met it."""
    if step in HASHING_STEPS:
        low, high = PIN_TARGET_MS
        return f"p50 >= {low:g}, p99 <= {high:g} ms", bool(
            found["p50_ms"] >= low and found["p99_ms"] <= high
        )
    return f"p99 < {STEP_P99_TARGET_MS:g} ms, <= {FLOOR_RATIO_TARGET:g}x floor", bool(
        found["p99_ms"] < STEP_P99_TARGET_MS and found["p99_over_floor"] <= FLOOR_RATIO_TARGET
    )


def cpu_line(server: dict[str, Any]) -> str:
    """Where a server's CPU per request went, and the cores that makes at the target rate."""
    places = server["cpu_ms_per_request"]
    total = sum(places.values())
    spent = " + ".join(f"{place} {ms:.1f}" for place, ms in places.items())
    return f"{spent} = {total:.1f} ({total * TARGET_RATE / 1000:.2f} cores at {TARGET_RATE}/s)"


def mib_list(values: list[float]) -> str:
    return ", ".join(f"{value:.0f}" for value in values) or "none"


if __name__ == "__main__":
    main()
