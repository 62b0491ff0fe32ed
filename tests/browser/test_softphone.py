"""The softphone in a real browser, the local adapter playing Twilio: an operator takes a call
and talks on the console's softphone, holds and resumes, mutes; a supervisor listens in and
the operator sees it; the caller hangs up and the call page says so within 2 seconds."""

import re
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect

from desk.staff.models import Role
from tests.browser.conftest import accessibility_violations, screenshot, sign_in_page
from tests.factories import PIN, current_code, make_practitioner, make_staff

# Unique to this test: the committed database is shared by every browser test.
PRACTITIONER_ID = "43000013"
PRACTITIONER_SECRET = "KRUGKIDROVQWG2ZAMJZG653OEBTG66BA"
OPERATOR, OPERATOR_SECRET = "fran", "MZZGC3RAN5YGK4TBORXXEIDTMVRXEZLU"
SUPERVISOR, SUPERVISOR_SECRET = "sal", "ONQWYIDTOVYGK4TWNFZW64RAONSWG4TF"


def seed(app: Flask) -> None:
    with app.app_context():
        make_practitioner(
            practitioner_id=PRACTITIONER_ID,
            name="Priya Softly",
            totp_secret=PRACTITIONER_SECRET,
            phones=("+447700900131",),
        )
        make_staff(
            username=OPERATOR,
            name="Fran Operator",
            totp_secret=OPERATOR_SECRET,
            phone_leg="browser",
        )
        make_staff(
            username=SUPERVISOR,
            name="Sal Supervisor",
            role=Role.SUPERVISOR,
            totp_secret=SUPERVISOR_SECRET,
            phone_leg="browser",
        )
    app.extensions.pop("desk.telephony", None)


@pytest.fixture
def staff_context(browser: Browser) -> Iterator[BrowserContext]:
    """A browser of the operator's own (cookies shared by the console and its softphone)."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    context.grant_permissions(["microphone"])
    yield context
    context.close()


@pytest.fixture
def supervisor_context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    yield context
    context.close()


def key(page: Page, answer: str) -> None:
    page.keyboard.type(answer + "#", delay=30)


def test_an_operator_talks_on_the_softphone_and_a_supervisor_listens_in(
    live_app: Flask,
    live_url: str,
    page: Page,
    staff_context: BrowserContext,
    supervisor_context: BrowserContext,
) -> None:
    seed(live_app)
    phone = page
    transcript = phone.locator("#transcript")

    # A practitioner calls and waits in the queue.
    phone.goto(f"{live_url}/devphone")
    phone.get_by_role("button", name="Call the desk").click()
    expect(transcript).to_contain_text("Please key your 8 digit practitioner ID")
    key(phone, PRACTITIONER_ID)
    expect(transcript).to_contain_text("Please key your PIN")
    key(phone, PIN)
    expect(transcript).to_contain_text("Please key the 6 digit code")
    key(phone, current_code(PRACTITIONER_SECRET))
    expect(phone.get_by_role("status")).to_have_text("In the queue")

    # The operator starts the shift: the softphone, and its check of microphone and network.
    console = staff_context.new_page()
    sign_in_page(console, live_url, OPERATOR, OPERATOR_SECRET)
    softphone = staff_context.new_page()
    softphone.goto(f"{live_url}/console/softphone")
    status = softphone.locator("#sp-status")
    expect(status).to_have_text("Ready: waiting for a call")
    softphone.get_by_role("button", name="Check my microphone and network").click()
    results = softphone.locator("#sp-check-results")
    expect(results).to_contain_text("✓ Microphone: working")
    expect(results).to_contain_text(re.compile(r"✓ Network: \d+ ms to the desk, good enough."))
    assert accessibility_violations(softphone) == []
    screenshot(softphone, "softphone-1-ready")

    # Taking the call rings the softphone, which shows the caller's name from the console.
    console.goto(f"{live_url}/console/")
    console.get_by_role("row", name=re.compile("Priya Softly")).get_by_role(
        "button", name="Take call"
    ).click()
    expect(console.get_by_role("heading", name="Call with Priya Softly")).to_be_visible()
    expect(status).to_have_text("Ringing: Priya Softly", timeout=8000)
    expect(console.locator("#line-operator")).to_have_text("Your phone is ringing")
    softphone.get_by_role("button", name="Answer").click()
    expect(status).to_have_text("On the call with Priya Softly")
    expect(phone.get_by_role("status")).to_have_text("Connected to Fran Operator", timeout=8000)
    expect(console.locator("#line-caller")).to_have_text("Caller on the line")
    expect(console.locator("#line-operator")).to_have_text("Connected")
    expect(console.locator("#line-timer")).not_to_have_text("00:00", timeout=4000)

    # Hold and resume from the call page: the caller hears the hold message.
    console.get_by_role("button", name="Hold the caller").click()
    expect(transcript).to_contain_text("The operator put you on hold.", timeout=8000)
    expect(transcript).to_contain_text("Please hold: the operator has put you on hold")
    expect(console.locator("#line-caller")).to_have_text("Caller on hold")
    console.get_by_role("button", name="Resume the caller").click()
    expect(transcript).to_contain_text("The operator is back on the line.", timeout=8000)
    expect(console.locator("#line-caller")).to_have_text("Caller on the line")

    # Mute and unmute from the softphone.
    softphone.get_by_role("button", name="Mute").click()
    expect(console.locator("#line-operator")).to_have_text("Connected (muted)", timeout=8000)
    expect(softphone.get_by_role("button", name="Unmute")).to_be_visible()
    softphone.get_by_role("button", name="Unmute").click()
    expect(console.locator("#line-operator")).to_have_text("Connected", timeout=8000)
    # The line's panel; the rest of the call page is the operator journey's to check.
    assert accessibility_violations(console, "#line") == []
    screenshot(console, "softphone-2-call-page")

    # A supervisor listens in from the live calls: the operator sees it at once, and after.
    supervisor = supervisor_context.new_page()
    sign_in_page(supervisor, live_url, SUPERVISOR, SUPERVISOR_SECRET)
    their_softphone = supervisor_context.new_page()
    their_softphone.goto(f"{live_url}/console/softphone")
    supervisor.goto(f"{live_url}/console/live")
    supervisor.get_by_role("button", name="Listen: Fran Operator's call").click()
    expect(supervisor.get_by_role("status").first).to_contain_text("Listening")
    listeners = console.locator("#line-listeners")
    expect(listeners).to_have_text("Sal Supervisor is joining the call (Listening)")
    expect(their_softphone.locator("#sp-status")).to_have_text(
        "Ringing: Priya Softly", timeout=8000
    )
    their_softphone.get_by_role("button", name="Answer").click()
    expect(listeners).to_have_text("Sal Supervisor: Listening", timeout=8000)
    expect(their_softphone.locator("#sp-status")).to_have_text(
        "Listening in: Priya Softly with Fran Operator"
    )
    expect(softphone.locator("#sp-listeners")).to_have_text("Sal Supervisor: Listening")
    assert accessibility_violations(supervisor, "main") == []
    screenshot(supervisor, "softphone-3-live-calls")
    supervisor.get_by_role("button", name="Leave the call").click()
    expect(listeners).to_have_text("Nobody", timeout=8000)

    # The caller hangs up: the call page says so within 2 seconds, without a reload.
    search_heading = console.get_by_role("heading", name="1. Confirm who the caller is")
    expect(search_heading).to_be_visible()
    phone.get_by_role("button", name="Hang up").click()
    hung_up_at = time.monotonic()
    expect(console.locator("#line-hung-up")).to_have_text(
        "The caller has hung up. Wrap up the call.", timeout=2000
    )
    assert time.monotonic() - hung_up_at < 2.0
    expect(search_heading).to_be_hidden()
    expect(console.get_by_role("button", name="Wrap up and hang up")).to_be_visible()
    expect(status).to_have_text("Ready: waiting for a call", timeout=4000)
    screenshot(console, "softphone-4-caller-hung-up")
    console.get_by_label("Wrap-up").select_option("call_dropped")
    console.get_by_role("button", name="Wrap up and hang up").click()
    expect(console.get_by_text("Call wrapped up.")).to_be_visible()
