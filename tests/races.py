"""Many attempts at the same moment, and what an account's audit trail must then show."""

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from desk.core.audit.models import AuditEvent
from desk.core.credentials.accounts import LOCK_AFTER_FAILURES

T = TypeVar("T")

# However slow the machine, a burst is over by then (the database's deadlock check is 1 s).
BURST_TIMEOUT_SECONDS = 60


Attempt = Callable[[int, Callable[[], None]], T]


def together(count: int, attempt: Attempt[T]) -> list[T | BaseException]:
    """Run attempt(n, go) for n in range(count), each on a thread of its own; each calls go()
    just before the step that races, and go() lets them all through at once. What each
    returned, or the exception it raised."""
    gate = threading.Barrier(count, timeout=BURST_TIMEOUT_SECONDS)
    results: list[T | BaseException] = [TimeoutError("did not finish")] * count

    def run(n: int) -> None:
        try:
            results[n] = attempt(n, gate.wait)
        except BaseException as error:  # reported by the test, not lost in the thread
            results[n] = error
            gate.abort()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=BURST_TIMEOUT_SECONDS)
    return results


@dataclass(frozen=True)
class Kinds:
    """The audit kinds of one kind of account's verdicts."""

    succeeded: tuple[str, ...]
    failed: str
    locked: str


@dataclass(frozen=True)
class Replayed:
    """An account's state as its audit trail says it must be."""

    failures: int
    is_locked: bool
    successes: int


def replay(events: Sequence[AuditEvent], kinds: Kinds) -> Replayed:
    """Walk an account's verdicts in chain order, asserting each was judged on the account's
    state at that moment: nobody gets in once it is locked, every failure after the lock says
    so, and the lock comes exactly at the failure that reaches the limit."""
    failures, is_locked, successes = 0, False, 0
    for event in events:
        is_lock_owed = failures >= LOCK_AFTER_FAILURES and not is_locked
        if event.kind == kinds.locked:
            assert failures == LOCK_AFTER_FAILURES and not is_locked, (event.id, failures)
            is_locked = True
            continue
        assert not is_lock_owed, f"event {event.id} judged after a failure that owed a lock"
        if event.kind in kinds.succeeded:
            assert not is_locked, f"event {event.id}: {event.kind} after the account locked"
            failures, successes = 0, successes + 1
        elif event.kind == kinds.failed:
            reasons = event.data["reasons"]
            assert ("locked" in reasons) is is_locked, (event.id, reasons, is_locked)
            # A throttled number's right credentials are refused without blaming the account.
            failures += reasons != ["caller_throttled"]
    assert not (failures >= LOCK_AFTER_FAILURES and not is_locked), "the last failure owed a lock"
    return Replayed(failures, is_locked, successes)
