"""How long an operator's search takes, whole and against its own SQL, at N children.

    python -m bench.lookup --children 1000000 [--searches 500] [--json] [--database NAME]

The children are loaded once, by `flask records generate` in a subprocess (the way in that a
real load takes), into a benchmark database named after N; a rerun finds them there, runs
ANALYZE and measures. Each search form is tried on children drawn from the index itself, so
results are what callers get, and warm: every query has run once before it is timed.

- lookup: the console's search service, `search_index` then the commit, as the console's search
  request makes them: inside a call the operator has taken, identity confirmed and purpose
  recorded, with a fresh session each time as each request has. A call is wrapped up and the
  next taken when it reaches DESK_SEARCHES_PER_CALL.
- SQL: the statements SQLAlchemy sent for that search, sent again through psycopg with the same
  parameters: the floor under the lookup. A lookup also writes its audit row and the search it
  made, and commits: "x own SQL" sets the lookup against all of its own statements and commit,
  which shows what the desk's Python adds.

The forms take turns, search by search, so that a busy moment on the machine falls on all three.
Before timing, some lookups of each form are taken apart (how many statements, and the median
time in them, in the commit and in Python), and each form's first query is EXPLAIN ANALYZEd:
the indexes it read are listed, its whole plan is in --json.

`search_index` applies no rule of disclosure itself: a result list hides a shielded child's town
when the call's page is drawn (`result_line`), and a record is filtered when it is opened
(`disclosure.disclosable`). Neither is in the time measured here.
"""

import argparse
import os
import random
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from bench.calls import BenchOperator, LookupProfile, bench_staff, statements_sent
from bench.children import Query, Statement, load_children, note, sample_queries
from bench.database import bench_app
from bench.report import emit, machine, percentiles
from desk.core.extensions import db
from desk.records.search import SearchMethod, search

# What the desk is judged against at 11 million children, warm, for every search form.
TARGET_P95_MS = 10.0
TARGET_TIMES_SQL = 3.0
# Whole lookups made before timing, per form, so that the audit log and the call's tables are
# warm too, not only the children's; each is taken apart to see where its time goes.
WARM_UP_LOOKUPS = 30


@dataclass
class FormRun:
    """One search form's queries, their timings, and what was learnt about them."""

    queries: list[Query]
    lookups: list[float] = field(default_factory=list)
    sqls: list[float] = field(default_factory=list)
    profiles: list[LookupProfile] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)


def main(argv: Sequence[str] | None = None) -> None:
    """Load the children once, then time each search form whole and as bare SQL."""
    args = _parser().parse_args(argv)
    name = args.database or f"desk_bench_lookup_{args.children}"
    app = bench_app(name, fresh=args.fresh)
    url = str(app.config["SQLALCHEMY_DATABASE_URI"])
    load_before = os.getloadavg()
    # Taking a call builds the URLs Twilio would be given, which needs a request.
    with app.test_request_context():
        load_children(name, url, args.children, args.seed)
        # Which children are searched for is no secret: seeded, reruns search for the same ones.
        rng = random.Random(args.seed)  # noqa: S311  # nosec B311
        runs = {form: FormRun(sample_queries(form, args.searches, rng)) for form in SearchMethod}
        with psycopg.connect(_driver_url(url), autocommit=True) as raw:
            operator = BenchOperator(*bench_staff())
            warm_up(runs, operator, raw)
            measure(runs, operator, raw)
            operator.finish()
        db.session.remove()
        db.engine.dispose()
    _report(args, name, url, runs, load_before)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.lookup", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--children",
        type=_at_least(1),
        default=1_000_000,
        help="children in the index (default 1,000,000)",
    )
    parser.add_argument(
        "--searches",
        type=_at_least(2),
        default=500,
        help="timed searches per search form (default 500)",
    )
    parser.add_argument("--database", help="benchmark database (default desk_bench_lookup_<N>)")
    parser.add_argument(
        "--seed", type=int, default=0, help="which children, and which to search for (default 0)"
    )
    parser.add_argument("--fresh", action="store_true", help="drop the database and load anew")
    parser.add_argument("--json", action="store_true", help="one JSON object, for machines")
    return parser


def _at_least(lowest: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        number = int(text.replace("_", "").replace(",", ""))
        if number < lowest:
            raise argparse.ArgumentTypeError(f"at least {lowest}")
        return number

    return parse


def _driver_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def sql_seconds(raw: psycopg.Connection[Any], statements: Sequence[Statement]) -> float:
    """How long the statements take sent straight through psycopg, rows fetched."""
    with raw.cursor() as cursor:
        started = time.perf_counter()
        for sql, parameters in statements:
            cursor.execute(sql, parameters)
            cursor.fetchall()
        return time.perf_counter() - started


def warm_up(
    runs: dict[SearchMethod, FormRun], operator: BenchOperator, raw: psycopg.Connection[Any]
) -> None:
    """Run every query once, noting its SQL, results and plan; then whole lookups, taken apart."""
    note("Warming up...")
    for run in runs.values():
        for query in run.queries:
            with statements_sent() as sent:
                result = search(query.criteria)
            db.session.rollback()
            query.statements = [(statement.sql, statement.parameters) for statement in sent]
            query.is_too_many = result.is_too_many
            query.is_listed = any(child.id == query.child_id for child in result.matches)
            sql_seconds(raw, query.statements)
        run.plan = plan(raw, run.queries[0].statements)
        run.profiles = [operator.lookup_profile(q.criteria) for q in run.queries[:WARM_UP_LOOKUPS]]


def plan(raw: psycopg.Connection[Any], statements: Sequence[Statement]) -> list[str]:
    """How PostgreSQL ran the statements: EXPLAIN ANALYZE, one line a row."""
    lines = []
    with raw.cursor() as cursor:
        for sql, parameters in statements:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, parameters)
            lines += [row[0] for row in cursor.fetchall()]
    return lines


def measure(
    runs: dict[SearchMethod, FormRun], operator: BenchOperator, raw: psycopg.Connection[Any]
) -> None:
    """Each query timed as a whole lookup and as its bare SQL, the forms taking turns."""
    rounds = max(len(run.queries) for run in runs.values())
    for n in range(rounds):
        for run in runs.values():
            if n < len(run.queries):
                run.lookups.append(operator.lookup_seconds(run.queries[n].criteria))
                run.sqls.append(sql_seconds(raw, run.queries[n].statements))
        if (n + 1) % 100 == 0:
            note(f"Measured {n + 1:,} of {rounds:,} searches per form")


def _report(
    args: argparse.Namespace,
    name: str,
    url: str,
    runs: dict[SearchMethod, FormRun],
    load_before: tuple[float, float, float],
) -> None:
    forms: dict[str, Any] = {}
    rows = []
    for form, run in runs.items():
        whole, floor = percentiles(run.lookups), percentiles(run.sqls)
        times_sql = {cut: whole[f"{cut}_ms"] / floor[f"{cut}_ms"] for cut in ("p50", "p95", "p99")}
        meets = whole["p95_ms"] < TARGET_P95_MS and times_sql["p95"] <= TARGET_TIMES_SQL
        parts = _parts(run.profiles)
        # The lookup against all of its own SQL (every statement and the commit), not only the
        # search's: how much the desk's Python adds to what the database must do anyway.
        times_own_sql = whole["p50_ms"] / (parts["statements"] + parts["commit"])
        indexes = _indexes(run.plan)
        listed = 100 * sum(q.is_listed for q in run.queries) / len(run.queries)
        too_many = 100 * sum(q.is_too_many for q in run.queries) / len(run.queries)
        forms[form.value] = {
            "searches": len(run.lookups),
            "lookup": whole,
            "sql": floor,
            "times_sql": times_sql,
            "times_own_sql_p50": times_own_sql,
            "meets_targets": meets,
            "lookup_parts_median_ms": parts,
            "statements": max(profile.statements for profile in run.profiles),
            "plan": run.plan,
            "listed_percent": listed,
            "too_many_percent": too_many,
        }
        rows.append(
            [
                form.value,
                *whole.values(),
                *floor.values(),
                times_sql["p50"],
                times_sql["p95"],
                times_own_sql,
                "met" if meets else "missed",
                forms[form.value]["statements"],
                *parts.values(),
                ", ".join(indexes),
                listed,
                too_many,
            ]
        )
    result = {
        "benchmark": "lookup",
        "children": args.children,
        "database": name,
        "searches_per_form": args.searches,
        "seed": args.seed,
        "targets": {"p95_ms": TARGET_P95_MS, "times_sql_p95": TARGET_TIMES_SQL},
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "forms": forms,
        "machine": machine(url),
    }
    columns = [
        "search form",
        "lookup p50 ms",
        "p95",
        "p99",
        "SQL p50 ms",
        "p95",
        "p99",
        "x SQL p50",
        "x SQL p95",
        "x own SQL p50",
        f"p95 < {TARGET_P95_MS:g} ms, <= {TARGET_TIMES_SQL:g}x",
        "statements",
        "in them ms",
        "commit ms",
        "rest ms",
        "indexes",
        "listed %",
        "too many %",
    ]
    title = (
        f"Lookup, warm: {args.searches:,} searches per form, {args.children:,} children "
        f"({name}); load average {load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after.\n"
        f"A lookup's statements (besides COMMIT), and the median ms in them, in the commit "
        f"and in the rest (Python), over {WARM_UP_LOOKUPS} lookups taken apart.\n"
    )
    emit(title, columns, rows, result, as_json=args.json)


def _parts(profiles: Sequence[LookupProfile]) -> dict[str, float]:
    """Median milliseconds of a lookup in its statements, its commit, and the rest."""
    return {
        "statements": 1000 * statistics.median(p.statement_seconds for p in profiles),
        "commit": 1000 * statistics.median(p.commit_seconds for p in profiles),
        "rest": 1000
        * statistics.median(
            p.total_seconds - p.statement_seconds - p.commit_seconds for p in profiles
        ),
    }


def _indexes(plan_lines: Sequence[str]) -> list[str]:
    """The indexes a plan reads, and any table it reads whole."""
    found: list[str] = []
    for line in plan_lines:
        for scanned in re.findall(r"(?:using (\w+))|(?:Seq Scan on (\w+))", line):
            name = scanned[0] or f"SEQ SCAN {scanned[1]}"
            if name not in found:
                found.append(name)
    return found


if __name__ == "__main__":
    main()
