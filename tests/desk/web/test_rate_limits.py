"""Rate limits: sign-in per address, the keypad webhooks per call, each with a clear answer.

Counted in Redis, as production counts them (it refuses `memory://`), under keys of each
test's own: other checkouts may be testing on the same Redis at the same time.
"""

import os
import secrets
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from desk.app import create_app
from desk.dev.simulator import Twilio
from desk.staff.views import NOT_RECOGNISED
from ivr import flow
from tests.conftest import TEST_CONFIG
from tests.factories import PHONE
from tests.pages import submit

REDIS_URL = os.environ.get("DESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def in_redis() -> dict[str, Any]:
    """Settings that turn the rate limits on, counted in Redis under a key prefix of their own."""
    try:
        Redis.from_url(REDIS_URL).ping()
    except RedisConnectionError:
        pytest.fail(
            f"no Redis at {REDIS_URL}: production counts rate limits in Redis, and so do these "
            "tests (start redis-server, or point DESK_TEST_REDIS_URL at one)"
        )
    return {
        "RATELIMIT_ENABLED": True,
        "DESK_RATE_LIMIT_STORAGE": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": f"desk-test-{secrets.token_hex(8)}",
    }


@pytest.fixture
def limited(app: Flask, database_uri: str, in_redis: dict[str, Any]) -> Flask:
    """The desk with its rate limits on, in this test's rolled-back transaction."""
    return create_app(
        {
            **TEST_CONFIG,
            **in_redis,
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "DESK_IVR_RATE_LIMIT": "3/minute",
        }
    )


def guess(client: FlaskClient) -> int:
    details = {"username": "mallory", "password": "guess", "code": "000000"}
    response = submit(client, "/sign-in", details)
    if response.status_code == 200:
        assert NOT_RECOGNISED in response.text
    return response.status_code


def test_the_eleventh_sign_in_in_a_minute_from_one_address_is_refused(limited: Flask) -> None:
    client = limited.test_client()
    assert [guess(client) for _ in range(10)] == [200] * 10
    refused = submit(client, "/sign-in", {"username": "olive", "password": "x", "code": "1"})
    assert refused.status_code == 429
    assert "Too many attempts" in refused.text
    assert client.get("/sign-in").status_code == 200  # the form itself is still shown
    elsewhere = limited.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert guess(elsewhere) == 200


def test_a_limited_webhook_still_answers_safe_twiml(limited: Flask) -> None:
    twilio = Twilio(limited.test_client(), TEST_CONFIG["TWILIO_AUTH_TOKEN"])
    phone = twilio.call(PHONE)
    for _ in range(3):
        assert flow.WELCOME.encode() in twilio.post("/ivr/voice", phone.params()).data
    limited_answer = twilio.post("/ivr/voice", phone.params())
    assert limited_answer.status_code == 200 and limited_answer.mimetype == "text/xml"
    assert flow.UNAVAILABLE.encode() in limited_answer.data
    other = twilio.call("+447700900456")
    assert flow.WELCOME.encode() in twilio.post("/ivr/voice", other.params()).data


def test_unsigned_requests_cannot_spend_a_calls_allowance(limited: Flask) -> None:
    client = limited.test_client()
    twilio = Twilio(client, TEST_CONFIG["TWILIO_AUTH_TOKEN"])
    phone = twilio.call(PHONE)
    unsigned = [client.post("/ivr/voice", data=phone.params()) for _ in range(5)]
    assert [r.status_code for r in unsigned] == [403, 403, 403, 200, 200]
    assert all(flow.UNAVAILABLE.encode() in r.data for r in unsigned[3:])
    assert flow.WELCOME.encode() in twilio.post("/ivr/voice", phone.params()).data


def test_every_worker_shares_one_count(
    app: Flask, database_uri: str, in_redis: dict[str, Any]
) -> None:
    # `app` holds both workers' sessions in its rolled-back transaction: their failed sign-ins
    # are audited, and must not stay in the log for the tests after.
    config = {**TEST_CONFIG, **in_redis, "SQLALCHEMY_DATABASE_URI": database_uri}
    config["DESK_SIGN_IN_RATE_LIMIT"] = "2/minute"
    first, second = create_app(config), create_app(config)
    # Two workers, one count: the third guess is refused by the other process's app.
    assert guess(first.test_client()) == 200
    assert guess(second.test_client()) == 200
    assert guess(first.test_client()) == 429


def test_behind_a_proxy_each_client_has_its_own_count(
    app: Flask, database_uri: str, in_redis: dict[str, Any]
) -> None:
    config = {**TEST_CONFIG, **in_redis, "SQLALCHEMY_DATABASE_URI": database_uri}
    proxied = create_app({**config, "DESK_PROXY_HOPS": 1, "DESK_SIGN_IN_RATE_LIMIT": "2/minute"})

    def from_address(address: str, forged: str = "") -> FlaskClient:
        client = proxied.test_client()
        client.environ_base["REMOTE_ADDR"] = "10.0.0.2"  # every request comes from the proxy
        # The proxy appends the address it saw; a client may send any value before it.
        hops = f"{forged}, {address}" if forged else address
        client.environ_base["HTTP_X_FORWARDED_FOR"] = hops
        return client

    assert [guess(from_address("198.51.100.1")) for _ in range(2)] == [200, 200]
    assert guess(from_address("198.51.100.1")) == 429
    assert guess(from_address("198.51.100.2")) == 200  # another operator is not held back
    # A forged address before the proxy's own does not buy a fresh count.
    assert guess(from_address("198.51.100.1", forged="203.0.113.9")) == 429


@pytest.fixture
def redis_down(app: Flask, database_uri: str) -> Flask:
    """The desk with its rate limits counted in a Redis that does not answer."""
    return create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "RATELIMIT_ENABLED": True,
            "DESK_RATE_LIMIT_STORAGE": "redis://127.0.0.1:1/0",
        }
    )


def test_with_redis_down_signing_in_says_it_is_temporarily_unavailable(redis_down: Flask) -> None:
    client = redis_down.test_client()
    details = {"username": "olive", "password": "a-long-password", "code": "123456"}
    response = submit(client, "/sign-in", details)
    assert response.status_code == 503
    assert "temporarily unavailable" in response.text
    assert client.get("/sign-in").status_code == 200


def test_with_redis_down_a_caller_hears_the_safe_message(redis_down: Flask) -> None:
    twilio = Twilio(redis_down.test_client(), TEST_CONFIG["TWILIO_AUTH_TOKEN"])
    response = twilio.post("/ivr/voice", twilio.call(PHONE).params())
    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert flow.UNAVAILABLE.encode() in response.data
