"""No route is open by accident. Walked from the URL map, so a new route is checked unasked:
every form post needs its CSRF token, and every page but a few public ones needs a member of
staff in one of the roles its view names. (The webhooks' signatures: tests/ivr.)
"""

from urllib.parse import quote

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from desk.app import create_app
from desk.core.credentials.hashing import Hasher
from desk.staff import passwords
from desk.staff.models import Role
from tests.conftest import TEST_CONFIG
from tests.factories import make_staff
from tests.pages import csrf_token, sign_in
from tests.routes import Route, desk, route_id, routes, walked
from tests.stored import row_counts

# Open to anyone, each for its reason; every other endpoint must name the roles it lets in.
PUBLIC_ENDPOINTS = {
    "static": "The stylesheet and scripts every page loads, the sign-in page's included.",
    "home.index": "The front page: says what the desk is and links to sign in; shows no data "
    "(and sends the signed-in on to their work).",
    "home.health": "The load balancer's liveness check: says only that the process answers.",
    "home.ready": "The readiness check: each part's state, no secret and nobody's details.",
    "home.prometheus": "Prometheus' scrape: counts with no identifier, and answered only to "
    "loopback connections that did not come through the proxy (404 to everyone else).",
    "auth.sign_in": "Where the signed-out are sent: it cannot itself need signing in.",
    "auth.sign_out": "Does nothing for someone not signed in, and must work for any role.",
}
PUBLIC_BLUEPRINTS = {
    "ivr": "Twilio's webhooks: Twilio has no session, and each must carry its signature "
    "instead (tests/ivr/test_webhook_security.py walks them).",
    "devphone": "The dev phone: a practitioner calling has no desk account; it exists only on "
    "a desk with local telephony, never in production (tested below).",
}

# Methods that change something: the ones a CSRF token must come with.
SAFE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

STAFF = {
    Role.OPERATOR: "olive",
    Role.SUPERVISOR: "sue",
    Role.ADMIN: "ada",
    Role.LA_OFFICER: "otto",
    Role.MANAGER: "mona",
}

ROUTES = routes()
PUBLIC = [r for r in ROUTES if r.endpoint in PUBLIC_ENDPOINTS or r.blueprint in PUBLIC_BLUEPRINTS]
STAFF_PAGES = [route for route in ROUTES if route not in PUBLIC]
# Every post but the webhooks', which the Twilio signature guards in the token's place.
FORMS = [route for route in ROUTES if route.method not in SAFE and route.blueprint != "ivr"]


def named_roles(view: object) -> tuple[Role, ...]:
    """The roles a view's role_required(...) lets in; none for a view without one."""
    roles: tuple[Role, ...] = getattr(view, "allowed_roles", ())
    return roles


# Each staff page with each role it does not name, and with each it does.
OTHER_ROLES = [
    (route, role)
    for route in STAFF_PAGES
    for role in Role
    if role not in named_roles(desk().view_functions[route.endpoint])
]
OWN_ROLES = [
    (route, role)
    for route in STAFF_PAGES
    for role in named_roles(desk().view_functions[route.endpoint])
]


@pytest.fixture(autouse=True)
def csrf_on(app: Flask) -> None:
    """CSRF checked as in production, whatever the test settings (`app` restores them after)."""
    app.config["WTF_CSRF_ENABLED"] = True


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Staff passwords hashed at the least cost: these tests sign in some seventy times, and
    check what happens after signing in, not the hash (tests/desk/staff does that).
    """
    cheap = Hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(passwords, "_hasher", cheap)


def allowed_roles(app: Flask, route: Route) -> tuple[Role, ...]:
    """The roles the route's view in `app` names."""
    return named_roles(app.view_functions[route.endpoint])


def pair_id(value: object) -> str:
    return route_id(value) if isinstance(value, Route) else f"as {value}"


def request(client: FlaskClient, route: Route, token: str | None = None) -> TestResponse:
    """The route's request; a form post carries `token` as its CSRF token, when given one."""
    form = None if route.method in SAFE else ({"csrf_token": token} if token else {})
    return client.open(route.path, method=route.method, data=form)


def signed_in(app: Flask, client: FlaskClient, role: Role) -> str:
    """Sign in as a new member of staff in `role`; a CSRF token of their session's own."""
    with app.app_context():
        # An officer is always scoped to an authority (Rochdale, the test index's).
        scopes = ("E08000005",) if role is Role.LA_OFFICER else ()
        make_staff(username=STAFF[role], name=STAFF[role].title(), role=role, scopes=scopes)
    assert sign_in(client, STAFF[role]).status_code == 302
    return csrf_token(client, "/")


def test_the_walk_covers_the_desk_under_test(app: Flask) -> None:
    """The walk is not empty, sees the routes the tests run against, and its lists are current."""
    assert sorted(map(str, walked(app))) == sorted(map(str, ROUTES))
    endpoints = {route.endpoint for route in ROUTES}
    assert set(PUBLIC_ENDPOINTS) <= endpoints, "a public endpoint listed here no longer exists"
    assert set(PUBLIC_BLUEPRINTS) <= {route.blueprint for route in ROUTES}
    assert len([r for r in STAFF_PAGES if r.blueprint == "console"]) >= 12
    # The audit report moved to the managers' pages (manager), beside the officers' (authority).
    assert len([r for r in STAFF_PAGES if r.blueprint == "review"]) >= 4
    assert len([r for r in STAFF_PAGES if r.blueprint == "manager"]) >= 3
    assert len([r for r in STAFF_PAGES if r.blueprint == "authority"]) >= 8
    assert len([r for r in FORMS if r.blueprint == "console"]) >= 8
    assert len([r for r in FORMS if r.blueprint == "review"]) >= 1
    assert {"auth.sign_in", "auth.sign_out", "devphone.dial"} <= {r.endpoint for r in FORMS}
    assert {role for route in STAFF_PAGES for role in allowed_roles(app, route)} == set(Role)
    for route in STAFF_PAGES:
        assert named_roles(desk().view_functions[route.endpoint]) == allowed_roles(app, route)


def test_the_public_dev_phone_exists_only_on_a_desk_with_local_telephony(
    database_uri: str,
) -> None:
    """A production desk, on Twilio, has no dev phone for anyone to place calls from."""
    config = {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_uri, "DESK_TELEPHONY": "twilio"}
    assert [route for route in walked(create_app(config)) if route.blueprint == "devphone"] == []


@pytest.mark.parametrize("route", STAFF_PAGES, ids=route_id)
def test_every_staff_page_names_the_roles_it_lets_in(app: Flask, route: Route) -> None:
    """A page added without role_required(...) fails here, unless it is listed as public."""
    roles = allowed_roles(app, route)
    assert roles, f"{route} has no role_required(...): add one, or list it as public, and why"
    assert set(roles) <= set(Role)


@pytest.mark.parametrize("route", FORMS, ids=route_id)
def test_every_form_post_without_its_csrf_token_is_refused(
    app: Flask, client: FlaskClient, route: Route
) -> None:
    """Another site cannot make a signed-in member of staff's browser post to the desk."""
    # Signed in as someone the view lets in, so that the refusal is CSRF's and not the role
    # check's; a public form is posted from an operator's session, sign-in from nobody's.
    roles = allowed_roles(app, route) or (Role.OPERATOR,)
    sender = None if route.endpoint == "auth.sign_in" else roles[0]
    if sender is not None:
        signed_in(app, client, sender)
    # The attacker's own token is valid, but for their session, not the victim's.
    attackers = csrf_token(app.test_client(), "/sign-in")
    before = row_counts(app)
    for token in (None, "made-up", attackers):
        response = request(client, route, token)
        assert response.status_code == 400, (token, response.status_code)
        assert "This form has expired or was not sent from the desk" in response.text
    assert row_counts(app) == before
    if sender is not None:
        assert "Sign out" in client.get("/", follow_redirects=True).text, (
            "the refused post signed them out"
        )


@pytest.mark.parametrize("route", STAFF_PAGES, ids=route_id)
def test_every_staff_page_sends_the_signed_out_to_sign_in(
    app: Flask, client: FlaskClient, route: Route
) -> None:
    """Signed out, every page and form of the console and review goes to sign-in, and back."""
    token = csrf_token(client, "/sign-in")  # a valid one: the refusal must be the sign-in check's
    before = row_counts(app)
    response = request(client, route, token)
    assert response.status_code == 302
    assert response.location == f"/sign-in?next={quote(route.path, safe='')}"
    assert row_counts(app) == before


@pytest.mark.parametrize(("route", "role"), OTHER_ROLES, ids=pair_id)
def test_each_staff_page_refuses_the_roles_it_does_not_name(
    app: Flask, client: FlaskClient, route: Route, role: Role
) -> None:
    """A member of staff in a role the page does not name gets the 403 page, and changes nothing."""
    token = signed_in(app, client, role)
    before = row_counts(app)
    response = request(client, route, token)
    assert response.status_code == 403
    assert "You cannot open this page" in response.text
    assert row_counts(app) == before


@pytest.mark.parametrize(("route", "role"), OWN_ROLES, ids=pair_id)
def test_each_staff_page_lets_in_the_roles_it_names(
    app: Flask, client: FlaskClient, route: Route, role: Role
) -> None:
    """The roles a page names get past its check, whatever it makes of a made-up call or form."""
    response = request(client, route, signed_in(app, client, role))
    assert response.status_code != 403
    assert not (response.location or "").startswith("/sign-in")
