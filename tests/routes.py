"""Every route the desk serves, read from its URL map: the lists the route-walking tests use.

The lists are built when the tests are collected, from a desk made as the `app` fixture makes
it, so a route added to any blueprint is walked without anyone adding it to a test.
tests/desk/web/test_route_protection.py checks that this desk has the same routes as the one
the tests run against.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from flask import Flask
from werkzeug.routing import IntegerConverter, Rule, UUIDConverter

from desk.app import create_app
from tests.conftest import TEST_CONFIG

# Methods Werkzeug answers by itself for every rule: not a view's own.
AUTOMATIC = frozenset({"HEAD", "OPTIONS"})

# What the desk's own URLs carry in their variables: a call's public id and a record's token
# are secrets.token_urlsafe(16); a dev phone call is named by a Twilio-style CallSid.
PLAUSIBLE = {
    "filename": "desk.css",
    "public_id": "q3Vx0b1N2c3D4e5F6g7Hwg",
    "token": "Zr8Kp2Lm4Nq6Rs8Tu0Vw2g",
    "sid": "CA" + "0" * 32,
}


@dataclass(frozen=True)
class Route:
    """One method of one URL rule, with a path to request it by."""

    endpoint: str
    method: str
    rule: str
    path: str

    @property
    def blueprint(self) -> str:
        """The blueprint the view belongs to; "" for the app's own (static)."""
        return self.endpoint.rpartition(".")[0]

    def __str__(self) -> str:
        return f"{self.method} {self.rule}"


def plausible(rule: Rule, name: str) -> str:
    """A value for one of the rule's variables, of the kind the desk itself would put there."""
    if name in PLAUSIBLE:
        return PLAUSIBLE[name]
    converter = rule._converters[name]
    if isinstance(converter, IntegerConverter):
        return "1"
    if isinstance(converter, UUIDConverter):
        return str(uuid.UUID(int=1))
    return "example"


def walked(app: Flask) -> Iterator[Route]:
    """Each method of each rule in the app's URL map, in the map's order."""
    for rule in app.url_map.iter_rules():
        built = rule.build({name: plausible(rule, name) for name in rule.arguments})
        assert built is not None, f"{rule.rule} refuses the values given for its variables"
        _, path = built
        for method in sorted((rule.methods or set()) - AUTOMATIC):
            yield Route(rule.endpoint, method, rule.rule, path)


@cache
def desk() -> Flask:
    """The desk as the tests' `app` fixture builds it; only its URL map and views are read."""
    # Never connected to: nothing here touches the database.
    unused = "postgresql+psycopg://127.0.0.1:5432/unused"
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": unused})


def routes() -> list[Route]:
    """Every route of the desk under test."""
    return list(walked(desk()))


def route_id(route: Route) -> str:
    """How a route names its test case: `POST /ivr/voice`."""
    return str(route)
