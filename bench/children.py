"""The benchmark's children: loaded once by the desk's own command, then drawn to search for.

Each child drawn is searched for as a caller would ask for them, in one of the allowed forms.
"""

import os
import random
import subprocess  # nosec B404 - runs this checkout's own `flask records generate`
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from desk.core.extensions import db
from desk.records.models import Child, latest_adult_birth_date, today_in_england
from desk.records.names import first_given_name
from desk.records.search import Criteria, SearchMethod

ROOT = Path(__file__).resolve().parents[1]

Statement = tuple[str, Any]


@dataclass
class Query:
    """One search for a child in the index, as a caller would ask it, and the SQL it sends."""

    criteria: Criteria
    child_id: int
    statements: Sequence[Statement] = ()  # the search's own
    own_statements: Sequence[Statement] = ()  # every one a whole lookup sent
    is_listed: bool = False  # the child is among the results
    is_too_many: bool = False


def load_children(name: str, url: str, count: int, seed: int) -> None:
    """Load `count` synthetic children unless the database holds them already; ANALYZE."""
    held = db.session.scalar(select(func.count()).select_from(Child))
    db.session.rollback()
    if held == count:
        note(f"{name} holds {count:,} children already: reusing them.")
    elif held:
        raise SystemExit(
            f"{name} holds {held:,} children, not {count:,}: "
            "give --fresh to load it anew, or another --database."
        )
    else:
        note(f"Loading {count:,} children into {name}, once: later runs reuse them.")
        # A development desk, as bench.load runs its import: it needs no keys, Redis or Twilio,
        # none of which loading children uses.
        environment = {**os.environ, "DESK_ENV": "development", "DATABASE_URL": url}
        command = [sys.executable, "-m", "flask", "--app", "wsgi", "records", "generate"]
        command += ["--count", str(count), "--seed", str(seed)]
        try:
            # Its progress goes to stderr, so that --json leaves stdout to the JSON alone.
            subprocess.run(command, cwd=ROOT, env=environment, stdout=sys.stderr, check=True)  # noqa: S603  # nosec B603
        except subprocess.CalledProcessError as error:
            raise SystemExit(f"Loading the children failed ({error}): see above.") from error
        loaded = db.session.scalar(select(func.count()).select_from(Child))
        db.session.rollback()
        if loaded != count:
            raise SystemExit(f"{name} holds {loaded:,} children after loading {count:,}")
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if held != count:
            # As autovacuum would soon after a load: hint bits set, visibility map built.
            note("VACUUM ANALYZE after loading...")
            connection.execute(text("VACUUM (ANALYZE) children, child_names, contacts"))
        connection.execute(text("ANALYZE"))


def sample_queries(form: SearchMethod, count: int, rng: random.Random) -> list[Query]:
    """`count` searches of this form, each for a different live child drawn at random."""
    children = _live_children(count, rng, is_for_postcode=form is SearchMethod.NAME_AND_POSTCODE)
    return [Query(_criteria(form, child), child.id) for child in children]


def _live_children(count: int, rng: random.Random, *, is_for_postcode: bool) -> list[Child]:
    lowest, highest = db.session.execute(select(func.min(Child.id), func.max(Child.id))).one()
    findable = [
        Child.archived_at.is_(None),
        Child.date_of_birth > latest_adult_birth_date(today_in_england()),
    ]
    if is_for_postcode:
        # A postcode search never finds a shielded child.
        findable += [Child.is_shielded.is_(False), Child.postcode_compact.is_not(None)]
    chosen: dict[int, Child] = {}
    for _ in range(20):
        drawn = [rng.randint(lowest, highest) for _ in range(2 * count)]
        found = {
            c.id: c for c in db.session.scalars(select(Child).where(Child.id.in_(drawn), *findable))
        }
        for child_id in drawn:
            if len(chosen) < count and child_id in found:
                chosen.setdefault(child_id, found[child_id])
        if len(chosen) == count:
            break
    if len(chosen) < count:
        raise SystemExit(f"Only {len(chosen)} children to search for; ask for fewer --searches.")
    return list(chosen.values())


def _criteria(form: SearchMethod, child: Child) -> Criteria:
    if form is SearchMethod.CONTACTPOINT_NUMBER:
        return Criteria(contactpoint_number=child.contactpoint_id)
    if form is SearchMethod.NAME_AND_DATE_OF_BIRTH:
        return Criteria(family_name=child.family_name, date_of_birth=child.date_of_birth)
    return Criteria(
        family_name=child.family_name,
        given_name=first_given_name(child.given_names),
        postcode=child.postcode or "",
    )


def note(message: str) -> None:
    """Tell the person running the benchmark what it is doing, on stderr."""
    print(message, file=sys.stderr, flush=True)
