"""Using the desk's pages as a browser would: fetch a form, send it back with its CSRF token."""

from html.parser import HTMLParser

import pyotp
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.factories import STAFF_PASSWORD, STAFF_SECRET


class _TokenFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tokens: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        fields = dict(attrs)
        if tag == "input" and fields.get("name") == "csrf_token" and fields.get("value"):
            self.tokens.append(fields["value"] or "")


def csrf_token(client: FlaskClient, page: str) -> str:
    """The CSRF token a form on `page` carries, as a browser would get it (redirects followed:
    the front page sends the signed-in on to their work)."""
    response = client.get(page, follow_redirects=True)
    assert response.status_code == 200, (page, response.status_code)
    return token_in(response.text)


def token_in(html: str) -> str:
    """The CSRF token of the first form in a page's HTML."""
    finder = _TokenFinder()
    finder.feed(html)
    assert finder.tokens, "no form with a CSRF token on the page"
    return finder.tokens[0]


def submit(
    client: FlaskClient, page: str, data: dict[str, str], action: str | None = None
) -> TestResponse:
    """Fetch `page`, then post `data` with the page's CSRF token to `action` (default: `page`)."""
    token = csrf_token(client, page)
    return client.post(action or page, data={**data, "csrf_token": token})


def staff_code(secret: str = STAFF_SECRET) -> str:
    """The code a member of staff's authenticator app shows now."""
    return pyotp.TOTP(secret).now()


def sign_in(
    client: FlaskClient,
    username: str = "olive",
    password: str = STAFF_PASSWORD,
    code: str | None = None,
    page: str = "/sign-in",
) -> TestResponse:
    """Sign in through the sign-in page; the code defaults to the one showing now."""
    details = {"username": username, "password": password, "code": code or staff_code()}
    return submit(client, page, details)


def sign_out(client: FlaskClient) -> TestResponse:
    """Press the Sign out button at the top of the page the front page leads to."""
    return submit(client, "/", {}, action="/sign-out")
