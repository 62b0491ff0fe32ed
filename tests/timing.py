"""Telling outcomes apart as an attacker would: the SQL a request runs, and how long it takes."""

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import event
from sqlalchemy.engine import Engine

from desk.core.credentials import hashing_process
from desk.core.credentials.hashing import Hasher

# The test fixture's own savepoints, numbered per connection: not the desk's statements.
_SAVEPOINT = re.compile(r"^\s*(RELEASE |ROLLBACK TO )?SAVEPOINT ", re.IGNORECASE)


def argon2_work(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every argon2 verify and hash from now on, in order, as "verify" and "hash"."""
    work: list[str] = []
    verify, hash_ = PasswordHasher.verify, PasswordHasher.hash
    monkeypatch.setattr(
        PasswordHasher, "verify", lambda self, h, p: work.append("verify") or verify(self, h, p)
    )
    monkeypatch.setattr(
        PasswordHasher, "hash", lambda self, p, **kw: work.append("hash") or hash_(self, p, **kw)
    )
    # PINs are hashed in a hashing process, out of sight of the patches above: the same work
    # by the same Hasher (one for each hashing process, as there) is done here, to be seen.
    hashers: dict[int, Hasher] = {}

    def in_this_process(
        process: hashing_process.HashingProcess, kind: type, name: str, *arguments: object
    ) -> object:
        hasher = hashers.setdefault(id(process), Hasher(process.costs.argon2()))
        return hashing_process.work(hasher)[name](*arguments)

    monkeypatch.setattr(hashing_process.HashingProcess, "_ask", in_this_process)
    return work


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements (text, not parameters) the engine runs inside the block, in order."""
    ran: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not _SAVEPOINT.match(statement):
            ran.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield ran
    finally:
        event.remove(engine, "before_cursor_execute", note)


def mann_whitney_p(a: list[float], b: list[float]) -> float:
    """The two-sided p-value of the Mann-Whitney U test that a and b come from one distribution
    (normal approximation with the tie correction and a continuity correction; fine from about
    20 samples each)."""
    n1, n2 = len(a), len(b)
    pooled = sorted([(value, 0) for value in a] + [(value, 1) for value in b])
    ranks, ties, i = [0.0] * len(pooled), 0.0, 0
    while i < len(pooled):
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1  # ranks from 1, ties sharing their mean
        ties += (j - i + 1) ** 3 - (j - i + 1)
        i = j + 1
    rank_sum_a = sum(rank for rank, (_, side) in zip(ranks, pooled, strict=True) if side == 0)
    u = rank_sum_a - n1 * (n1 + 1) / 2
    n = n1 + n2
    variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if variance == 0:
        return 1.0
    z = (abs(u - n1 * n2 / 2) - 0.5) / math.sqrt(variance)
    return math.erfc(max(z, 0.0) / math.sqrt(2))
