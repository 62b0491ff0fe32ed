"""A PostgreSQL server of a test's own, to stop and start without touching the shared one.

Other test runs and CI use the machine's PostgreSQL at the same time, so a test that takes the
database away makes a server of its own: initdb into a temporary directory, started on a free
port, removed afterwards however the test ends. The server refuses to run as root, so under
root (as CI runs) it runs as the `postgres` system account, which owns the directory.
"""

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess  # nosec B404 - runs PostgreSQL's own server programs, fixed arguments
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.server import free_port

SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")
# The account the server runs as when the tests run as root.
SERVER_ACCOUNT = "postgres"


def server_binaries() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, if this machine has them."""
    candidates = []
    if pg_config := shutil.which("pg_config"):
        found = subprocess.run(  # noqa: S603  # nosec B603 - pg_config, one fixed argument
            [pg_config, "--bindir"], capture_output=True, text=True, timeout=30, check=False
        )
        candidates.append(found.stdout.strip())
    # Debian keeps the server's programs out of PATH, one directory per major version.
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
    if initdb := shutil.which("initdb"):
        candidates.append(str(Path(initdb).resolve().parent))
    for candidate in filter(None, candidates):
        if all((Path(candidate) / program).is_file() for program in SERVER_PROGRAMS):
            return Path(candidate)
    return None


def _version(bindir: str) -> tuple[int, ...]:
    return tuple(int(part) for part in Path(bindir).parent.name.split(".") if part.isdigit())


@dataclass
class Server:
    """One throwaway PostgreSQL server: trust authentication, on 127.0.0.1 only."""

    bindir: Path
    directory: Path
    port: int
    # Prefix that runs a program as the server's account (empty: as ourselves).
    as_owner: tuple[str, ...]

    @property
    def url(self) -> str:
        """The server's URL for SQLAlchemy, connecting to its `postgres` database."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, program: str, *arguments: str) -> None:
        """Run one of the server's programs as its owner; fail with its output if it fails."""
        done = subprocess.run(  # noqa: S603  # nosec B603 - the server's own programs
            [*self.as_owner, str(self.bindir / program), *arguments],
            cwd=self.directory,
            env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, (
            f"{program} failed:\n{done.stdout}\n{done.stderr}\nserver log:\n{self.log()[-3000:]}"
        )

    def initdb(self) -> None:
        self.run(
            "initdb",
            *("-D", str(self.directory / "data"), "-U", "postgres", "-A", "trust"),
            *("-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"),
        )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = " ".join(
            (
                f"-p {self.port}",
                # Its socket in its own directory, away from the shared server's.
                f"-k {self.directory}",
                "-c listen_addresses=127.0.0.1",
                # A server crash is not a machine crash: what the server wrote is in the
                # kernel's cache either way, so recovery sees it; no need to wait on the disk.
                "-c fsync=off",
            )
        )
        self.run(
            "pg_ctl",
            *("-D", str(self.directory / "data"), "-l", str(self.directory / "server.log")),
            *("-o", options, "-w", "-t", "30", "start"),
        )

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server: `immediate` as a crash would (recovery on the next start)."""
        self.run("pg_ctl", "-D", str(self.directory / "data"), "-m", mode, "-w", "stop")

    def shut_down(self) -> None:
        """Make sure the server is gone, whatever state the test left it in; never fails."""
        pid_file = self.directory / "data" / "postmaster.pid"
        if not pid_file.exists():
            return
        try:
            self.stop()
        except (AssertionError, subprocess.SubprocessError):
            # The pid file's first line is the postmaster this server started; its children
            # exit when it does.
            with contextlib.suppress(OSError, ValueError, IndexError):
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)

    def log(self) -> str:
        path = self.directory / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextmanager
def throwaway_server() -> Iterator[Server]:
    """A new PostgreSQL server, started; stopped and deleted afterwards, even on failure."""
    bindir = server_binaries()
    if bindir is None:
        pytest.skip(
            "no PostgreSQL server programs (initdb, pg_ctl, postgres) found by pg_config "
            "--bindir, in /usr/lib/postgresql/*/bin or on PATH"
        )
    as_owner: tuple[str, ...] = ()
    directory = Path(tempfile.mkdtemp(prefix="desk-pg-"))
    try:
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam(SERVER_ACCOUNT)
            except KeyError:
                pytest.fail(f"running as root, and no `{SERVER_ACCOUNT}` account to run PostgreSQL")
            os.chown(directory, owner.pw_uid, owner.pw_gid)
            runuser = shutil.which("runuser")
            assert runuser, "running as root, and no runuser to start PostgreSQL as postgres"
            as_owner = (runuser, "-u", SERVER_ACCOUNT, "--")
        server = Server(bindir, directory, free_port(), as_owner)
        try:
            server.initdb()
            server.start()
            yield server
        finally:
            server.shut_down()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
