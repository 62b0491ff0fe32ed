"""The audit report of a period as CSV: who asked, who answered, why, what came of it.

It holds nothing about any child: only staff, practitioners, times, purposes, outcomes, counts
and flags. Every text cell is defused against spreadsheet formulas.
"""

import csv
import io
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from desk.console.models import Handling
from desk.core.extensions import db
from desk.review.facts import CallFacts, gather
from desk.review.flags import LABELS
from desk.review.listing import Filters, mediated, staff_names
from desk.review.models import Review
from desk.review.timeline import outcome_label, purpose_label
from desk.staff.models import Staff
from ivr.models import Call

COLUMNS = (
    "call",
    "started",
    "taken",
    "wrapped up",
    "waited (s)",
    "handled (s)",
    "call length (s)",
    "operator",
    "operator username",
    "practitioner ID",
    "practitioner",
    "organisation",
    "registered number",
    "called back",
    "purpose",
    "outcome",
    "searches",
    "searches refused",
    "matches",
    "records opened",
    "items read back",
    "brokered requests",
    "failed verifications",
    "flags",
    "signed off by",
    "signed off",
)
# A spreadsheet reads a cell starting with any of these as a formula (or a DDE command);
# some read the full-width forms of = + - @ too.
FORMULA_STARTS = frozenset("=+-@|%\t\r\n\uff1d\uff0b\uff0d\uff20")
BATCH = 500
# The operator's own words for a purpose come only when asked for: they are free text, and
# free text is where a child's details could slip in despite the console's screening.
DETAIL_COLUMN = "purpose detail"


def columns(with_purpose_words: bool) -> tuple[str, ...]:
    """The report's columns: COLUMNS, and the purposes' own words after the purpose if asked."""
    if not with_purpose_words:
        return COLUMNS
    at = COLUMNS.index("purpose") + 1
    return (*COLUMNS[:at], DETAIL_COLUMN, *COLUMNS[at:])


UNASSESSED_CELL = "(not yet assessed)"


def safe_cell(value: object) -> object:
    """A value as a CSV cell: text a spreadsheet would run as a formula is quoted with '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return value
    text = str(value)
    if _unseen_start(text)[:1] in FORMULA_STARTS:
        return "'" + text
    return text


def _unseen_start(text: str) -> str:
    """The text from its first character a spreadsheet does not skip as blank or invisible.

    Spaces, a byte-order mark or a zero-width space before `=` still leave a formula.
    """
    for at, char in enumerate(text):
        if char in FORMULA_STARTS:
            return text[at:]
        if not (char.isspace() or unicodedata.category(char) in {"Cf", "Zs", "Cc"}):
            return text[at:]
    return ""


def _local(at: datetime | None, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if at else ""


def report_count(first: date, last: date, zone: str) -> int:
    """How many mediated calls the report of this period holds."""
    query = mediated(Filters(date_from=first, date_to=last), zone)
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def row(
    call: Call,
    handling: Handling,
    review: Review | None,
    facts: CallFacts,
    staff: Staff | None,
    signer: str,
    zone: ZoneInfo,
    with_purpose_words: bool = False,
) -> list[object]:
    """One call as a report line, in the order of `columns(with_purpose_words)`."""
    who = call.practitioner
    return [
        call.id,
        _local(call.started_at, zone),
        _local(handling.taken_at, zone),
        _local(handling.wrapped_up_at, zone),
        facts.waited_seconds,
        facts.handle_seconds,
        facts.duration_seconds,
        staff.name if staff else "",
        staff.username if staff else "",
        call.practitioner_id,
        who.name if who else "",
        who.organisation if who else "",
        call.is_registered_number,
        handling.is_called_back,
        purpose_label(handling.purpose),
        *((handling.purpose_detail,) if with_purpose_words else ()),
        outcome_label(handling.wrap_up),
        facts.searches,
        facts.searches_refused,
        facts.matches,
        facts.records_opened,
        facts.read_backs,
        facts.brokered_requests,
        facts.failed_verifications,
        flags_cell(review, handling),
        signer,
        _local(review.signed_off_at if review else None, zone),
    ]


def flags_cell(review: Review | None, handling: Handling) -> str:
    """The flags' labels; or, for a wrapped-up call not yet assessed, say so, never a blank."""
    if review is None:
        return "" if handling.is_open else UNASSESSED_CELL
    return "; ".join(LABELS.get(flag.rule, flag.rule) for flag in review.flags)


def _batches(
    first: date, last: date, zone: str
) -> Iterator[Sequence[tuple[Call, Handling, Review | None]]]:
    """The period's calls in order, a batch at a time: keyset pages, so memory stays flat."""
    query = (
        mediated(Filters(date_from=first, date_to=last), zone)
        .order_by(None)
        .order_by(Call.id)
        .options(selectinload(Call.practitioner), selectinload(Review.flags))
    )
    after = 0
    while True:
        batch = list(db.session.execute(query.where(Call.id > after).limit(BATCH)).all())
        if not batch:
            return
        yield batch
        after = batch[-1][0].id


def report_lines(
    first: date, last: date, zone: str, with_purpose_words: bool = False
) -> Iterator[str]:
    """The CSV, a line at a time, for streaming."""
    tz = ZoneInfo(zone)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns(with_purpose_words))
    yield "\ufeff" + out.getvalue()  # the BOM tells spreadsheet programs it is UTF-8
    for batch in _batches(first, last, zone):
        facts = gather([(c, h) for c, h, _ in batch], zone, count_calls_that_day=False)
        staff_ids = {h.operator_id for _, h, _ in batch}
        staff = {s.id: s for s in db.session.scalars(select(Staff).where(Staff.id.in_(staff_ids)))}
        signers = staff_names({r.signed_off_by_id for _, _, r in batch if r and r.signed_off_by_id})
        for call, handling, review in batch:
            out.seek(0)
            out.truncate()
            signer = signers.get(review.signed_off_by_id or 0, "") if review else ""
            operator = staff.get(handling.operator_id)
            line = row(
                call, handling, review, facts[call.id], operator, signer, tz, with_purpose_words
            )
            writer.writerow([safe_cell(value) for value in line])
            yield out.getvalue()
