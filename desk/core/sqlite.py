"""SQLite, for the demo: one writer at a time, waited for, in files only the desk can read."""

import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event

# Concurrent requests queue for the write lock this long before one gives up as "locked".
BUSY_TIMEOUT_MS = 30_000


def prepare(engine: Engine) -> None:
    """On SQLite: each transaction takes the write lock as it begins; the file is private."""
    if engine.dialect.name != "sqlite":
        return
    if engine.url.database and engine.url.database != ":memory:":
        private_file(Path(engine.url.database))
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)


def _on_connect(dbapi_connection: sqlite3.Connection, _: Any) -> None:
    # pysqlite's own BEGIN comes late, deferred, and only before a write, so the audit log's
    # last hash would be read outside any lock and two requests could chain to the same row.
    # SQLAlchemy's documented recipe: the driver begins nothing, and `_on_begin` begins.
    dbapi_connection.isolation_level = None
    dbapi_connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _on_begin(connection: Connection) -> None:
    # IMMEDIATE takes the write lock before the transaction's first read: writers run one
    # after another, each seeing the row the one before committed. Several processes share
    # it too, as a lock in Python would not. A demo's load waits for it without noticing.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def private_folder(path: Path) -> None:
    """Make a folder only its owner may open, or tighten the desk's own that others could."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _tighten(path, 0o700)


def private_file(path: Path) -> None:
    """Create a database file only its owner may read, or tighten one that others could.

    SQLite gives its journal the database file's own permissions.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        _tighten(path, 0o600)


def _tighten(path: Path, mode: int) -> None:
    # Only what the desk's own user owns: a folder someone else set up is theirs to decide.
    status = path.stat()
    if status.st_uid == os.getuid() and stat.S_IMODE(status.st_mode) & 0o077:
        path.chmod(mode)
