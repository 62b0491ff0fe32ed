"""Configuration from the environment, refusing to run without its keys in production."""

from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from desk.app import create_app
from desk.core import config


def test_production_refuses_to_start_without_its_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SECRET_KEY", "DESK_TOTP_KEY", "DESK_ENV"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY, DESK_TOTP_KEY must be set"):
        create_app()


def test_development_makes_its_keys_once_and_keeps_them(tmp_path: Path) -> None:
    first = config.load(str(tmp_path), {"DESK_ENV": "development"})
    second = config.load(str(tmp_path), {"DESK_ENV": "development"})
    kept = ("SECRET_KEY", "DESK_TOTP_KEY", "TWILIO_AUTH_TOKEN")
    assert all(first[name] for name in kept)
    assert [first[name] for name in kept] == [second[name] for name in kept]
    given = config.load(str(tmp_path), {"DESK_ENV": "development", "TWILIO_AUTH_TOKEN": "real"})
    assert given["TWILIO_AUTH_TOKEN"] == "real"
    assert (tmp_path / "development-keys.json").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("url", "uri"),
    [
        (None, "sqlite:////srv/instance/desk.db"),
        ("postgresql://db.internal/desk", "postgresql+psycopg://db.internal/desk"),
        ("postgres://db.internal/desk", "postgresql+psycopg://db.internal/desk"),
        ("postgresql+psycopg://db/desk", "postgresql+psycopg://db/desk"),
    ],
)
def test_database_url(url: str | None, uri: str) -> None:
    assert config.database_uri(url, "/srv/instance") == uri


def test_settings_are_parsed_from_the_environment(tmp_path: Path) -> None:
    loaded = config.load(
        str(tmp_path), {"DESK_THROTTLE_FAILURES": "4", "DESK_PUBLIC_URL": "https://d.example"}
    )
    assert loaded["DESK_THROTTLE_FAILURES"] == 4
    assert loaded["DESK_PUBLIC_URL"] == "https://d.example"
    assert loaded["SESSION_COOKIE_SECURE"] is True


PRODUCTION = {
    "SECRET_KEY": "k",
    "DESK_TOTP_KEY": Fernet.generate_key().decode(),
    "DATABASE_URL": "postgresql://desk@db.internal/desk",
    "DESK_PUBLIC_URL": "https://desk.example.org",
    "DESK_PROXY_HOPS": "1",
}
SHARED_COUNTS = {"DESK_RATE_LIMIT_STORAGE": "redis://127.0.0.1:6379/0"}


@pytest.mark.parametrize(
    ("environ", "overrides", "is_refused"),
    [
        (PRODUCTION, {}, True),
        (PRODUCTION, {"TESTING": True}, True),
        ({**PRODUCTION, **SHARED_COUNTS}, {}, False),
        ({**PRODUCTION, "DESK_ENV": "development"}, {}, False),
        (PRODUCTION, {"TESTING": True, "RATELIMIT_ENABLED": False}, False),
    ],
)
def test_production_counts_rate_limits_in_storage_every_worker_shares(
    tmp_path: Path, environ: dict[str, str], overrides: dict[str, Any], is_refused: bool
) -> None:
    settings = {**config.load(str(tmp_path), environ), **overrides}
    if is_refused:
        with pytest.raises(RuntimeError, match="memory:// counts in each worker alone"):
            config.check(settings)
    else:
        config.check(settings)


ON_SQLITE = {**PRODUCTION, **SHARED_COUNTS, "DATABASE_URL": ""}


@pytest.mark.parametrize(
    ("environ", "overrides", "is_refused"),
    [
        (ON_SQLITE, {}, True),
        ({**ON_SQLITE, "DATABASE_URL": "sqlite:////srv/desk/desk.db"}, {}, True),
        ({**ON_SQLITE, "DATABASE_URL": "mysql://db.internal/desk"}, {}, True),
        ({**PRODUCTION, **SHARED_COUNTS}, {}, False),
        ({**ON_SQLITE, "DESK_ENV": "development"}, {}, False),
        (ON_SQLITE, {"TESTING": True}, False),
    ],
)
def test_a_production_desk_runs_on_postgresql_only(
    tmp_path: Path, environ: dict[str, str], overrides: dict[str, Any], is_refused: bool
) -> None:
    settings = {**config.load(str(tmp_path), environ), **overrides}
    if is_refused:
        with pytest.raises(
            RuntimeError, match="production desk runs on PostgreSQL: set DATABASE_URL"
        ):
            config.check(settings)
    else:
        config.check(settings)


def test_the_migrations_url_is_read_as_the_desks_own_is(tmp_path: Path) -> None:
    loaded = config.load(
        str(tmp_path), {**PRODUCTION, "DESK_MIGRATE_DATABASE_URL": "postgres://owner@db/desk"}
    )
    assert loaded["DESK_MIGRATE_DATABASE_URL"] == "postgresql+psycopg://owner@db/desk"
    assert config.load(str(tmp_path), PRODUCTION)["DESK_MIGRATE_DATABASE_URL"] is None


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("DESK_TOTP_KEY", "not-a-fernet-key", "DESK_TOTP_KEY must be a Fernet key"),
        ("DESK_OPENING_HOURS", "weekdays 9 to 5", "cannot read"),
        ("DESK_TIMEZONE", "Mars/Olympus", "DESK_TIMEZONE"),
        ("TESTING", False, "DESK_TELEPHONY=local is for development desks and tests only"),
    ],
)
def test_unreadable_settings_stop_the_desk_starting(
    setting: str, value: object, message: str
) -> None:
    from tests.conftest import TEST_CONFIG

    on_postgresql = {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db.internal/desk"}
    with pytest.raises(RuntimeError, match=message):
        create_app({**TEST_CONFIG, **on_postgresql, setting: value})


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"DESK_PUBLIC_URL": ""}, "DESK_PUBLIC_URL must be set to the URL Twilio calls"),
        ({"DESK_PUBLIC_URL": "http://desk.example.org"}, "must be an https:// URL"),
        ({"DESK_PROXY_HOPS": ""}, "DESK_PROXY_HOPS must be set"),
    ],
)
def test_production_refuses_to_start_without_its_public_url_and_proxy_count(
    tmp_path: Path, environ: dict[str, str], message: str
) -> None:
    redis = {"DESK_RATE_LIMIT_STORAGE": "redis://127.0.0.1:6379/0"}
    settings = config.load(str(tmp_path), {**PRODUCTION, **redis, **environ})
    with pytest.raises(RuntimeError, match=message):
        config.check(settings)


def test_a_development_desk_needs_neither_and_trusts_no_proxy(tmp_path: Path) -> None:
    settings = config.load(str(tmp_path), {"DESK_ENV": "development"})
    config.check(settings)
    assert settings["DESK_PROXY_HOPS"] == 0
