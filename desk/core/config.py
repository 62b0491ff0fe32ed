"""Configuration: the settings (desk.core.settings) read from the environment, and checked."""

import json
import os
import secrets
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

from desk.core import hours
from desk.core.audit import checkpoints
from desk.core.audit.witnesses import witness_from
from desk.core.settings import SETTINGS

# A staff session ends after this long without activity, and after this long in all.
IDLE_LIMIT = timedelta(minutes=30)
SIGNED_IN_LIMIT = timedelta(hours=12)


# Keys the desk cannot run without; development mode makes them up instead.
REQUIRED_KEYS = ("SECRET_KEY", "DESK_TOTP_KEY")


def settings_from(environ: Mapping[str, str]) -> dict[str, Any]:
    """Every setting, parsed from the environment or defaulted."""
    return {
        s.name: s.parse(environ[s.name]) if environ.get(s.name) else s.default for s in SETTINGS
    }


def database_uri(url: str | None, instance_path: str) -> str:
    """The SQLAlchemy URL: psycopg 3 for PostgreSQL, SQLite in the instance folder by default."""
    if not url:
        return f"sqlite:///{Path(instance_path) / 'desk.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def development_keys(instance_path: str) -> dict[str, str]:
    """Keys for a development desk, made once and kept in the instance folder.

    The auth token is a local one, so that the terminal phone's signed webhooks are accepted.
    """
    path = Path(instance_path) / "development-keys.json"
    keys = json.loads(path.read_text()) if path.exists() else {}
    makers: dict[str, Callable[[], str]] = {
        "SECRET_KEY": lambda: secrets.token_urlsafe(32),
        "DESK_TOTP_KEY": lambda: Fernet.generate_key().decode(),
        "TWILIO_AUTH_TOKEN": lambda: secrets.token_hex(16),
        "DESK_AUDIT_SIGNING_KEY": checkpoints.new_signing_key,
    }
    if set(makers) - set(keys):
        keys = {name: keys.get(name) or make() for name, make in makers.items()}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps(keys))
    return dict(keys)


def load(instance_path: str, environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """The app's configuration from the environment."""
    config = settings_from(environ)
    if config["DESK_ENV"] == "development":
        config.update({k: v for k, v in development_keys(instance_path).items() if not config[k]})
        config["DESK_AUDIT_WITNESS"] = config["DESK_AUDIT_WITNESS"] or (
            f"dir:{Path(instance_path) / 'checkpoints'}"
        )
    if config["DESK_ENV"] == "development" and config["DESK_PROXY_HOPS"] is None:
        config["DESK_PROXY_HOPS"] = 0
    config["DESK_TELEPHONY"] = config["DESK_TELEPHONY"] or (
        "local" if config["DESK_ENV"] == "development" else "twilio"
    )
    config["SQLALCHEMY_DATABASE_URI"] = database_uri(config.pop("DATABASE_URL"), instance_path)
    if config["DESK_MIGRATE_DATABASE_URL"]:
        config["DESK_MIGRATE_DATABASE_URL"] = database_uri(
            config["DESK_MIGRATE_DATABASE_URL"], instance_path
        )
    # Parameters could carry a typed ID into an error message; keep them out of logs.
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"hide_parameters": True, "pool_pre_ping": True}
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # Plain-HTTP cookies only for a development desk that is itself on plain HTTP: one served
    # at an https:// address (behind a proxy, as tests/topology runs it) marks them Secure.
    config["SESSION_COOKIE_SECURE"] = config["DESK_ENV"] != "development" or str(
        config["DESK_PUBLIC_URL"] or ""
    ).startswith("https://")
    # No session lasts longer, so neither need its cookie. The browser may ignore a cookie's
    # expiry, so the limits themselves are enforced on the server, by desk.staff.sessions.
    config["PERMANENT_SESSION_LIFETIME"] = SIGNED_IN_LIMIT
    return config


def check(config: Mapping[str, Any]) -> None:
    """Refuse to start without the keys the desk needs, or with settings it cannot read."""
    missing = [key for key in REQUIRED_KEYS if not config.get(key)]
    if missing:
        raise RuntimeError(
            f"{', '.join(missing)} must be set (or DESK_ENV=development for a local desk)"
        )
    if (
        config["DESK_ENV"] != "development"
        and not config.get("TESTING")
        and make_url(config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "postgresql"
    ):
        # SQLite has no roles to keep the desk's own credentials from rewriting the audit
        # log, and one file on one machine cannot serve several servers.
        raise RuntimeError(
            "a production desk runs on PostgreSQL: set DATABASE_URL=postgresql://… "
            "(SQLite is for the demo, with DESK_ENV=development)"
        )
    if config.get("DEBUG") and config["DESK_ENV"] != "development":
        # The debugger runs code typed into an error page: never on a desk others can reach.
        raise RuntimeError("debug mode (FLASK_DEBUG) is for DESK_ENV=development only")
    if config["DESK_RECHECK_ASKS"] not in {"code", "pin_and_code"}:
        raise RuntimeError("DESK_RECHECK_ASKS must be `code` or `pin_and_code`")
    if config["DESK_TELEPHONY"] not in {"twilio", "local"}:
        raise RuntimeError("DESK_TELEPHONY must be `twilio` or `local`")
    if config["DESK_TELEPHONY"] == "local" and not (
        config["DESK_ENV"] == "development" or config.get("TESTING")
    ):
        # The local adapter and its dev phone would let anyone on the web place desk calls.
        raise RuntimeError("DESK_TELEPHONY=local is for development desks and tests only")
    if (
        config["DESK_ENV"] != "development"
        and config.get("RATELIMIT_ENABLED", True)
        and str(config["DESK_RATE_LIMIT_STORAGE"]).startswith("memory://")
    ):
        # Each gunicorn worker would count alone, so N workers would allow N times every
        # limit (and a restart would forget them): a PIN or password guesser's gain.
        raise RuntimeError(
            "DESK_RATE_LIMIT_STORAGE=memory:// counts in each worker alone: in production set "
            "it to shared storage, e.g. redis://127.0.0.1:6379/0 "
            "(or DESK_ENV=development for a local desk)"
        )
    check_public_face(config)
    try:
        Fernet(config["DESK_TOTP_KEY"])
    except ValueError as error:
        raise RuntimeError("DESK_TOTP_KEY must be a Fernet key (see the README)") from error
    try:
        ZoneInfo(config["DESK_TIMEZONE"])
        hours.parse(config["DESK_OPENING_HOURS"])
    except (ValueError, ZoneInfoNotFoundError) as error:
        raise RuntimeError(f"DESK_OPENING_HOURS or DESK_TIMEZONE: {error}") from error
    try:
        hours.parse(config.get("DESK_FLAG_USUAL_HOURS") or "")
    except ValueError as error:
        raise RuntimeError(f"DESK_FLAG_USUAL_HOURS: {error}") from error
    check_audit_keys(config)


def check_audit_keys(config: Mapping[str, Any]) -> None:
    """Refuse audit keys that cannot be read, a pair that does not match, or a bad witness."""
    signing, verifying = config.get("DESK_AUDIT_SIGNING_KEY"), config.get("DESK_AUDIT_VERIFY_KEY")
    try:
        signing_key = checkpoints.signing_key(signing) if signing else None
        verify_key = checkpoints.verify_key(verifying) if verifying else None
    except (ValueError, TypeError, OSError) as error:
        raise RuntimeError(
            "DESK_AUDIT_SIGNING_KEY and DESK_AUDIT_VERIFY_KEY must be Ed25519 keys in PEM, "
            f"or the paths of PEM files: {error}"
        ) from error
    if (
        signing_key
        and verify_key
        and checkpoints.key_id(signing_key.public_key()) != checkpoints.key_id(verify_key)
    ):
        raise RuntimeError("DESK_AUDIT_VERIFY_KEY is not the public half of DESK_AUDIT_SIGNING_KEY")
    if config.get("DESK_AUDIT_WITNESS"):
        try:
            witness_from(config["DESK_AUDIT_WITNESS"])
        except ValueError as error:
            raise RuntimeError(str(error)) from error


def check_public_face(config: Mapping[str, Any]) -> None:
    """Refuse a desk others can reach that does not know its public URL and its proxies.

    Without the URL, signatures would be checked against (and URLs for Twilio built from) the
    Host header a client sends; without the proxy count, every client behind a proxy would be
    the proxy's address to the rate limits, and HTTPS would look like HTTP.
    """
    if config["DESK_ENV"] == "development":
        return
    public = str(config.get("DESK_PUBLIC_URL") or "")
    if not public:
        raise RuntimeError(
            "DESK_PUBLIC_URL must be set to the URL Twilio calls, e.g. https://desk.example.org "
            "(or DESK_ENV=development for a local desk)"
        )
    if not public.startswith("https://") and not config.get("TESTING"):
        raise RuntimeError("DESK_PUBLIC_URL must be an https:// URL in production")
    if config.get("DESK_PROXY_HOPS") is None:
        raise RuntimeError(
            "DESK_PROXY_HOPS must be set: the number of proxies in front of the desk whose "
            "X-Forwarded-* headers to trust (0 if clients connect to it directly)"
        )
