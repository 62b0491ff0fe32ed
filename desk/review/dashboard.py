"""The desk at a glance, today or over the last 30 days: what supervisors' charts are drawn from.

Buckets are made in Python from one row a call, because hours are the desk's local hours and
SQLite cannot convert time zones; at a national desk's volume a nightly roll-up table would take
this module's place.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median, quantiles
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from desk.console.models import Handling
from desk.core.extensions import db
from desk.review import charts
from desk.review.flags import RULES
from desk.review.listing import period_bounds, staff_names
from desk.review.models import Flag, Review
from desk.review.timeline import duration, outcome_label
from ivr.models import Call, CallStatus

PERIODS = {"today": ("Today", 1), "30-days": ("Last 30 days", 30)}
Buckets = tuple[tuple[int | None, str], ...]
WAIT_BUCKETS: Buckets = (
    (30, "under 30 s"),
    (60, "30 s to 1 min"),
    (120, "1 to 2 min"),
    (300, "2 to 5 min"),
    (600, "5 to 10 min"),
    (None, "10 min +"),
)
HANDLE_BUCKETS: Buckets = (
    (120, "under 2 min"),
    (300, "2 to 5 min"),
    (600, "5 to 10 min"),
    (1200, "10 to 20 min"),
    (1800, "20 to 30 min"),
    (None, "30 min +"),
)
# What became of calls no operator took, by the call's final status.
UNTAKEN = {
    CallStatus.ABANDONED: "Hung up before an operator took it",
    CallStatus.ENDED: "Ended in the IVR",
    CallStatus.QUEUED: "Waiting in the queue now",
    CallStatus.IN_IVR: "In the keypad menu now",
    CallStatus.COMPLETED: "Completed without an operator",
    CallStatus.CONNECTED: "Connected",
}


@dataclass(frozen=True)
class Tile:
    label: str
    value: str


@dataclass(frozen=True)
class Dashboard:
    """One period's numbers and charts."""

    period: str
    title: str
    first: date
    last: date
    tiles: tuple[Tile, ...]
    charts: tuple[charts.Chart, ...]


@dataclass
class Tally:
    """The period's calls, counted every way the charts need."""

    calls: int = 0
    by_hour: Counter[int] = field(default_factory=Counter)
    by_day: Counter[date] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    by_operator: Counter[int] = field(default_factory=Counter)
    waits: list[int] = field(default_factory=list)
    handles: list[int] = field(default_factory=list)

    @property
    def taken(self) -> int:
        return sum(self.by_operator.values())


def tally(start: datetime, end: datetime, zone: str) -> Tally:
    """Count the calls that arrived between two instants."""
    tz, counted = ZoneInfo(zone), Tally()
    for (
        started_at,
        status,
        queued_at,
        operator_id,
        taken_at,
        wrapped_up_at,
        wrap_up,
    ) in db.session.execute(
        select(
            Call.started_at,
            Call.status,
            Call.queued_at,
            Handling.operator_id,
            Handling.taken_at,
            Handling.wrapped_up_at,
            Handling.wrap_up,
        )
        .outerjoin(Handling, Handling.call_id == Call.id)
        .where(Call.started_at >= start, Call.started_at < end)
    ).all():
        local = started_at.astimezone(tz)
        counted.calls += 1
        counted.by_hour[local.hour] += 1
        counted.by_day[local.date()] += 1
        if operator_id is None:
            counted.outcomes[UNTAKEN.get(status, str(status))] += 1
            continue
        counted.outcomes[outcome_label(wrap_up)] += 1
        counted.by_operator[operator_id] += 1
        if queued_at is not None:
            counted.waits.append(int((taken_at - queued_at).total_seconds()))
        if wrapped_up_at is not None:
            counted.handles.append(int((wrapped_up_at - taken_at).total_seconds()))
    return counted


def flag_counts(start: datetime, end: datetime) -> dict[str, int]:
    """How many calls that arrived between two instants each rule flagged."""
    return dict(
        db.session.execute(
            select(Flag.rule, func.count())
            .join(Review, Review.id == Flag.review_id)
            .join(Call, Call.id == Review.call_id)
            .where(Call.started_at >= start, Call.started_at < end)
            .group_by(Flag.rule)
        ).all()
    )


def awaiting_sign_off(start: datetime, end: datetime) -> int:
    """Flagged calls from between two instants that nobody has signed off."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Review)
            .join(Call, Call.id == Review.call_id)
            .where(Call.started_at >= start, Call.started_at < end)
            .where(Review.flag_count > 0, Review.signed_off_at.is_(None))
        )
        or 0
    )


def _bucket(seconds: list[int], buckets: Buckets) -> list[tuple[str, int]]:
    counts = Counter(
        next(label for limit, label in buckets if limit is None or s < limit) for s in seconds
    )
    return [(label, counts[label]) for _, label in buckets]


def typical(seconds: list[int]) -> str:
    """The median and 90th percentile, in words."""
    if not seconds:
        return "No calls."
    # Inclusive: with few calls, the exclusive method guesses past the longest one.
    p90 = quantiles(seconds, n=10, method="inclusive")[-1] if len(seconds) > 1 else seconds[0]
    return f"Median {duration(int(median(seconds)))}; 9 in 10 within {duration(int(p90))}."


def _charts(counted: Tally, flags: dict[str, int], first: date, days: int) -> list[charts.Chart]:
    hours = counted.by_hour
    busiest = max(range(24), key=lambda h: hours[h])
    built = [
        charts.columns(
            "per-hour",
            "Calls by hour of arrival",
            f"{_calls(counted.calls)}; busiest hour {busiest:02d}:00 with {hours[busiest]}."
            if counted.calls
            else "No calls.",
            [(f"{h:02d}", hours[h]) for h in range(24)],
            label_every=3,
        )
    ]
    if days > 1:
        dates = [first + timedelta(days=n) for n in range(days)]
        built.append(
            charts.columns(
                "per-day",
                "Calls a day",
                f"{_calls(counted.calls)} over {days} days.",
                [(f"{d:%d %b}", counted.by_day[d]) for d in dates],
                label_every=7,
            )
        )
    names = staff_names(set(counted.by_operator))
    load = sorted(((names.get(i, "?"), n) for i, n in counted.by_operator.items()), key=_most)
    return [
        *built,
        charts.columns(
            "waits", "Queue waits", typical(counted.waits), _bucket(counted.waits, WAIT_BUCKETS)
        ),
        charts.columns(
            "handles",
            "Handling times, taken to wrap-up",
            typical(counted.handles),
            _bucket(counted.handles, HANDLE_BUCKETS),
        ),
        charts.rows(
            "outcomes",
            "Outcomes",
            f"{_calls(counted.calls)}, {counted.taken} taken by an operator.",
            counted.outcomes.most_common(),
        ),
        charts.rows(
            "operators",
            "Calls taken per operator",
            f"{len(load)} operator{'' if len(load) == 1 else 's'} took {_calls(counted.taken)}.",
            load,
        ),
        charts.rows(
            "flags",
            "Flags raised",
            f"{sum(flags.values())} on calls wrapped up so far; a call may have several.",
            [(rule.label, flags.get(rule.name, 0)) for rule in RULES],
            unit="flags",
        ),
    ]


def _calls(count: int) -> str:
    return f"{count} call" if count == 1 else f"{count} calls"


def _most(row: tuple[str, int]) -> tuple[int, str]:
    return (-row[1], row[0])


def dashboard(period: str, today: date, zone: str) -> Dashboard:
    """The dashboard of `period` (a key of PERIODS) ending on `today`, a local date."""
    title, days = PERIODS[period]
    first = today - timedelta(days=days - 1)
    start, end = period_bounds(first, today, zone)
    assert start is not None and end is not None
    counted = tally(start, end, zone)
    tiles = (
        Tile("Calls", str(counted.calls)),
        Tile("Taken by an operator", str(counted.taken)),
        Tile("Median wait", duration(int(median(counted.waits))) if counted.waits else "—"),
        Tile("Median handling", duration(int(median(counted.handles))) if counted.handles else "—"),
        Tile("Flagged, not signed off", str(awaiting_sign_off(start, end))),
    )
    built = _charts(counted, flag_counts(start, end), first, days)
    return Dashboard(period, title, first, today, tiles, tuple(built))


def local_today(now: datetime, zone: str) -> date:
    """Today's date at the desk."""
    return now.astimezone(ZoneInfo(zone)).date()
