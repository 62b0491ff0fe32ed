"""One run of the jobs at a time, across every server: the lock, or the word that it is held.

On PostgreSQL a session-level advisory lock on a connection of the run's own, held while the
jobs commit on others and released when it closes, even if the process dies. SQLite is one
machine's database, so a lock on a file beside it does: the operating system drops it with the
process too.
"""

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

# Names the advisory lock of `jobs run-due` (ASCII "mad_jobs"); the review's own is another.
JOBS_LOCK = 0x6D61645F6A6F6273


@contextmanager
def exclusive(engine: Engine, folder: Path) -> Iterator[bool]:
    """Try to take the jobs' lock without waiting: True while held, False if another has it."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            taken = bool(
                connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": JOBS_LOCK})
            )
            connection.commit()
            try:
                yield taken
            finally:
                if taken:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": JOBS_LOCK})
                    connection.commit()
        return
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "jobs.lock").open("a") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)
