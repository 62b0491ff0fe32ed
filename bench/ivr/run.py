"""Running the IVR benchmark: seed the callers, serve each app, warm it up, drive it, measure."""

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

import bench.ivr
from bench.database import BENCH_CONFIG, SERVED_DATABASE_VARIABLE, bench_app
from bench.ivr import callers
from bench.ivr.driver import Run, drive
from bench.ivr.results import Measured, report
from bench.server import (
    Workers,
    cpu_seconds,
    descendants,
    environment_without_desk_settings,
    gunicorn,
    resident_kib,
)
from desk.core.extensions import db

DATABASE = "bench_ivr"
FLOOR_APP = "bench.ivr.floor:create_app()"
DESK_APP = "bench.database:served_app()"


def main(argv: Sequence[str] | None = None) -> None:
    """Run the IVR benchmark and print its report."""
    args = parser().parse_args(argv)
    load_before = os.getloadavg()[0]
    workers = Workers(
        **{
            name: value
            for name, value in (("count", args.workers), ("worker_class", args.worker_class))
            if value
        },
        threads=args.threads,
    )
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
    servers = {
        "floor": Server("floor", FLOOR_APP, environ),
        "desk": Server("desk", DESK_APP, desk_environ, uri),
    }
    results = alternate(servers, workers, warmup, measured, args)
    report(args, workers, results, uri, (load_before, os.getloadavg()[0]))


@dataclass(frozen=True)
class Server:
    """An app to serve under gunicorn, and the database whose backends' CPU it uses, if any."""

    name: str
    wsgi: str
    environ: dict[str, str]
    database: str | None = None


def alternate(
    servers: dict[str, Server],
    workers: Workers,
    warmup: list[callers.Caller],
    measured: list[callers.Caller],
    args: argparse.Namespace,
) -> dict[str, Measured]:
    """Serve every app at once, warm each up, then drive the measured calls at them in turns.

    The calls go in `--rounds` slices, each slice to the floor and then to the desk, so that a
    busy moment on a shared machine falls on both rather than on whichever ran second. Only
    one server is driven at a time; the other sits idle, costing nothing.
    """
    token = str(BENCH_CONFIG["TWILIO_AUTH_TOKEN"])
    with ExitStack() as stack:
        served = {
            name: stack.enter_context(gunicorn(server.wsgi, server.environ, workers))
            for name, server in servers.items()
        }
        pids, helpers, backends = {}, {}, {}
        for name, server in servers.items():
            progress(f"{name}: {len(warmup)} calls to warm up")
            drive(served[name].url, token, warmup, workers.count * workers.threads, None)
            pids[name] = served[name].worker_pids()
            progress(f"{name}: workers {', '.join(map(str, pids[name]))} (py-spy record -p PID)")
            # The workers' own processes (the desk's PIN hashing processes), started by the
            # warm-up's calls: their CPU and memory are the desk's too.
            helpers[name] = helper_pids(pids[name])
            # The connections the warm-up opened serve the run: their backends' CPU is the
            # database's.
            backends[name] = database_backends(server.database) if server.database else []
        runs: dict[str, list[Run]] = {name: [] for name in servers}
        places = ("workers", "hashing", "database", "driver")
        cpu = {name: dict.fromkeys(places, 0.0) for name in servers}
        rounds = min(args.rounds, len(measured))
        for number in range(rounds):
            calls = measured[number::rounds]
            for name in servers:
                before = cpu_by_place(pids[name], helpers[name], backends[name])
                runs[name].append(
                    drive(served[name].url, token, calls, args.concurrency, args.rate, args.waits)
                )
                after = cpu_by_place(pids[name], helpers[name], backends[name])
                for place, seconds in after.items():
                    cpu[name][place] += seconds - before[place]
            progress(f"round {number + 1} of {rounds}: {len(calls)} calls to each")
        results = {}
        for name in servers:
            if served[name].worker_pids() != pids[name]:
                # A worker gunicorn replaced (timed out, crashed) took its CPU count with it.
                progress(f"{name}: WARNING gunicorn replaced a worker during the run")
            if helper_pids(pids[name]) != helpers[name]:
                progress(f"{name}: WARNING a hashing process was replaced during the run")
            rss = [resident_kib(pid) for pid in served[name].worker_pids()]
            helper_rss = [resident_kib(pid) for pid in helper_pids(pids[name])]
            results[name] = Measured(joined(runs[name]), rss, cpu[name], helper_rss)
    return results


def joined(runs: Sequence[Run]) -> Run:
    """The runs of one server's turns as one run."""
    return Run(
        [sent for run in runs for sent in run.sent],
        [failure for run in runs for failure in run.failures],
        sum(run.seconds for run in runs),
    )


def helper_pids(workers: list[int]) -> list[int]:
    """The processes the workers started (and theirs), the workers not included."""
    return sorted({pid for worker in workers for pid in descendants(worker)} - set(workers))


def cpu_by_place(workers: list[int], helpers: list[int], backends: list[int]) -> dict[str, float]:
    """CPU seconds used so far by the workers, their hashing processes, the database's
    backends and this driver."""
    return {
        "workers": sum(cpu_seconds(pid) for pid in workers),
        "hashing": sum(cpu_seconds(pid) for pid in helpers),
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
        prog="python -m bench.ivr", description=(bench.ivr.__doc__ or "").split("\n\n")[0]
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
        "--waits",
        type=positive(int),
        default=1,
        help="times each caller hears the queue's wait message before hanging up (default 1); "
        "a real queue fetches it every 20 s or so, so more waits make a mix with fewer PINs",
    )
    options.add_argument(
        "--rounds",
        type=positive(int),
        default=6,
        help="turns the floor and the desk take with the measured calls (default 6)",
    )
    options.add_argument(
        "--workers",
        type=positive(int),
        help="gunicorn workers (default: deploy/gunicorn.conf.py's)",
    )
    options.add_argument(
        "--worker-class",
        choices=("sync", "gthread"),
        help="(default: deploy/gunicorn.conf.py's, sync)",
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
