"""The staff session cookie: what the console keeps in it cannot be read from a copy of it."""

import base64
import contextlib
import zlib

from flask import Flask
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from desk.core.sealed_session import SealedSessionInterface

KEPT = {"desk.kept": {"call": "C1", "forms": {"search": {"typed": {"family_name": "Quarrington"}}}}}


def cookie_of(app: Flask, data: dict[str, object], interface: SecureCookieSessionInterface) -> str:
    with app.test_request_context():
        response = app.response_class()
        session = SecureCookieSession(data)
        session.modified = True
        interface.save_session(app, session, response)
        [header] = response.headers.getlist("Set-Cookie")
    return header.split(";")[0].split("=", 1)[1]


def opened(app: Flask, cookie: str) -> dict[str, object]:
    name = app.config["SESSION_COOKIE_NAME"]
    with app.test_request_context(headers={"Cookie": f"{name}={cookie}"}) as context:
        session = app.session_interface.open_session(app, context.request)
    assert session is not None
    return dict(session)


def every_reading(cookie: str) -> list[bytes]:
    """The cookie's payload as anyone holding it could decode it: base64, then zlib."""
    payload = cookie.removeprefix(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    readings = [cookie.encode(), raw]
    with contextlib.suppress(zlib.error):
        readings.append(zlib.decompress(raw))
    return readings


def test_the_cookie_opens_to_what_was_kept_and_says_nothing_of_it(app: Flask) -> None:
    assert isinstance(app.session_interface, SealedSessionInterface)
    cookie = cookie_of(app, KEPT, app.session_interface)
    assert opened(app, cookie) == KEPT
    assert not any(b"Quarrington" in reading for reading in every_reading(cookie))
    # Flask's own cookie, signed but not sealed, gives it away to anyone who decodes it.
    plain = cookie_of(app, KEPT, SecureCookieSessionInterface())
    assert any(b"Quarrington" in reading for reading in every_reading(plain))


def test_a_cookie_that_is_altered_forged_or_from_before_sealing_opens_empty(app: Flask) -> None:
    cookie = cookie_of(app, KEPT, app.session_interface)
    altered = cookie[:10] + ("A" if cookie[10] != "A" else "B") + cookie[11:]
    assert opened(app, altered) == {}
    # Signed with the same SECRET_KEY, but by Flask's own session: signed out, not an error.
    assert opened(app, cookie_of(app, KEPT, SecureCookieSessionInterface())) == {}
    other = Flask("other")
    other.secret_key = "not the desk's key"
    assert opened(app, cookie_of(other, KEPT, SealedSessionInterface())) == {}
