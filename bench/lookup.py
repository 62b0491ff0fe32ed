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
  parameters: the floor under the lookup.

The forms take turns, search by search, so that a busy moment on the machine falls on all three.
"""

import argparse
import os
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from flask import current_app
from sqlalchemy import event
from sqlalchemy.engine import make_url

from bench import calls
from bench.children import Query, Statement, load_children, note, sample_queries
from bench.database import bench_app
from bench.report import emit, machine, percentiles
from desk.console import handling as handlings
from desk.console import lookup
from desk.console.models import Handling
from desk.extensions import db
from desk.records.search import Criteria, SearchForm, search
from desk.staff.models import Staff
from desk.types import utcnow

# What the desk is judged against at 11 million children, warm, for every search form.
TARGET_P95_MS = 10.0
TARGET_TIMES_SQL = 3.0
# Whole lookups made before timing, per form, so that the audit log and the call's tables are
# warm too, not only the children's.
WARM_UP_LOOKUPS = 20


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
        queries = {form: sample_queries(form, args.searches, rng) for form in SearchForm}
        with psycopg.connect(_driver_url(url), autocommit=True) as raw:
            desk = Desk(*calls.bench_staff())
            statements = warm_up(queries, desk, raw)
            timings = measure(queries, desk, raw)
            desk.finish()
        db.session.remove()
        db.engine.dispose()
    _report(args, name, url, queries, timings, statements, load_before)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.lookup", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--children", type=_at_least(1), default=1_000_000, help="children in the index"
    )
    parser.add_argument(
        "--searches", type=_at_least(2), default=500, help="timed searches per search form"
    )
    parser.add_argument("--database", help="benchmark database (default desk_bench_lookup_<N>)")
    parser.add_argument("--seed", type=int, default=0, help="children and searches drawn")
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


class Desk:
    """The benchmark's operator, searching inside calls taken one after another."""

    def __init__(self, operator_id: int, practitioner_id: str) -> None:
        self.operator_id, self.practitioner_id = operator_id, practitioner_id
        self.public_id: str | None = None
        self.searches_left = 0

    def _operator(self) -> Staff:
        operator = db.session.get(Staff, self.operator_id)
        assert operator is not None
        return operator

    def lookup_seconds(self, criteria: Criteria) -> float:
        """How long the search service and the commit take for these criteria."""
        operator, held = self._request()
        started = time.perf_counter()
        lookup.search_index(operator, held, criteria, utcnow())
        db.session.commit()
        return time.perf_counter() - started

    def lookup_statements(self, criteria: Criteria) -> int:
        """How many SQL statements the search service sends for these criteria, besides COMMIT."""
        operator, held = self._request()
        with statements_sent() as sent:
            lookup.search_index(operator, held, criteria, utcnow())
        db.session.commit()
        return len(sent)

    def _request(self) -> tuple[Staff, Handling]:
        """The operator and their call, as the console's search request has them at the service.

        That is: a session of its own, the operator signed in, their call loaded.
        """
        if self.searches_left == 0:
            self.finish()
            self.public_id = calls.ready_call(self._operator(), self.practitioner_id)
            self.searches_left = current_app.config["DESK_SEARCHES_PER_CALL"]
        self.searches_left -= 1
        db.session.close()
        operator = self._operator()
        return operator, handlings.active_handling(operator, self.public_id or "")

    def finish(self) -> None:
        """Wrap up the call in hand, if any."""
        if self.public_id is not None:
            calls.wrap_up(self._operator(), self.public_id)
            self.public_id = None


@contextmanager
def statements_sent() -> Iterator[list[Statement]]:
    """The SQL statements sent meanwhile, with their parameters, as the driver is given them."""
    sent: list[Statement] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)


def sql_seconds(raw: psycopg.Connection[Any], statements: Sequence[Statement]) -> float:
    """How long the statements take sent straight through psycopg, rows fetched."""
    with raw.cursor() as cursor:
        started = time.perf_counter()
        for sql, parameters in statements:
            cursor.execute(sql, parameters)
            cursor.fetchall()
        return time.perf_counter() - started


def warm_up(
    queries: dict[SearchForm, list[Query]], desk: Desk, raw: psycopg.Connection[Any]
) -> dict[SearchForm, int]:
    """Run every query once, noting its SQL and results; then some whole lookups of each form.

    Returns the most statements a lookup of each form sent.
    """
    note("Warming up...")
    statements = {}
    for form, form_queries in queries.items():
        for query in form_queries:
            with statements_sent() as sent:
                result = search(query.criteria)
            query.statements = list(sent)
            query.is_too_many = result.is_too_many
            query.is_listed = any(child.id == query.child_id for child in result.matches)
            db.session.rollback()
            sql_seconds(raw, query.statements)
        counts = [desk.lookup_statements(q.criteria) for q in form_queries[:WARM_UP_LOOKUPS]]
        statements[form] = max(counts)
    return statements


def measure(
    queries: dict[SearchForm, list[Query]], desk: Desk, raw: psycopg.Connection[Any]
) -> dict[SearchForm, tuple[list[float], list[float]]]:
    """Each query timed as a whole lookup and as its bare SQL, the forms taking turns."""
    timings: dict[SearchForm, tuple[list[float], list[float]]] = {f: ([], []) for f in queries}
    rounds = max(len(q) for q in queries.values())
    for n in range(rounds):
        for form, form_queries in queries.items():
            if n < len(form_queries):
                lookups, sqls = timings[form]
                lookups.append(desk.lookup_seconds(form_queries[n].criteria))
                sqls.append(sql_seconds(raw, form_queries[n].statements))
        if (n + 1) % 100 == 0:
            note(f"Measured {n + 1:,} of {rounds:,} searches per form")
    return timings


def _report(
    args: argparse.Namespace,
    name: str,
    url: str,
    queries: dict[SearchForm, list[Query]],
    timings: dict[SearchForm, tuple[list[float], list[float]]],
    statements: dict[SearchForm, int],
    load_before: tuple[float, float, float],
) -> None:
    forms: dict[str, Any] = {}
    rows = []
    for form, (lookups, sqls) in timings.items():
        whole, floor = percentiles(lookups), percentiles(sqls)
        times_sql = {cut: whole[f"{cut}_ms"] / floor[f"{cut}_ms"] for cut in ("p50", "p95", "p99")}
        meets = whole["p95_ms"] < TARGET_P95_MS and times_sql["p95"] <= TARGET_TIMES_SQL
        form_queries = queries[form]
        listed = 100 * sum(q.is_listed for q in form_queries) / len(form_queries)
        too_many = 100 * sum(q.is_too_many for q in form_queries) / len(form_queries)
        forms[form.value] = {
            "searches": len(lookups),
            "lookup": whole,
            "sql": floor,
            "times_sql": times_sql,
            "statements": statements[form],
            "listed_percent": listed,
            "too_many_percent": too_many,
            "meets_targets": meets,
        }
        rows.append(
            [
                form.value,
                *whole.values(),
                *floor.values(),
                times_sql["p50"],
                times_sql["p95"],
                statements[form],
                listed,
                too_many,
                "met" if meets else "missed",
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
        "statements",
        "listed %",
        "too many %",
        f"p95 < {TARGET_P95_MS:g} ms, <= {TARGET_TIMES_SQL:g}x",
    ]
    title = (
        f"Lookup, warm: {args.searches:,} searches per form, {args.children:,} children "
        f"({name}); load average {load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after\n"
    )
    emit(title, columns, rows, result, as_json=args.json)


if __name__ == "__main__":
    main()
