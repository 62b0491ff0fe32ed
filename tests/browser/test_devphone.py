"""A whole mediated call in a real browser: the dev phone calls, an operator answers it."""

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect

from desk.staff.models import Role
from tests.browser.conftest import screenshot
from tests.children import child, load_children
from tests.factories import PIN, STAFF_PASSWORD, current_code, make_practitioner, make_staff
from tests.pages import staff_code

# Unique to this test: the committed database is shared by every browser test.
PRACTITIONER_ID = "43000001"
PRACTITIONER_SECRET = "IRXWGIDQNBXW4ZJAORXWWZLOEBZWKY3S"
OPERATOR = "dora"
OPERATOR_SECRET = "MRXXEYJAN5YGK4TBORXXEIDTMVRXEZLU"
SUPERVISOR = "sian"
SUPERVISOR_SECRET = "ONUWC3RAON2XAZLSOZUXG33SEBZWKY3S"
FAMILY = "Quartermaine"


def seed(app: Flask) -> None:
    with app.app_context():
        make_practitioner(
            practitioner_id=PRACTITIONER_ID,
            name="Priya Dialler",
            totp_secret=PRACTITIONER_SECRET,
            phones=("+447700900123",),
        )
        make_staff(
            username=SUPERVISOR,
            name="Sian Supervisor",
            role=Role.SUPERVISOR,
            totp_secret=SUPERVISOR_SECRET,
        )
        make_staff(
            username=OPERATOR,
            name="Dora Operator",
            totp_secret=OPERATOR_SECRET,
            phone_leg="+447700900321",
        )
        load_children(
            [
                child(
                    "devphone-ivy",
                    "Ivy",
                    FAMILY,
                    "2014-09-02",
                    contacts=[
                        {
                            "kind": "gp",
                            "organisation": "Castlemere Surgery",
                            "name": "Dr A. Khan",
                            "phone": "+441706555030",
                        }
                    ],
                )
            ]
        )
    # A fresh local adapter: another test may have left a stand-in of its own.
    app.extensions.pop("desk.telephony", None)


@pytest.fixture
def operator_page(browser: Browser) -> Iterator[Page]:
    """A second browser, with cookies of its own, for the operator."""
    context: BrowserContext = browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="en-GB"
    )
    yield context.new_page()
    context.close()


def key(page: Page, answer: str) -> None:
    """Type an answer and # on the computer's keyboard, as a practitioner would."""
    page.keyboard.type(answer + "#", delay=30)


def test_a_practitioner_calls_on_the_dev_phone_and_an_operator_answers(
    live_app: Flask, live_url: str, page: Page, operator_page: Page
) -> None:
    seed(live_app)
    phone, operator = page, operator_page
    transcript = phone.locator("#transcript")
    screen = phone.get_by_role("status")

    phone.goto(f"{live_url}/devphone")
    expect(phone.get_by_role("heading", name="Dev phone")).to_be_visible()
    phone.get_by_role("button", name="Call the desk").click()
    expect(transcript).to_contain_text("Please key your 8 digit practitioner ID")
    expect(screen).to_have_text("Key your answer, then #")
    key(phone, PRACTITIONER_ID)
    expect(transcript).to_contain_text("Please key your PIN")
    key(phone, PIN)
    expect(transcript).to_contain_text("Please key the 6 digit code")
    key(phone, current_code(PRACTITIONER_SECRET))
    expect(transcript).to_contain_text("Thank you, Priya. Please hold for the next operator.")
    expect(transcript).to_contain_text("You are next in the queue.")
    expect(screen).to_have_text("In the queue")
    screenshot(phone, "devphone-1-queued")

    operator.goto(f"{live_url}/sign-in")
    operator.get_by_label("Username").fill(OPERATOR)
    operator.get_by_label("Password").fill(STAFF_PASSWORD)
    operator.get_by_label("Authenticator code").fill(staff_code(OPERATOR_SECRET))
    operator.get_by_role("button", name="Sign in").click()
    operator.goto(f"{live_url}/console/")
    row = operator.get_by_role("row", name=re.compile("Priya Dialler"))
    row.get_by_role("button", name="Take call").click()
    expect(operator.get_by_role("heading", name="Call with Priya Dialler")).to_be_visible()

    expect(screen).to_have_text("Connected to Dora Operator", timeout=8000)
    expect(transcript).to_contain_text("Connecting you to an operator now.")
    screenshot(phone, "devphone-2-connected")

    operator.get_by_label(re.compile("I asked the caller")).check()
    operator.get_by_role("button", name="Confirm identity").click()
    operator.get_by_label("Purpose of the enquiry").select_option("find_professionals")
    operator.get_by_role("button", name="Record purpose").click()
    operator.get_by_label("Family name").fill(FAMILY)
    operator.get_by_label("Date of birth").fill("2014-09-02")
    operator.get_by_role("button", name="Search").click()
    operator.get_by_role("link", name="Open").click()
    gp = operator.get_by_role("row", name=re.compile("Castlemere Surgery"))
    gp.get_by_role("button", name="Read back").click()
    expect(gp.locator(".badge")).to_have_text("✓ Read to caller")
    operator.get_by_role("link", name=re.compile("Back to the call")).click()
    operator.get_by_label("Wrap-up").select_option("information_given")
    operator.get_by_role("button", name="Wrap up and hang up").click()
    expect(operator.get_by_text("Call wrapped up.")).to_be_visible()

    expect(screen).to_have_text("Call ended: The operator ended the call.", timeout=8000)
    expect(phone.get_by_role("button", name="Call the desk")).to_be_enabled()
    screenshot(phone, "devphone-3-ended")

    # Afterwards the supervisor finds the call, who took it and how it ended.
    operator.get_by_role("button", name="Sign out").click()
    operator.goto(f"{live_url}/sign-in")
    operator.get_by_label("Username").fill(SUPERVISOR)
    operator.get_by_label("Password").fill(STAFF_PASSWORD)
    operator.get_by_label("Authenticator code").fill(staff_code(SUPERVISOR_SECRET))
    operator.get_by_role("button", name="Sign in").click()
    operator.get_by_role("link", name="Review").click()
    row = operator.get_by_role("row", name=re.compile("Priya Dialler"))
    expect(row).to_contain_text("Dora Operator")
    row.get_by_role("link").first.click()
    expect(operator.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(operator.locator("main")).to_contain_text("Information given")
    expect(operator.locator("main")).not_to_contain_text("Ivy")
    screenshot(operator, "devphone-4-supervisor")


def test_the_dev_phone_recovers_when_its_session_starts_afresh(live_url: str, page: Page) -> None:
    # Signing in or out in another tab of the same browser replaces the session and its token.
    page.goto(f"{live_url}/devphone")
    page.context.clear_cookies()
    page.get_by_label("Withheld number").check()
    page.keyboard.press("Enter")
    expect(page.locator("#transcript")).to_contain_text("cannot take calls from a withheld number")
    expect(page.get_by_role("status")).to_have_text("Call ended: The desk hung up.")
