"""Searching the index for a caller and reading back what the rules allow, every step audited."""

from dataclasses import asdict, dataclass
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple, cast

import psycopg
from flask import current_app
from sqlalchemy import (
    ARRAY,
    Connection,
    Insert,
    Integer,
    ScalarSelect,
    Select,
    String,
    bindparam,
    column,
    func,
    insert,
    select,
    true,
)

from desk.console import rechecking
from desk.console.handling import audit_call, call_subjects
from desk.console.models import BrokeredRequest, Handling, Match, ReadBack, Search, new_token
from desk.core.audit.events import Event
from desk.core.audit.service import APPEND, append_parameters, appending
from desk.core.extensions import db
from desk.core.refusals import AuditedRefusal, Refused
from desk.records import disclosure
from desk.records.disclosure import Disclosure, RecordArchived
from desk.records.models import Child, today_in_england
from desk.records.search import (
    MAX_MATCHES,
    Criteria,
    SearchRefused,
    Shape,
    form_of,
    found_rows,
    in_order,
    search_values,
    shape_of,
)
from desk.staff.models import Staff
from ivr import line
from ivr.models import FINISHED


class Stored(NamedTuple):
    """A search's columns as a lookup stores them, each sent as the bound parameter of its name."""

    handling_id: int
    form: str
    match_count: int
    is_too_many: bool
    searched_at: datetime


@dataclass(frozen=True)
class OpenRecord:
    """A child's record as the operator may see it within this call."""

    match: Match
    child: Child
    disclosure: Disclosure
    read_keys: frozenset[str]


def _require_live_call(handling: Handling) -> None:
    if not handling.may_search:
        raise Refused("Confirm the caller's identity and record the purpose before searching.")
    if handling.call.status in FINISHED:
        raise Refused("The caller has hung up: wrap up the call.")
    line.refuse_if_hung_up(handling.call)


@cache
def _searches_made() -> ScalarSelect[int]:
    # Counted, not loaded: the earlier searches themselves are not needed to make the next one.
    # The call's handling is the bound parameter `handling_id`.
    made = (
        select(func.count())
        .select_from(Search)
        .where(Search.handling_id == bindparam("handling_id"))
    )
    return made.scalar_subquery()


def _searches_so_far(handling: Handling) -> int:
    return db.session.scalar(select(_searches_made()), {"handling_id": handling.id}) or 0


@cache
def _counted_and_found(shape: Shape) -> Select[Any]:
    """The call's searches counted (a CTE) and the index searched (joined laterally), in one
    statement; built once a shape, as building it costs more CPU than the database's work."""
    made = select(_searches_made().label("made")).cte("made")
    found = found_rows(shape).lateral("found")
    return select(made.c.made, *found.c).select_from(made).outerjoin(found, true())


def _refuse_if_at_limit(made: int) -> None:
    if made >= current_app.config["DESK_SEARCHES_PER_CALL"]:
        raise Refused("This call has reached its limit of searches: wrap it up.")


def search_index(operator: Staff, handling: Handling, criteria: Criteria, now: datetime) -> None:
    """Search the index on the caller's behalf; every matched child is audited. Committed.

    Two round trips, whatever the form: the call's searches counted and the index searched in
    one statement; then the audit row appended, the search and its matches stored in a second,
    with the commit sent behind it unawaited (PostgreSQL). Nothing is shown before the commit
    returns, so nothing is shown that was not durably recorded.
    """
    _require_live_call(handling)
    asked = {name: str(value) for name, value in asdict(criteria).items() if value}
    today = today_in_england()
    try:
        form = form_of(criteria, today)
    except SearchRefused as refusal:
        # The limit is told before the criteria's faults, as it always was.
        _refuse_if_at_limit(_searches_so_far(handling))
        raise AuditedRefusal(
            str(refusal),
            Event.SEARCH_REFUSED,
            field=refusal.field,
            **call_subjects(operator, handling.call),
            data={"criteria": asked, "reason": str(refusal)},
        ) from refusal
    # The caller's own changes first, as the audit log's `record` does before its lock.
    db.session.flush()
    connection = db.session.connection()
    shape = shape_of(form, criteria)
    values = search_values(shape, criteria, today)
    if connection.dialect.name == "postgresql":
        counted = _counted_and_found(shape)
        rows = connection.execute(counted, {"handling_id": handling.id, **values}).all()
        made_count = rows[0].made
    else:
        # SQLite, for the demo, has no LATERAL: the count, then the search.
        made_count = _searches_so_far(handling)
        rows = list(connection.execute(found_rows(shape), values).all())
    _refuse_if_at_limit(made_count)
    children = in_order(criteria, [row for row in rows if row.id is not None])
    is_too_many = len(children) > MAX_MATCHES
    matches = [] if is_too_many else children
    audited = dict(
        **call_subjects(operator, handling.call),
        data={
            "form": form.value,
            "criteria": asked,
            "match_count": len(matches),
            "is_too_many": is_too_many,
            "matched": [child.contactpoint_id for child in matches],
        },
    )
    stored = Stored(
        handling_id=handling.id,
        form=form.value,
        match_count=len(matches),
        is_too_many=is_too_many,
        searched_at=now,
    )._asdict()
    child_ids = [child.id for child in matches]
    if connection.dialect.name == "postgresql":
        _store_in_one_statement(connection, audited, stored, child_ids)
    else:
        # SQLite, for the demo: no data-modifying CTE, so one statement after another.
        audit_call(Event.SEARCH_MADE, operator, handling.call, **audited["data"])
        search_id = connection.execute(insert(Search).returning(Search.id), stored).scalar_one()
        for child_id in child_ids:
            connection.execute(
                insert(Match), {"search_id": search_id, "child_id": child_id, "token": new_token()}
            )
        db.session.commit()


def _store_in_one_statement(
    connection: Connection, audited: dict[str, Any], stored: dict[str, Any], child_ids: list[int]
) -> None:
    """Append the audit row, then store the search and its matches, in one statement; commit."""
    parameters = {
        **append_parameters(Event.SEARCH_MADE, **audited),
        **stored,
        "tokens": [new_token() for _ in child_ids],
        "child_ids": child_ids,
    }
    # The COMMIT goes in the same pipeline, not awaited before it is sent: one round trip. If
    # the statement fails, the pipeline is aborted, the COMMIT rolls back and psycopg raises the
    # error: the request fails, and nothing is shown. It is the driver's COMMIT, and the
    # session's commit comes after the pipeline has ended, with nothing left to send: inside
    # it, the session would give the connection back to the pool still in pipeline mode, for
    # another thread to take before it left it. A session inside a savepoint (a test's) has
    # no COMMIT to send, and releases its savepoint itself.
    driver = cast("psycopg.Connection[Any]", connection.connection.driver_connection)
    # Counted and logged as `record` would have (its time includes the pipelined commit).
    with appending(Event.SEARCH_MADE):
        with driver.pipeline():
            connection.execute(_stored_after_appended(), parameters)
            if not connection.in_nested_transaction():
                driver.commit()
        db.session.commit()


@cache
def _stored_after_appended() -> Insert:
    """The statement `_store_in_one_statement` sends, built once: its values are all bound.

    The search's INSERT reads the appended row's id, so the audit row is appended before the
    search is stored (a CTE that is not read might not run at all).
    """
    appended = APPEND.columns(column("appended_id", Integer)).cte("appended")
    searches = Search.__table__.c
    made = (
        insert(Search)
        .from_select(
            list(Stored._fields),
            select(*(bindparam(name, type_=searches[name].type) for name in Stored._fields)).where(
                appended.c.appended_id.is_not(None)
            ),
        )
        .returning(Search.id)
        .cte("made")
    )
    listed = func.unnest(
        bindparam("tokens", type_=ARRAY(String)), bindparam("child_ids", type_=ARRAY(Integer))
    ).table_valued("token", "child_id", with_ordinality="listed_at")
    listed = listed.render_derived("listed")
    return insert(Match).from_select(
        ["token", "search_id", "child_id"],
        select(listed.c.token, made.c.id, listed.c.child_id)
        .select_from(made)
        .join(listed, true())
        .order_by(listed.c.listed_at),
    )


def _own_match(handling: Handling, token: str) -> Match:
    """A match from this call's own results; anything else is refused the same way."""
    match = db.session.scalar(
        select(Match).join(Search).where(Match.token == token, Search.handling_id == handling.id)
    )
    if match is None:
        raise Refused("That record is not among this call's search results.")
    return match


def open_record(operator: Staff, handling: Handling, token: str, now: datetime) -> OpenRecord:
    """Show a matched child's record as the rules allow, audited each time it is shown."""
    _require_live_call(handling)
    match = _own_match(handling, token)
    if match.opened_at is None:
        opened = db.session.scalar(
            select(func.count())
            .select_from(Match)
            .join(Search)
            .where(Search.handling_id == handling.id, Match.opened_at.is_not(None))
        )
        if (opened or 0) >= current_app.config["DESK_RECORDS_PER_CALL"]:
            raise Refused("This call has reached its limit of records opened: wrap it up.")
    child = db.session.get(Child, match.child_id) if match.child_id is not None else None
    try:
        if child is None:
            raise RecordArchived("purged")
        shown = disclosure.disclosable(child)
    except RecordArchived as error:
        raise Refused("That record is no longer available.") from error
    if match.opened_at is None:
        rechecking.refuse_unless_rechecked(handling, shown.is_shielded, now)
    audit_call(
        Event.RECORD_OPENED,
        operator,
        handling.call,
        contactpoint_id=child.contactpoint_id,
        is_shielded=shown.is_shielded,
        has_hidden_services=shown.has_hidden_services,
    )
    match.opened_at = match.opened_at or now
    read = frozenset(
        db.session.scalars(select(ReadBack.item_key).where(ReadBack.match_id == match.id))
    )
    return OpenRecord(match, child, shown, read)


def read_back(operator: Staff, handling: Handling, token: str, item_key: str, now: datetime) -> str:
    """Record that an item was read to the caller; only items the rules allow, audit first."""
    opened = open_record(operator, handling, token, now)
    item = disclosure.find_item(opened.disclosure, item_key)
    if item is None:
        raise Refused("That item may not be read back (the record may have changed): look again.")
    audit_call(
        Event.RECORD_READ_BACK,
        operator,
        handling.call,
        contactpoint_id=opened.child.contactpoint_id,
        item=item.key,
        category=item.category,
    )
    if item.key not in opened.read_keys:
        db.session.add(ReadBack(match_id=opened.match.id, item_key=item.key, read_at=now))
    return item.label


def brokered_request(match: Match) -> BrokeredRequest | None:
    """The brokered request already made for this match, if there is one."""
    return db.session.scalar(
        select(BrokeredRequest).where(BrokeredRequest.match_id == match.id).limit(1)
    )


def request_brokered_contact(
    operator: Staff, handling: Handling, token: str, reason: str, now: datetime
) -> None:
    """Ask the local authority's ContactPoint team to put the caller in touch, once a child."""
    opened = open_record(operator, handling, token, now)
    # The match locked, so that two presses (or two tabs) at once make one request, not two.
    db.session.execute(select(Match.id).where(Match.id == opened.match.id).with_for_update())
    if brokered_request(opened.match) is not None:
        raise Refused("Brokered contact has already been requested for this child.")
    if not (opened.disclosure.is_shielded or opened.disclosure.has_hidden_services):
        raise Refused("This record's contacts may be read back directly.")
    if not reason.strip():
        raise Refused("Say why the caller needs to be put in touch.")
    audit_call(
        Event.RECORD_BROKERED_CONTACT_REQUESTED,
        operator,
        handling.call,
        contactpoint_id=opened.child.contactpoint_id,
    )
    db.session.add(
        BrokeredRequest(
            match_id=opened.match.id,
            reason=reason.strip(),
            requested_at=now,
            # Whose ContactPoint team works it (desk.authority): the child's authority.
            local_authority=opened.child.local_authority,
        )
    )
