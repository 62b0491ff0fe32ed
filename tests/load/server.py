"""The desk under gunicorn as the load tests run it: a development desk with cheap hashes.

Serving and the HTTP client for the webhooks are bench/server.py's, shared with the benchmarks.
"""

import subprocess  # nosec B404 - runs this checkout's own flask
from collections.abc import Iterator
from contextlib import contextmanager

from bench.server import BIN, ROOT, Workers, environment_without_desk_settings
from bench.server import gunicorn as serve
from tests.conftest import TEST_CONFIG

REQUEST_TIMEOUT = 30


def server_environment(uri: str) -> dict[str, str]:
    """The desk's settings for gunicorn and the flask command, as the test app has them.

    Development mode, with every key given, so that the session cookie works over plain
    http://127.0.0.1 and the local telephony adapter is allowed; the limits are raised, since
    every operator signs in from one address.
    """
    environ = environment_without_desk_settings()
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


@contextmanager
def gunicorn(uri: str, workers: int) -> Iterator[str]:
    """The desk under gunicorn on 127.0.0.1, on the database at `uri`: its URL; stopped after."""
    with serve("wsgi:app", server_environment(uri), Workers(count=workers)) as served:
        yield served.url


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
