"""The desk under gunicorn, as a deployment runs it, and an HTTP client for its webhooks."""

import os
import signal
import socket
import subprocess  # nosec B404 - starts this checkout's own gunicorn and flask
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.conftest import TEST_CONFIG

REQUEST_TIMEOUT = 30
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def server_environment(uri: str) -> dict[str, str]:
    """The desk's settings for gunicorn and the flask command, as the test app has them.

    Development mode, with every key given, so that the session cookie works over plain
    http://127.0.0.1 and the local telephony adapter is allowed; the limits are raised, since
    every operator signs in from one address.
    """
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DESK_", "TWILIO_", "FLASK_")) and k not in {"DATABASE_URL"}
    }
    environ.update(
        {
            "DATABASE_URL": uri,
            "DESK_ENV": "development",
            "SECRET_KEY": "load-secret-key",
            "DESK_TOTP_KEY": TEST_CONFIG["DESK_TOTP_KEY"],
            "TWILIO_ACCOUNT_SID": TEST_CONFIG["TWILIO_ACCOUNT_SID"],
            "TWILIO_AUTH_TOKEN": TEST_CONFIG["TWILIO_AUTH_TOKEN"],
            "DESK_TELEPHONY": "local",
            "DESK_SIGN_IN_RATE_LIMIT": "100000/minute",
            "DESK_IVR_RATE_LIMIT": "100000/minute",
            "DESK_ARGON2_TIME_COST": "1",
            "DESK_ARGON2_MEMORY_KIB": "1024",
            "DESK_ARGON2_PARALLELISM": "1",
        }
    )
    return environ


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn(uri: str, workers: int) -> Iterator[str]:
    """The desk under gunicorn on 127.0.0.1, on the database at `uri`: its URL; stopped after.

    Its log goes to a file, not a pipe: a pipe nobody reads fills up with the tracebacks of
    failing requests, and then every worker blocks writing to it.
    """
    port = free_port()
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(  # noqa: S603  # nosec B603 - fixed arguments, our own gunicorn
            [
                str(BIN / "gunicorn"),
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
                "--timeout",
                "60",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=server_environment(uri),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            started = time.monotonic()
            while True:
                if server.poll() is not None:
                    log.seek(0)
                    raise AssertionError(f"gunicorn exited:\n{log.read().decode()}")
                try:
                    if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except (requests.ConnectionError, requests.Timeout):
                    pass  # still starting: on a busy machine a worker may take seconds to boot
                assert time.monotonic() - started < 30, "gunicorn did not start in 30 seconds"
                time.sleep(0.2)
            yield url
        finally:
            server.send_signal(signal.SIGINT)  # quick shutdown: the test is done with it
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=5)


def audit_verify(uri: str) -> subprocess.CompletedProcess[str]:
    """`flask --app wsgi audit verify` on the database at `uri`, as an administrator runs it."""
    return subprocess.run(  # noqa: S603  # nosec B603 - fixed arguments, our own flask
        [str(BIN / "flask"), "--app", "wsgi", "audit", "verify"],
        cwd=ROOT,
        env=server_environment(uri),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@dataclass
class Answer:
    """What ivr.simulator reads of a response."""

    status_code: int
    mimetype: str
    data: bytes


@dataclass
class Http:
    """ivr.simulator's client, over HTTP to the running desk."""

    base: str
    session: requests.Session = field(default_factory=requests.Session)

    def post(self, path: str, *, data: dict[str, str], headers: dict[str, str]) -> Answer:
        url = path if path.startswith("http") else self.base + path
        r = self.session.post(
            url, data=data, headers=headers, allow_redirects=False, timeout=REQUEST_TIMEOUT
        )
        mimetype = r.headers.get("Content-Type", "").split(";")[0].strip()
        return Answer(r.status_code, mimetype, r.content)
