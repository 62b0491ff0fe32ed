"""How long each phase of an import took: told to whoever runs it, so the time can be seen.

Only a phase's name and seconds are told, never anything of the file's children.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Timed = Callable[[str, float], None]


def untimed(name: str, seconds: float) -> None:
    """The default: nobody asked how long the phases took."""


@contextmanager
def timing(timed: Timed, name: str) -> Iterator[None]:
    """Tell `timed` how long the block took, under `name` (not when it failed)."""
    started = time.perf_counter()
    yield
    timed(name, time.perf_counter() - started)


# How `records import` begins the line it prints for each phase, and how bench.load finds them.
PHASE_PREFIX = "Phase "
