"""A WSGI app under gunicorn on a free port of 127.0.0.1, and ivr.simulator's client to it.

The load test and the benchmarks serve the desk this way, so that what they drive is the
desk as production runs it: gunicorn with deploy/gunicorn.conf.py (its worker count, class,
request limits and JSON logging), metrics in multiprocess mode as deploy/systemd/desk.service
sets them, worker processes of their own, reached over HTTP. Only the address, any worker
count asked for, and the worker timeout (a shared machine can take longer than production's
10 s to start a worker) are given on the command line over the file's.
"""

import os
import runpy
import signal
import socket
import subprocess  # nosec B404 - starts this checkout's own gunicorn
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import requests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
STARTUP_SECONDS = 240  # a shared machine can take minutes to start 4 workers
PRODUCTION_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"


def shipped(setting: str) -> object:
    """A setting of deploy/gunicorn.conf.py, as gunicorn reads it."""
    return runpy.run_path(str(PRODUCTION_CONFIG))[setting]


@dataclass(frozen=True)
class Workers:
    """How gunicorn serves: how many worker processes, of which class, with how many threads;
    by default, as deploy/gunicorn.conf.py has it."""

    count: int = field(default_factory=lambda: int(str(shipped("workers"))))
    worker_class: str = field(default_factory=lambda: str(shipped("worker_class")))
    threads: int = 1
    timeout_seconds: int = 60

    def arguments(self) -> list[str]:
        return [
            f"--config={PRODUCTION_CONFIG}",
            f"--workers={self.count}",
            f"--worker-class={self.worker_class}",
            f"--threads={self.threads}",
            f"--timeout={self.timeout_seconds}",
        ]

    def __str__(self) -> str:
        threads = f", {self.threads} threads each" if self.threads > 1 else ""
        return f"{self.count} {self.worker_class} workers{threads}"


@dataclass(frozen=True)
class Served:
    """A running gunicorn: where it answers, and its master process."""

    url: str
    pid: int

    def worker_pids(self) -> list[int]:
        """The worker processes the master has now."""
        return sorted(pid for pid in _pids() if _parent(pid) == self.pid)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn(
    app: str, environ: Mapping[str, str], workers: Workers = Workers(), health: str = "/healthz"
) -> Iterator[Served]:
    """Serve `app` ("module:variable" or "module:factory()") until the block ends.

    Started once GET `health` answers 200; stopped (and waited for) afterwards.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # The address Twilio would be given is the one this server is reached at.
    environ = {**environ, "DESK_PUBLIC_URL": url}
    # A file, not a pipe: a pipe nobody reads would stall a server that logs enough to fill it.
    with tempfile.TemporaryFile() as log, tempfile.TemporaryDirectory() as metrics:
        # Metrics in multiprocess mode, as production keeps them (the config's hooks use it).
        environ = {"PROMETHEUS_MULTIPROC_DIR": metrics, **environ}
        server = subprocess.Popen(  # noqa: S603  # nosec B603 - fixed arguments, our own gunicorn
            [str(BIN / "gunicorn"), *workers.arguments(), f"--bind=127.0.0.1:{port}", app],
            cwd=ROOT,
            env=dict(environ),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            _wait_until_healthy(server, url + health, log)
            yield Served(url, server.pid)
        finally:
            server.send_signal(signal.SIGINT)  # quick shutdown: whoever started it is done with it
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=5)


def environment_without_desk_settings() -> dict[str, str]:
    """This process's environment less anything the desk would read as its own settings."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DESK_", "TWILIO_", "FLASK_")) and name != "DATABASE_URL"
    }


def cpu_seconds(pid: int) -> float:
    """CPU seconds a process has used, user and system, its threads' included; 0 once gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    # utime and stime, the 14th and 15th fields, counted from the state (the 3rd).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def resident_kib(pid: int) -> int:
    """The resident memory (RSS) of a running process, in KiB."""
    with open(f"/proc/{pid}/status", encoding="utf-8") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@dataclass
class Answer:
    """What ivr.simulator reads of a response."""

    status_code: int
    mimetype: str
    data: bytes


@dataclass
class Http:
    """ivr.simulator's client, over HTTP to a running server; one per thread."""

    base: str
    timeout_seconds: float = 30
    session: requests.Session = field(default_factory=requests.Session)

    def post(self, path: str, *, data: dict[str, str], headers: dict[str, str]) -> Answer:
        url = path if path.startswith("http") else self.base + path
        r = self.session.post(
            url, data=data, headers=headers, allow_redirects=False, timeout=self.timeout_seconds
        )
        mimetype = r.headers.get("Content-Type", "").split(";")[0].strip()
        return Answer(r.status_code, mimetype, r.content)


def descendants(pid: int) -> list[int]:
    """The process and every process below it (its workers, theirs...)."""
    parents = {child: _parent(child) for child in _pids()}
    found, frontier = [pid], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def _pids() -> Iterator[int]:
    return (int(entry) for entry in os.listdir("/proc") if entry.isdigit())


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            # The command name, in brackets, may hold spaces: the fields after it are plain.
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _wait_until_healthy(server: subprocess.Popen[bytes], health_url: str, log: IO[bytes]) -> None:
    started = time.monotonic()
    while True:
        if server.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{log.read().decode()}")
        try:
            if requests.get(health_url, timeout=2).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass  # not listening yet, or its workers still starting on a busy machine
        if time.monotonic() - started > STARTUP_SECONDS:
            raise RuntimeError(f"gunicorn did not start in {STARTUP_SECONDS} seconds")
        time.sleep(0.2)
