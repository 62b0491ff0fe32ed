"""The review list: mediated calls, filtered and newest first, a page at a time."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from desk.console.models import Handling, Search
from desk.core.extensions import db
from desk.review.models import Flag, Review
from desk.staff.models import Staff
from ivr.models import Call

IN_PROGRESS = "in_progress"
PAGE_SIZE = 25


def period_bounds(
    first: date | None, last: date | None, zone: str
) -> tuple[datetime | None, datetime | None]:
    """UTC instants from the local start of `first` to the local end of `last` (either open)."""
    tz = ZoneInfo(zone)
    start = datetime.combine(first, time(), tz) if first else None
    end = datetime.combine(last + timedelta(days=1), time(), tz) if last else None
    return start, end


@dataclass(frozen=True)
class Filters:
    """What the supervisor narrowed the list to."""

    date_from: date | None = None
    date_to: date | None = None
    operator_id: int | None = None
    practitioner_id: str | None = None
    outcome: str | None = None  # a wrap-up code, or IN_PROGRESS
    is_flagged_only: bool = False
    is_unreviewed_only: bool = False
    rule: str | None = None  # one flag rule only


def mediated(filters: Filters, zone: str) -> Select[Call, Handling, Review]:
    """Calls an operator took, with their review if assessed, filtered, newest first."""
    query = (
        select(Call, Handling, Review)
        .join(Handling, Handling.call_id == Call.id)
        .outerjoin(Review, Review.call_id == Call.id)
    )
    start, end = period_bounds(filters.date_from, filters.date_to, zone)
    if start is not None:
        query = query.where(Call.started_at >= start)
    if end is not None:
        query = query.where(Call.started_at < end)
    if filters.operator_id is not None:
        query = query.where(Handling.operator_id == filters.operator_id)
    if filters.practitioner_id:
        query = query.where(Call.practitioner_id == filters.practitioner_id)
    if filters.outcome == IN_PROGRESS:
        query = query.where(Handling.wrapped_up_at.is_(None))
    elif filters.outcome:
        query = query.where(Handling.wrap_up == filters.outcome)
    if filters.is_flagged_only:
        query = query.where(Review.flag_count > 0)
    if filters.rule:
        query = query.where(
            select(Flag.id).where(Flag.review_id == Review.id, Flag.rule == filters.rule).exists()
        )
    if filters.is_unreviewed_only:
        query = query.where(Review.signed_off_at.is_(None))
    return query.order_by(Call.started_at.desc(), Call.id.desc())


@dataclass(frozen=True)
class Row:
    """One call in the review list."""

    call: Call
    handling: Handling
    review: Review | None
    operator: str
    searches: int


@dataclass(frozen=True)
class Page:
    """One page of the review list."""

    rows: list[Row]
    number: int
    total: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_of(filters: Filters, number: int, zone: str, size: int = PAGE_SIZE) -> Page:
    """The `number`th page (from 1) of the calls the filters leave."""
    query = mediated(filters, zone)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    number = min(max(number, 1), max(1, -(-total // size)))
    found = db.session.execute(
        query.options(
            selectinload(Call.practitioner),
            selectinload(Review.flags),
            selectinload(Review.signed_off_by),
        )
        .limit(size)
        .offset((number - 1) * size)
    ).all()
    triples = list(found)
    handling_ids = [handling.id for _, handling, _ in triples]
    searches = dict(
        db.session.execute(
            select(Search.handling_id, func.count())
            .where(Search.handling_id.in_(handling_ids))
            .group_by(Search.handling_id)
        ).all()
    )
    names = staff_names({handling.operator_id for _, handling, _ in triples})
    rows = [
        Row(call, h, review, names.get(h.operator_id, "?"), searches.get(h.id, 0))
        for call, h, review in triples
    ]
    return Page(rows, number, total, size)


def staff_names(ids: set[int]) -> dict[int, str]:
    """Staff names by id, for showing who did what."""
    if not ids:
        return {}
    return dict(db.session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(ids))).all())


def operators_who_took_calls() -> list[Staff]:
    """Everyone who has taken a call, by name: the list's operator filter."""
    taken = select(Handling.operator_id).distinct()
    return list(db.session.scalars(select(Staff).where(Staff.id.in_(taken)).order_by(Staff.name)))


def mediated_call(public_id: str) -> tuple[Call, Handling] | None:
    """The call the review pages name, if an operator took it."""
    found = db.session.execute(
        select(Call, Handling)
        .join(Handling, Handling.call_id == Call.id)
        .where(Call.public_id == public_id)
    ).first()
    if found is None:
        return None
    call, handling = found
    return call, handling
