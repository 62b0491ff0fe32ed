"""Searching the index for a caller and reading back what the rules allow, every step audited."""

from dataclasses import asdict, dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from desk.console.handling import audit_call, call_subjects
from desk.console.models import BrokeredRequest, Handling, Match, ReadBack, Search
from desk.core.audit.events import Event
from desk.core.extensions import db
from desk.core.refusals import AuditedRefusal, Refused
from desk.records import disclosure
from desk.records.disclosure import Disclosure, RecordArchived
from desk.records.models import Child
from desk.records.search import Criteria, SearchRefused, search
from desk.staff.models import Staff
from ivr.models import FINISHED


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
    if handling.call.status in FINISHED or handling.call.ended_at is not None:
        raise Refused("The caller has hung up: wrap up the call.")


def _searches_made(handling: Handling) -> int:
    # Counted, not loaded: the earlier searches themselves are not needed to make the next one.
    made = select(func.count()).select_from(Search).where(Search.handling_id == handling.id)
    return db.session.scalar(made) or 0


def search_index(operator: Staff, handling: Handling, criteria: Criteria, now: datetime) -> Search:
    """Search the index on the caller's behalf; every matched child is audited."""
    _require_live_call(handling)
    if _searches_made(handling) >= current_app.config["DESK_SEARCHES_PER_CALL"]:
        raise Refused("This call has reached its limit of searches: wrap it up.")
    asked = {name: str(value) for name, value in asdict(criteria).items() if value}
    try:
        result = search(criteria)
    except SearchRefused as refusal:
        raise AuditedRefusal(
            str(refusal),
            Event.SEARCH_REFUSED,
            **call_subjects(operator, handling.call),
            data={"criteria": asked, "reason": str(refusal)},
        ) from refusal
    # The audit row comes first: nothing is shown that was not recorded.
    audit_call(
        Event.SEARCH_MADE,
        operator,
        handling.call,
        form=result.form.value,
        criteria=asked,
        match_count=result.match_count,
        is_too_many=result.is_too_many,
        matched=[child.contactpoint_id for child in result.matches],
    )
    made = Search(
        handling=handling,
        form=result.form.value,
        match_count=result.match_count,
        is_too_many=result.is_too_many,
        searched_at=now,
        matches=[Match(child_id=child.id) for child in result.matches],
    )
    db.session.add(made)
    db.session.flush()
    return made


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


def request_brokered_contact(
    operator: Staff, handling: Handling, token: str, reason: str, now: datetime
) -> None:
    """Ask the local authority's ContactPoint team to put the caller in touch."""
    opened = open_record(operator, handling, token, now)
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
