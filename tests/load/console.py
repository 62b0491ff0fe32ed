"""An operator at the console over HTTP, taking and handling calls as a browser would."""

import random
import re
from dataclasses import dataclass, field

import pyotp
import requests

from tests.factories import STAFF_PASSWORD
from tests.load.server import REQUEST_TIMEOUT
from tests.pages import token_in


class Unexpected(Exception):
    """The desk answered an operator's step other than as the console's pages lead."""


@dataclass
class Operator:
    """One operator at the console over HTTP, as a browser would use it."""

    base: str
    username: str
    secret: str
    session: requests.Session = field(default_factory=requests.Session)
    wrapped: int = 0
    refused: int = 0

    def get(self, path: str, expect: int = 200) -> requests.Response:
        r = self.session.get(self.base + path, allow_redirects=False, timeout=REQUEST_TIMEOUT)
        if r.status_code != expect:
            raise Unexpected(f"GET {path}: {r.status_code}, not {expect}")
        return r

    def post(self, path: str, data: dict[str, str], token: str) -> str:
        """POST a form; the path it redirects to (every step answers with a redirect)."""
        r = self.session.post(
            self.base + path,
            data={**data, "csrf_token": token},
            # As a browser sends it: over HTTPS, Flask-WTF refuses a post without a same-origin
            # Referer (the form's own page will do; every check is of its origin).
            headers={"Referer": self.base + path},
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT,
        )
        if r.status_code != 302:
            raise Unexpected(f"POST {path}: {r.status_code}, not a redirect")
        # The page it goes to, without the part of it scrolled to (a search goes to #results).
        return re.sub(r"^https?://[^/]+", "", r.headers["Location"]).split("#")[0]

    def sign_in(self) -> None:
        token = token_in(self.get("/sign-in").text)
        details = {
            "username": self.username,
            "password": STAFF_PASSWORD,
            "code": pyotp.TOTP(self.secret).now(),
        }
        if self.post("/sign-in", details, token) != "/":
            raise Unexpected(f"{self.username} was not signed in")

    def take_one(self) -> str | None:
        """Take a call from the queue's rows: the call's page, or None (empty, or beaten)."""
        rows = self.get("/console/queue/rows").text
        takes = re.findall(r'action="(/console/calls/[^"/]+/take)"', rows)
        if not takes:
            return None
        landed = self.post(random.choice(takes), {}, token_in(rows))  # nosec B311
        if landed.startswith("/console/calls/"):
            return landed
        self.get(landed)  # the queue, showing why: another operator took it first
        self.refused += 1
        return None

    def take(self, public_id: str) -> str:
        """Take this call, which must be waiting in the queue's rows: the call's page."""
        rows = self.get("/console/queue/rows").text
        action = f"/console/calls/{public_id}/take"
        if f'action="{action}"' not in rows:
            raise Unexpected("the call is not in the queue")
        landed = self.post(action, {}, token_in(rows))
        if not landed.startswith("/console/calls/"):
            raise Unexpected(f"taking the call led to {landed}")
        return landed

    def handle(self, page: str) -> None:
        """Identity, purpose, a search, open the record found, read an item back, wrap up."""
        token = token_in(self.get(page).text)
        for step, data in (
            ("identity", {"is_confirmed": "y"}),
            ("purpose", {"purpose": "find_professionals"}),
            ("search", {"family_name": "O'Neill", "date_of_birth": "2015-03-14"}),
        ):
            if self.post(f"{page}/{step}", data, token) != page:
                raise Unexpected(f"{step} did not return to the call")
        shown = self.get(page).text
        links = re.findall(r'href="(/console/calls/[^"]+/records/[^"]+)"', shown)
        if len(links) != 1:
            raise Unexpected(f"the search found {len(links)} records, not 1")
        record, token_there = links[0], token_in(self.get(links[0]).text)
        if self.post(f"{record}/read-back", {"item_key": "child.address"}, token_there) != record:
            raise Unexpected("read-back did not return to the record")
        if self.post(f"{page}/wrap-up", {"code": "information_given"}, token) != "/console/":
            raise Unexpected("wrap-up did not return to the queue")
        self.wrapped += 1
