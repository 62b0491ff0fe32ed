"""Every role's pages, in their empty and refused states, as tests: axe-core finds no WCAG 2.2 A
or AA violation, nothing scrolls sideways at 320 CSS pixels, and keyboard focus shows at 3:1.

The operator's call pages (each step, refused, shielded, other services) are walked in
test_console_trust.py; the dev phone's keys are tested by keyboard here.
"""

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from desk.staff.models import Role
from tests.browser.conftest import (
    assert_accessible,
    assert_focus_visible,
    assert_reflows,
    screenshot,
    sign_in_page,
)
from tests.children import ROCHDALE
from tests.factories import make_practitioner, make_staff

# Staff unique in the committed database the browser tests share.
STAFF = {
    Role.OPERATOR: ("gov-opal", "KRUGS4ZANFZSA43FMNRXEZLUEBVWK6KA"),
    Role.SUPERVISOR: ("gov-sian", "KRUGS4ZANFZSA43FMNRXEZLUEBVWK6KB"),
    Role.LA_OFFICER: ("gov-owen", "KRUGS4ZANFZSA43FMNRXEZLUEBVWK6KC"),
    Role.ADMIN: ("gov-ada", "KRUGS4ZANFZSA43FMNRXEZLUEBVWK6KD"),
    Role.MANAGER: ("gov-mo", "KRUGS4ZANFZSA43FMNRXEZLUEBVWK6KE"),
}
PRACTITIONER = "46000010"

# What each role's journey opens, as paths; the page's own heading shows it arrived.
PAGES = {
    Role.OPERATOR: ["/console/", "/console/live", "/console/softphone"],
    Role.SUPERVISOR: ["/review/", "/review/dashboard", "/review/wallboard", "/console/live"],
    Role.LA_OFFICER: ["/authority/", "/authority/shields"],
    Role.ADMIN: [
        "/admin/",
        f"/admin/practitioners/{PRACTITIONER}",
        "/admin/staff",
        "/admin/lapsing",
    ],
    Role.MANAGER: ["/manager/", "/manager/subject"],
}
# Every kind of control a page may have, for the focus check.
FOCUSABLE = "main a[href], main button, main input:not([type=hidden]), main select, main textarea"


def checked(page: Page, name: str) -> None:
    assert_accessible(page)
    assert_reflows(page)
    assert_focus_visible(page, f"{FOCUSABLE}, .govuk-service-navigation a")
    screenshot(page, f"a11y-{name}")


@pytest.fixture(scope="module", autouse=True)
def staff(live_app: Flask) -> None:
    with live_app.app_context():
        make_practitioner(practitioner_id=PRACTITIONER, phones=("+447700900461",))
        for role, (username, secret) in STAFF.items():
            make_staff(
                username=username,
                name=f"{username[4:].title()} Tester",
                role=role,
                totp_secret=secret,
                scopes=(ROCHDALE,) if role is Role.LA_OFFICER else (),
            )


def test_signed_out_pages_and_a_refused_sign_in(live_url: str, page: Page) -> None:
    page.goto(f"{live_url}/")
    checked(page, "home")
    page.goto(f"{live_url}/sign-in")
    checked(page, "sign-in")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    checked(page, "sign-in-refused")
    page.goto(f"{live_url}/no-such-page")
    checked(page, "not-found")


@pytest.mark.parametrize("role", list(PAGES), ids=lambda role: role.value)
def test_every_page_of_each_role_passes_axe_reflows_and_shows_focus(
    live_url: str, page: Page, role: Role
) -> None:
    username, secret = STAFF[role]
    sign_in_page(page, live_url, username, secret)
    for path in PAGES[role]:
        page.goto(f"{live_url}{path}")
        expect(page.locator("h1")).to_be_visible()
        checked(page, f"{role.value}{path.replace('/', '-')}")


def test_refused_forms_of_each_role_pass_axe_and_reflow(live_url: str, page: Page) -> None:
    username, secret = STAFF[Role.SUPERVISOR]
    sign_in_page(page, live_url, username, secret)
    page.goto(f"{live_url}/review/?date_from-day=31&date_from-month=2&date_from-year=2026")
    expect(page.get_by_role("alert")).to_be_visible()
    checked(page, "review-filters-refused")

    page.context.clear_cookies()
    username, secret = STAFF[Role.LA_OFFICER]
    sign_in_page(page, live_url, username, secret)
    page.goto(f"{live_url}/authority/shields")
    page.get_by_role("button", name=re.compile("shield", re.I)).first.click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    checked(page, "shield-refused")

    page.context.clear_cookies()
    username, secret = STAFF[Role.MANAGER]
    sign_in_page(page, live_url, username, secret)
    page.goto(f"{live_url}/manager/?date_from-day=&date_to-day=")
    checked(page, "report-refused")


def test_the_dev_phone_is_operable_by_keyboard_and_its_keys_read_as_labelled(
    live_url: str, page: Page
) -> None:
    page.goto(f"{live_url}/devphone")
    # Each key is named as it reads: the digit and its letters.
    expect(page.get_by_role("button", name="2 ABC", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="7 PQRS", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="1", exact=True)).to_be_visible()
    checked(page, "devphone")

    # By keyboard alone: Tab reaches the keys and the call button, which Enter presses.
    reached = []
    for _ in range(30):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.textContent.trim()"))
        if reached[-1] == "Call the desk":
            break
    assert "2 ABC" in reached and reached[-1] == "Call the desk", reached
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).not_to_have_text("Ready to call", timeout=8000)
    page.keyboard.press("Escape")
