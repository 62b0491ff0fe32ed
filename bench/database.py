"""The benchmarks' PostgreSQL database: made once, migrated to head, kept between runs.

Data a benchmark loads (a million children, say) stays, so a rerun measures rather than loads.
"""

import base64
import os

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from desk.app import create_app
from desk.core.settings import SETTINGS

SERVER_URL = os.environ.get("DESK_BENCH_SERVER_URL", "postgresql+psycopg://127.0.0.1:5432/test")

# The desk as production runs it (real argon2 costs from config.py), minus Twilio's REST API:
# the local telephony adapter records what would be asked of Twilio instead.
BENCH_CONFIG = {
    "DESK_ENV": "production",
    "SECRET_KEY": "bench-secret-key",
    # A fixed key, so that token secrets sealed by one run (or process) are read by the next.
    "DESK_TOTP_KEY": base64.urlsafe_b64encode(b"bench-totp-key".ljust(32, b".")).decode(),
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "bench-auth-token",
    "DESK_TELEPHONY": "local",
    "TESTING": True,  # allows the local adapter outside development, as in the tests
    "RATELIMIT_ENABLED": False,  # one machine plays every caller
    # No proxy in front; a served desk's public URL is the one bench.server serves it at.
    "DESK_PUBLIC_URL": "http://127.0.0.1",
    "DESK_PROXY_HOPS": 0,
    # The defaults, whatever DESK_ARGON2_* this shell happens to set.
    **{setting.name: setting.default for setting in SETTINGS if "ARGON2" in setting.name},
}
# Where served_app() finds its database: gunicorn's workers are told through the environment.
SERVED_DATABASE_VARIABLE = "DESK_BENCH_DATABASE_URL"


def database_url(name: str, *, fresh: bool = False) -> str:
    """The URL of the benchmark database `name` on the server, created (or remade) if asked."""
    admin = sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if fresh:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        exists = connection.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).scalar()
        if not exists:
            connection.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)


def bench_app(name: str, *, fresh: bool = False) -> Flask:
    """The desk on benchmark database `name`, migrated to head."""
    app = create_app({**BENCH_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url(name, fresh=fresh)})
    with app.app_context():
        upgrade()
    return app


def served_app() -> Flask:
    """The desk as gunicorn serves it for a benchmark: `gunicorn 'bench.database:served_app()'`
    with DESK_BENCH_DATABASE_URL set to an already migrated benchmark database."""
    return create_app(
        {
            **BENCH_CONFIG,
            "SQLALCHEMY_DATABASE_URI": os.environ[SERVED_DATABASE_VARIABLE],
            "DESK_PUBLIC_URL": os.environ["DESK_PUBLIC_URL"],
        }
    )
