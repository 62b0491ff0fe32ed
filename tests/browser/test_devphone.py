"""A whole mediated call in a real browser: the dev phone calls, an operator answers it."""

import re
import time
from collections.abc import Iterator

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import func, literal_column, select

from desk.core.audit.actors import Actor
from desk.core.extensions import db
from desk.core.types import utcnow
from desk.staff.models import Role
from ivr import flow
from ivr.flow import Field
from ivr.models import Call, CallStatus
from tests.browser.conftest import assert_accessible, fill_date, screenshot
from tests.children import child, load_children
from tests.factories import PIN, STAFF_PASSWORD, current_code, make_practitioner, make_staff
from tests.pages import staff_code
from tests.stored import audit_events
from verification import administration, pins
from verification.models import Practitioner

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
    fill_date(operator, "Date of birth", "2014-09-02")
    operator.get_by_role("button", name="Search").click()
    operator.get_by_role("link", name="Open").click()
    gp = operator.get_by_role("row", name=re.compile("Castlemere Surgery"))
    gp.get_by_role("button", name="Read back").click()
    expect(gp.locator(".govuk-tag")).to_have_text("✓ Read to caller")
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


# A first call: the practitioner has only the activation code an administrator gave them.
FIRST_CALLER_ID = "43000021"
FIRST_CALLER_SECRET = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"
FIRST_CALLER_PHONE = "+447700900421"
# Eight digits, so that no timestamp or phone number in the database could hold it by chance.
CHOSEN_PIN = "58041726"
# The callers who leave the page, each from a number no other test rings from.
LEAVERS = {
    "closing the tab": ("43000022", "OVWXS4TBMJRGG2LEMVTGO2DINFVGW3DN", "+447700900422"),
    "going to another page": ("43000023", "NBSWY3DPEB3W64TMMQQGE2LHNBQWI2LF", "+447700900423"),
}


def issue_activation_code(app: Flask, practitioner_id: str) -> str:
    """An administrator issues an activation code (shown once), voiding the PIN."""
    with app.app_context():
        practitioner = db.session.get(Practitioner, practitioner_id)
        assert practitioner is not None
        issued = administration.issue_activation(
            practitioner, utcnow(), by=Actor("tests"), delivery="shown"
        )
        db.session.commit()
        return issued.code


def call_from(phone: Page, live_url: str, number: str) -> None:
    phone.goto(f"{live_url}/devphone")
    phone.get_by_role("textbox", name="Another number").fill(number)
    phone.get_by_role("button", name="Call the desk").click()
    expect(phone.locator("#transcript")).to_contain_text(flow.QUESTION[Field.ID])


def heard(phone: Page) -> list[str]:
    """What the desk said to the caller, line by line, as the transcript shows it."""
    return [
        line.removeprefix("Desk ") for line in phone.locator("#transcript li.say").all_inner_texts()
    ]


def stored_anywhere(app: Flask, secret: str) -> list[str]:
    """The tables whose rows hold `secret` in clear, in any column."""
    with app.app_context():
        found = [
            table.name
            for table in db.metadata.sorted_tables
            if db.session.scalar(
                select(func.count())
                .select_from(table)
                .where(func.strpos(literal_column(f'"{table.name}"::text'), secret) > 0)
            )
        ]
        db.session.rollback()
        return found


def test_a_first_call_on_the_dev_phone_chooses_a_pin_and_the_next_call_uses_it(
    live_app: Flask, live_url: str, page: Page
) -> None:
    with live_app.app_context():
        make_practitioner(
            practitioner_id=FIRST_CALLER_ID,
            name="Priya Firstcall",
            totp_secret=FIRST_CALLER_SECRET,
            phones=(FIRST_CALLER_PHONE,),
        )
    live_app.extensions.pop("desk.telephony", None)
    code = issue_activation_code(live_app, FIRST_CALLER_ID)
    phone, screen = page, page.get_by_role("status")
    transcript = phone.locator("#transcript")

    call_from(phone, live_url, FIRST_CALLER_PHONE)
    key(phone, FIRST_CALLER_ID)
    expect(transcript).to_contain_text(flow.QUESTION[Field.PIN])
    key(phone, code)  # the activation code, where the PIN goes
    expect(transcript).to_contain_text(flow.QUESTION[Field.CODE])
    key(phone, current_code(FIRST_CALLER_SECRET))
    expect(transcript).to_contain_text(flow.QUESTION[Field.NEW_PIN])
    assert heard(phone)[-2:] == ["Thank you, Priya.", flow.QUESTION[Field.NEW_PIN]]
    key(phone, "111111")
    expect(transcript).to_contain_text(flow.TOO_EASY)
    assert heard(phone)[-2:] == [flow.TOO_EASY, flow.QUESTION[Field.NEW_PIN]]
    key(phone, CHOSEN_PIN)
    expect(transcript).to_contain_text(flow.QUESTION[Field.CONFIRM_PIN])
    key(phone, CHOSEN_PIN)
    expect(transcript).to_contain_text(flow.PIN_SET)
    expect(screen).to_have_text("In the queue")
    assert flow.PIN_SET in heard(phone)
    assert "Please hold for the next operator." in heard(phone)
    # The screen shows how many keys were pressed, never which.
    expect(transcript).not_to_contain_text(CHOSEN_PIN)
    expect(transcript).not_to_contain_text(code)
    assert_accessible(phone)
    screenshot(phone, "devphone-5-pin-chosen")

    # Neither the chosen PIN nor the activation code is anywhere in the database in clear.
    activated = audit_events(live_app, "practitioner.activated")
    assert [e.data for e in activated if e.practitioner_id == FIRST_CALLER_ID] == [{"by": "keypad"}]
    assert stored_anywhere(live_app, CHOSEN_PIN) == []
    assert stored_anywhere(live_app, code) == []
    with live_app.app_context():
        practitioner = db.session.get(Practitioner, FIRST_CALLER_ID)
        assert practitioner is not None and practitioner.activation_hash is None
        assert pins.check_pin(practitioner.pin_hash, CHOSEN_PIN)

    phone.get_by_role("button", name="Hang up").click()
    expect(screen).to_have_text("Call ended: You hung up.")

    # The next call: ID, the chosen PIN, and the token's next code (this one is spent).
    call_from(phone, live_url, FIRST_CALLER_PHONE)
    key(phone, FIRST_CALLER_ID)
    expect(transcript).to_contain_text(flow.QUESTION[Field.PIN])
    key(phone, CHOSEN_PIN)
    expect(transcript).to_contain_text(flow.QUESTION[Field.CODE])
    key(phone, pyotp.TOTP(FIRST_CALLER_SECRET).at(time.time() + 30))
    expect(transcript).to_contain_text("Thank you, Priya. Please hold for the next operator.")
    expect(screen).to_have_text("In the queue")
    phone.get_by_role("button", name="Hang up").click()
    expect(screen).to_have_text("Call ended: You hung up.")


def waiting_calls(app: Flask, number: str) -> int:
    """Calls from `number` the console's queue shows as waiting."""
    with app.app_context():
        waiting = db.session.scalar(
            select(func.count())
            .select_from(Call)
            .where(Call.caller_number == number, Call.status == CallStatus.QUEUED)
        )
        db.session.rollback()
        return waiting or 0


def call_ended(app: Flask, number: str) -> bool:
    """Whether the call from `number` has ended, as Twilio's completed callback records."""
    with app.app_context():
        ended = db.session.scalar(select(Call.ended_at).where(Call.caller_number == number))
        db.session.rollback()
        return ended is not None


@pytest.mark.parametrize("leaving", LEAVERS)
def test_leaving_the_dev_phone_page_hangs_up_so_no_ghost_caller_waits(
    live_app: Flask, live_url: str, page: Page, leaving: str
) -> None:
    practitioner_id, secret, number = LEAVERS[leaving]
    with live_app.app_context():
        make_practitioner(
            practitioner_id=practitioner_id,
            name="Lena Leaver",
            totp_secret=secret,
            phones=(number,),
        )
    live_app.extensions.pop("desk.telephony", None)
    call_from(page, live_url, number)
    key(page, practitioner_id)
    expect(page.locator("#transcript")).to_contain_text(flow.QUESTION[Field.PIN])
    key(page, PIN)
    expect(page.locator("#transcript")).to_contain_text(flow.QUESTION[Field.CODE])
    key(page, current_code(secret))
    expect(page.get_by_role("status")).to_have_text("In the queue")
    assert waiting_calls(live_app, number) == 1

    if leaving == "closing the tab":
        page.close(run_before_unload=True)
    else:
        page.goto(f"{live_url}/sign-in")
    # Leaving the queue and the completed callback are two webhooks: wait for the second (a few
    # seconds, on a busy machine).
    deadline = time.monotonic() + 10
    while not call_ended(live_app, number) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert waiting_calls(live_app, number) == 0
    with live_app.app_context():
        left = db.session.scalars(select(Call).where(Call.caller_number == number)).one()
        # Left as a caller who hangs up leaves: abandoned, after Twilio's completed callback.
        assert (left.status, left.queue_result) == (CallStatus.ABANDONED, "hangup")
        assert left.ended_at is not None
        db.session.rollback()
