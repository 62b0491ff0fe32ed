"""The later checks of who is on the line, in a real browser with the dev phone playing the
practitioner: the desk's call-back to a registered number, and a fresh code keyed mid-call."""

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import accessibility_violations, screenshot, sign_in_page
from tests.browser.test_devphone import key, stored_anywhere
from tests.factories import PIN, current_code, fresh_code, make_practitioner, make_staff

# Unique to these tests: the committed database is shared by every browser test. The dev
# phone's registered number is the demo practitioner's, so that its page rings for it.
REGISTERED = "+447700900123"
ELSEWHERE = "+447700945999"


def seed(app: Flask, practitioner_id: str, secret: str, operator: str, leg: str) -> None:
    with app.app_context():
        make_practitioner(
            practitioner_id=practitioner_id,
            name="Ravi Callback",
            totp_secret=secret,
            phones=(REGISTERED,),
        )
        make_staff(username=operator, name="Cora Operator", totp_secret=secret, phone_leg=leg)
    app.extensions.pop("desk.telephony", None)


@pytest.fixture
def second_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-GB")
    yield context.new_page()
    context.close()


@pytest.fixture
def operator_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-GB")
    yield context.new_page()
    context.close()


def queued(phone: Page, live_url: str, caller: str, practitioner_id: str, secret: str) -> None:
    phone.goto(f"{live_url}/devphone")
    if caller != REGISTERED:
        phone.get_by_role("textbox", name="Another number").fill(caller)
    phone.get_by_role("button", name="Call the desk").click()
    transcript = phone.locator("#transcript")
    expect(transcript).to_contain_text("Please key your 8 digit practitioner ID")
    key(phone, practitioner_id)
    expect(transcript).to_contain_text("Please key your PIN")
    key(phone, PIN)
    expect(transcript).to_contain_text("Please key the 6 digit code")
    key(phone, current_code(secret))
    expect(phone.get_by_role("status")).to_have_text("In the queue")


def take(operator: Page, live_url: str, username: str, secret: str) -> None:
    sign_in_page(operator, live_url, username, secret)
    operator.goto(f"{live_url}/console/")
    operator.get_by_role("row", name=re.compile("Ravi Callback")).get_by_role(
        "button", name="Take call"
    ).click()
    expect(operator.get_by_role("heading", name="Call with Ravi Callback")).to_be_visible()


def test_a_caller_on_another_number_is_called_back_keys_again_and_is_connected(
    live_app: Flask, live_url: str, page: Page, second_page: Page, operator_page: Page
) -> None:
    practitioner_id, secret = "45100001", "KRUGKIDROVUWG2ZAMJZG653OEBTG66BA"
    seed(live_app, practitioner_id, secret, "cb-cora", "+447700945001")
    first, registered, operator = page, second_page, operator_page
    queued(first, live_url, ELSEWHERE, practitioner_id, secret)
    take(operator, live_url, "cb-cora", secret)
    expect(first.get_by_role("status")).to_have_text("Connected to Cora Operator", timeout=8000)
    expect(operator.get_by_text("not from a number registered")).to_be_visible()

    registered.goto(f"{live_url}/devphone")
    operator.get_by_label(REGISTERED).check()
    operator.get_by_role("button", name="Call back on a registered number").click()
    expect(operator.locator("#line-identity")).to_have_text("Call-back: Checking…")
    answer = registered.get_by_role("button", name="Answer the desk's call")
    expect(answer).to_be_visible(timeout=8000)
    expect(registered.get_by_role("status")).to_have_text("The desk is calling you")
    answer.click()
    transcript = registered.locator("#transcript")
    expect(transcript).to_contain_text("calling back for Ravi Callback")
    registered.keyboard.type("1")
    expect(transcript).to_contain_text("Please key your PIN, followed by the hash key.")
    key(registered, PIN)
    expect(transcript).to_contain_text("Please key the 6 digit code")
    key(registered, fresh_code(secret))
    expect(registered.get_by_role("status")).to_have_text(
        "Connected to Cora Operator", timeout=8000
    )
    expect(first.get_by_role("status")).to_have_text(re.compile("Call ended"), timeout=8000)
    expect(operator.locator("#line-identity")).to_have_text("Call-back: Verified", timeout=8000)
    expect(operator.locator("#line-caller")).to_have_text("Caller on the line")
    screenshot(operator, "call-back-verified")

    operator.get_by_label(re.compile("I asked the caller")).check()
    operator.get_by_role("button", name="Confirm identity").click()
    expect(operator.get_by_text("Identity confirmed after call-back")).to_be_visible()
    # The checks' own section (the caller card's warning badge is the page's, restyled apart).
    assert accessibility_violations(operator, "section[aria-labelledby=check-heading]") == []


def test_mid_call_the_operator_asks_for_a_fresh_code_and_sees_verified_without_the_digits(
    live_app: Flask, live_url: str, page: Page, operator_page: Page
) -> None:
    practitioner_id, secret = "45100002", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    seed(live_app, practitioner_id, secret, "cb-carl", "+447700945002")
    phone, operator = page, operator_page
    queued(phone, live_url, REGISTERED, practitioner_id, secret)
    take(operator, live_url, "cb-carl", secret)
    expect(phone.get_by_role("status")).to_have_text("Connected to Cora Operator", timeout=8000)
    expect(operator.locator("#line-caller")).to_have_text("Caller on the line", timeout=8000)

    operator.get_by_role("button", name="Ask the caller to key their code").click()
    transcript = phone.locator("#transcript")
    expect(transcript).to_contain_text("key your details again", timeout=8000)
    expect(operator.locator("#line-caller")).to_contain_text("keying their code", timeout=8000)
    code = fresh_code(secret)
    key(phone, code)
    expect(transcript).to_contain_text("Returning you to the operator")
    expect(operator.locator("#line-identity")).to_have_text("Keyed again: Verified", timeout=8000)
    expect(operator.locator("#line-caller")).to_have_text("Caller on the line", timeout=8000)
    expect(phone.get_by_role("status")).to_have_text("Connected to Cora Operator")
    screenshot(operator, "keyed-again-verified")
    # The digits are nowhere the operator or the desk keeps anything.
    expect(operator.locator("body")).not_to_contain_text(code)
    assert stored_anywhere(live_app, code) == []


def test_a_caller_chooses_a_call_back_hangs_up_and_is_rung_back_at_their_turn(
    live_app: Flask, live_url: str, page: Page, operator_page: Page
) -> None:
    practitioner_id, secret = "45100003", "MZXW6YTBOIYTEMZUGU3DOOBZGAYTEMZU"
    seed(live_app, practitioner_id, secret, "cb-cleo", "+447700945003")
    phone, operator = page, operator_page
    queued(phone, live_url, REGISTERED, practitioner_id, secret)
    transcript = phone.locator("#transcript")
    expect(transcript).to_contain_text("instead of holding, press 1", timeout=8000)
    phone.keyboard.type("1")
    expect(transcript).to_contain_text("You keep your place in the queue", timeout=8000)
    expect(phone.get_by_role("status")).to_have_text(re.compile("Call ended"), timeout=8000)

    take(operator, live_url, "cb-cleo", secret)
    expect(operator.locator("#line-caller")).to_have_text(
        "Calling the caller back on their registered number", timeout=8000
    )
    answer = phone.get_by_role("button", name="Answer the desk's call")
    expect(answer).to_be_visible(timeout=8000)
    answer.click()
    expect(transcript).to_contain_text("calling back for Ravi Callback")
    phone.keyboard.type("1")
    expect(transcript).to_contain_text("Please key your PIN, followed by the hash key.")
    key(phone, PIN)
    expect(transcript).to_contain_text("Please key the 6 digit code")
    key(phone, fresh_code(secret))
    expect(phone.get_by_role("status")).to_have_text("Connected to Cora Operator", timeout=8000)
    expect(operator.locator("#line-identity")).to_have_text("Call-back: Verified", timeout=8000)
    screenshot(phone, "queued-callback-connected")
