"""Each role lands on its own work after signing in, and the desk's front page sends it back
there: an operator on the queue, a supervisor on review, an officer on brokered requests, a
manager on the audit report, an administrator on administration."""

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from desk.staff.models import Role
from tests.browser.conftest import sign_in_page
from tests.factories import make_staff

SECRET = "KRUHKZLMNFXGIYLOMRUW4Z3MMFXGI2LO"
ROCHDALE = "E08000005"

LANDINGS = [
    (Role.OPERATOR, "/console/", "Callers waiting"),
    (Role.SUPERVISOR, "/review/", "Mediated calls"),
    (Role.LA_OFFICER, "/authority/", "Brokered contact requests"),
    (Role.MANAGER, "/manager/", "Audit report"),
    (Role.ADMIN, "/admin/", "Practitioners"),
]


@pytest.mark.parametrize(("role", "path", "heading"), LANDINGS, ids=[r.value for r, *_ in LANDINGS])
def test_signing_in_lands_on_the_roles_work_and_the_front_page_returns_there(
    live_app: Flask, live_url: str, page: Page, role: Role, path: str, heading: str
) -> None:
    username = f"tour-{role.value}"
    with live_app.app_context():
        scopes = (ROCHDALE,) if role is Role.LA_OFFICER else ()
        make_staff(
            username=username,
            name=f"Tour {role.label}",
            role=role,
            totp_secret=SECRET,
            scopes=scopes,
        )

    sign_in_page(page, live_url, username, SECRET)
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    assert page.url == f"{live_url}{path}"
    assert page.get_by_text("/ivr/voice").count() == 0  # no developer's notes on anyone's way

    page.goto(f"{live_url}/")
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    assert page.url == f"{live_url}{path}"


def test_the_front_page_signed_out_offers_sign_in_and_no_webhook_urls(
    live_url: str, page: Page
) -> None:
    page.goto(f"{live_url}/")
    page.get_by_role("link", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.goto(f"{live_url}/")
    assert page.get_by_text("/ivr/voice").count() == 0
