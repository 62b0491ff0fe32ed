"""Anchoring the log: signing its size and Merkle head now and then, and checking it against them.

The leaves of the tree are the rows' stored hashes (32 bytes each), in id order. Each hash
already covers its row and every row before, so a head signed over the first N rows is lost
by removing any of them, and by rewriting any, however the chain is hashed again after.
"""

import base64
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
from sqlalchemy import select

from desk.core.audit import chain, checkpoints, merkle
from desk.core.audit.checkpoints import BadCheckpoint, Checkpoint
from desk.core.audit.events import Event
from desk.core.audit.models import AuditEvent
from desk.core.audit.service import record
from desk.core.audit.witnesses import Published, Witness, witness_from
from desk.core.extensions import db

BATCH = 10_000
# The newest valid checkpoint is looked for among this many of the newest the witness holds.
NEWEST_LOOKED_AT = 10


def span(first: int, last: int) -> str:
    """A range of rows as people write it: 1 to 12,345 with an en dash between."""
    return f"{first:,}\u2013{last:,}"


class NotConfigured(RuntimeError):
    """The desk has no signing key or no witness, so it cannot make checkpoints."""


class CheckpointRefused(RuntimeError):
    """Not signed: the log is empty, or no longer holds the last checkpoint (signing would
    bless the change).
    """


@dataclass(frozen=True)
class Head:
    """The Merkle head of the log's first `size` rows; the last of them is audit row last_id."""

    size: int
    root: bytes
    last_id: int


@dataclass(frozen=True)
class Signed:
    """A checkpoint whose signature holds, and where the witness keeps it."""

    where: str
    checkpoint: Checkpoint


def leaves(limit: int, batch: int = BATCH) -> Iterator[tuple[int, bytes]]:
    """The first `limit` rows' ids and leaf data (their stored hashes), in id order."""
    # Two columns from a server-side cursor: the head of 11 million rows streams in constant
    # memory, as verify's walk does.
    columns = AuditEvent.__table__.c
    rows = db.session.execute(
        select(columns.id, columns.hash)
        .order_by(columns.id)
        .limit(limit)
        .execution_options(yield_per=batch)
    )
    for event_id, stored in rows:
        yield event_id, bytes.fromhex(stored)


def heads(
    sizes: Collection[int],
    rows: Iterable[tuple[int, bytes]],
    progress: Callable[[int], None] = lambda rows: None,
) -> dict[int, Head]:
    """The heads at each of these sizes (above 0), from one pass over the rows."""
    wanted = iter(sorted({size for size in sizes if size > 0}))
    target = next(wanted, None)
    tree = merkle.Tree()
    found: dict[int, Head] = {}
    for event_id, data in rows:
        if target is None:
            break
        tree.append(data)
        if tree.size % BATCH == 0:
            progress(BATCH)
        if tree.size == target:
            found[target] = Head(target, tree.root(), event_id)
            target = next(wanted, None)
    progress(tree.size % BATCH)
    return found


def signing_key() -> Ed25519PrivateKey | None:
    """DESK_AUDIT_SIGNING_KEY's key, if it is set."""
    value = current_app.config.get("DESK_AUDIT_SIGNING_KEY")
    return checkpoints.signing_key(value) if value else None


def verify_key() -> Ed25519PublicKey | None:
    """The key checkpoints are checked with: DESK_AUDIT_VERIFY_KEY's, else the signing key's."""
    value = current_app.config.get("DESK_AUDIT_VERIFY_KEY")
    if value:
        return checkpoints.verify_key(value)
    private = signing_key()
    return private.public_key() if private else None


def witness() -> Witness | None:
    """The witness DESK_AUDIT_WITNESS names, if it is set."""
    value = current_app.config.get("DESK_AUDIT_WITNESS")
    return witness_from(value) if value else None


def opened(published: Iterable[Published], key: Ed25519PublicKey) -> tuple[list[Signed], list[str]]:
    """The checkpoints whose signature holds, and what is wrong with each of the others."""
    signed: list[Signed] = []
    problems: list[str] = []
    for note in published:
        try:
            signed.append(Signed(note.where, checkpoints.open_note(note.note, key)))
        except BadCheckpoint as error:
            problems.append(f"{note.where} is not a checkpoint this desk signed: {error}")
    return signed, problems


def _newest(kept: Witness, key: Ed25519PublicKey) -> Signed | None:
    # A few, not all: a witness gathers some 35,000 checkpoints a year, and verify reads them all.
    signed, _ = opened(kept.recent(NEWEST_LOOKED_AT), key)
    return max(signed, key=lambda s: (s.checkpoint.size, s.checkpoint.signed_at), default=None)


def newest_checkpoint() -> Signed | None:
    """The newest checkpoint the witness holds that this desk signed; None if none or unset."""
    key, kept = verify_key(), witness()
    if key is None or kept is None:
        return None
    return _newest(kept, key)


def _configured() -> tuple[Ed25519PrivateKey, Witness]:
    key, kept = signing_key(), witness()
    if key is None or kept is None:
        raise NotConfigured("checkpoints need DESK_AUDIT_SIGNING_KEY and DESK_AUDIT_WITNESS")
    return key, kept


def checkpoint(now: datetime, by: str) -> Signed:
    """Sign the log's size and head, publish it to the witness and audit it; not committed.

    Refused if the log no longer holds the newest checkpoint already published.
    """
    key, kept = _configured()
    size = chain.count()
    if size == 0:
        raise CheckpointRefused("the audit log is empty: there is nothing to sign")
    previous = _newest(kept, key.public_key())
    sizes = {size, previous.checkpoint.size} if previous else {size}
    found = heads(sizes, leaves(size))
    problem = mismatch(previous, size, found) if previous else None
    if problem:
        raise CheckpointRefused(f"{problem}; nothing was signed")
    made = Checkpoint(
        size,
        found[size].root,
        now.astimezone(UTC).replace(microsecond=0),
        checkpoints.key_id(key.public_key()),
    )
    where = kept.publish(made, checkpoints.sign(made, key))
    record(
        Event.AUDIT_CHECKPOINTED,
        data={
            "size": size,
            "root": base64.b64encode(made.root).decode(),
            "key_id": made.key_id.hex(),
            "witness": where,
            "by": by,
        },
    )
    return Signed(where, made)


def checkpoint_due(now: datetime) -> bool:
    """Whether a checkpoint is due: configured, rows added, and the interval passed since."""
    try:
        key, kept = _configured()
    except NotConfigured:
        return False
    size = chain.count()
    previous = _newest(kept, key.public_key())
    if previous is None:
        return size > 0
    interval = timedelta(minutes=current_app.config["DESK_AUDIT_CHECKPOINT_MINUTES"])
    return size > previous.checkpoint.size and now - previous.checkpoint.signed_at >= interval


def checkpoint_if_due(now: datetime, by: str) -> Signed | None:
    """For a scheduled job: make a checkpoint if one is due; not committed."""
    return checkpoint(now, by) if checkpoint_due(now) else None


def mismatch(signed: Signed, rows: int, found: dict[int, Head]) -> str | None:
    """What is wrong with the log, given the heads found, if this checkpoint does not hold."""
    made = signed.checkpoint
    if made.size > rows:
        return (
            f"the log has {rows:,} rows but a checkpoint signed {made.size:,} "
            f"(of {made.when()}, {signed.where}): rows have been removed"
        )
    head = found.get(made.size)
    if made.size and (head is None or head.root != made.root):
        return (
            f"rows {span(1, made.size)} do not match the checkpoint of {made.when()} "
            f"({signed.where}): the log has been rewritten"
        )
    return None


@dataclass(frozen=True)
class Verdict:
    """The log checked against checkpoints: those that hold (smallest first), and problems."""

    rows: int
    holding: list[Signed]
    problems: list[str]
    found: dict[int, Head]

    def coverage(self) -> str:
        """Which rows the newest checkpoint that holds covers, and which none does."""
        covering = [each for each in self.holding if each.checkpoint.size]
        if not covering:
            return f"No checkpoint covers any of the log's {self.rows:,} rows."
        newest = covering[-1]
        made, head = newest.checkpoint, self.found[newest.checkpoint.size]
        # Ids skip where an append was rolled back; the rows are counted in id order.
        last = "" if head.last_id == made.size else f" (to audit row {head.last_id:,})"
        if made.size == self.rows:
            newer = "no row is newer"
        elif made.size + 1 == self.rows:
            newer = f"row {self.rows:,} is newer than any checkpoint"
        else:
            newer = f"rows {span(made.size + 1, self.rows)} are newer than any checkpoint"
        return (
            f"Rows {span(1, made.size)}{last} are covered by the checkpoint of {made.when()} "
            f"(signature valid, key {made.key_id.hex()}, {newest.where}); {newer}."
        )

    def still_matching(self) -> str:
        """Where a change lies at the earliest, told by the newest checkpoint that still holds."""
        made = self.holding[-1].checkpoint
        return (
            f"Rows {span(1, made.size)} still match the checkpoint of {made.when()}: "
            f"what changed lies after row {made.size:,}."
        )


def judge(
    signed: list[Signed], rows: int, progress: Callable[[int], None] = lambda rows: None
) -> Verdict:
    """Check a log of `rows` rows against these checkpoints, in one pass over the rows."""
    order = sorted(signed, key=lambda s: (s.checkpoint.size, s.checkpoint.signed_at))
    sizes = {s.checkpoint.size for s in order}
    found = heads(sizes, leaves(rows_to_check(signed, rows)), progress)
    holding: list[Signed] = []
    problems: list[str] = []
    for each in order:
        problem = mismatch(each, rows, found)
        if problem:
            problems.append(problem)
        else:
            holding.append(each)
    return Verdict(rows, holding, problems, found)


def rows_to_check(signed: list[Signed], rows: int) -> int:
    """How many rows judge reads: up to the largest checkpoint the log is long enough for."""
    return max((s.checkpoint.size for s in signed if s.checkpoint.size <= rows), default=0)
