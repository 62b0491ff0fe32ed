"""An operator's journey in a real browser: sign in, take, confirm, search, read back, wrap up."""

import re

from flask import Flask
from playwright.sync_api import Page, expect

from desk.dev.simulator import Phone, Twilio
from tests.browser.conftest import fill_date, screenshot
from tests.children import child, load_children
from tests.factories import PIN, STAFF_PASSWORD, current_code, make_practitioner, make_staff
from tests.pages import staff_code

SECRETS = {
    "olive": "4IEY6CJPJULNDLR3SMQDPDQ2IEDZUEGW",
    "otto": "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U",
}


def seed(app: Flask, practitioner_id: str, secret: str, operator: str, family: str) -> None:
    """A practitioner with a token of their own, an operator, and the test index (once)."""
    with app.app_context():
        make_practitioner(
            practitioner_id=practitioner_id, totp_secret=secret, phones=("+447700900123",)
        )
        make_staff(
            username=operator,
            name=f"{operator.title()} Operator",
            totp_secret=SECRETS[operator],
            phone_leg=f"client:{operator}",
        )
        load_children(
            [
                child(
                    f"{practitioner_id}-amelia",
                    "Amelia Rose",
                    family,
                    "2015-03-14",
                    contacts=[
                        {
                            "kind": "gp",
                            "organisation": "Castlemere Surgery",
                            "name": "Dr A. Khan",
                            "phone": "+441706555030",
                        }
                    ],
                ),
                child(
                    f"{practitioner_id}-noah",
                    "Noah",
                    family,
                    "2016-06-01",
                    gender="male",
                    shielded=True,
                    address={"lines": ["3 Hill Street"], "town": "Heywood", "postcode": "OL10 2BB"},
                    contacts=[
                        {"kind": "parent", "name": f"Kate {family}", "phone": "+447700900222"}
                    ],
                ),
            ]
        )


def call_in(app: Flask, practitioner_id: str, secret: str) -> Phone:
    """A practitioner phones the desk through the real IVR and waits in the queue."""
    twilio = Twilio(app.test_client(), app.config["TWILIO_AUTH_TOKEN"])
    phone = twilio.call("+447700900123")
    phone.dial()
    phone.verify(practitioner_id, PIN, current_code(secret))
    assert phone.enqueue is not None
    phone.wait(position=1)
    return phone


def sign_in(page: Page, live_url: str, username: str) -> None:
    page.goto(f"{live_url}/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_label("Authenticator code").fill(staff_code(SECRETS[username]))
    page.get_by_role("button", name="Sign in").click()


def test_an_operator_takes_a_call_and_reads_back_an_allowed_contact(
    live_app: Flask, live_url: str, page: Page
) -> None:
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    seed(live_app, "41000001", secret, "olive", "Quigley")
    sign_in(page, live_url, "olive")
    page.goto(f"{live_url}/console/")
    expect(page.get_by_role("heading", name="Callers waiting")).to_be_visible()
    expect(page.get_by_text("No one is waiting.")).to_be_visible()

    call_in(live_app, "41000001", secret)
    # The queue updates by itself: no reload.
    expect(page.get_by_role("cell", name=re.compile("Sam Field"))).to_be_visible(timeout=8000)
    screenshot(page, "1-queue")
    page.get_by_role("button", name="Take call").click()

    expect(page.get_by_role("heading", name="Call with Sam Field")).to_be_visible()
    screenshot(page, "2-call-taken")
    page.get_by_label(re.compile("I asked the caller")).check()
    page.get_by_role("button", name="Confirm identity").click()
    page.get_by_label("Purpose of the enquiry").select_option("find_professionals")
    page.get_by_role("button", name="Record purpose").click()

    page.get_by_label("Family name").fill("Quigley")
    fill_date(page, "Date of birth", "2015-03-14")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("cell", name="Amelia Rose Quigley")).to_be_visible()
    screenshot(page, "3-results")
    page.get_by_role("link", name="Open").click()

    gp = page.get_by_role("row", name=re.compile("Castlemere Surgery"))
    expect(gp).to_be_visible()
    gp.get_by_role("button", name="Read back").click()
    expect(page.get_by_text(re.compile("Marked as read back"))).to_be_visible()
    expect(gp.locator(".govuk-tag")).to_have_text("✓ Read to caller")
    screenshot(page, "4-record-read-back")

    page.get_by_role("link", name=re.compile("Back to the call")).click()
    page.get_by_label("Wrap-up").select_option("information_given")
    page.get_by_role("button", name="Wrap up and hang up").click()
    expect(page.get_by_text("Call wrapped up. You can take the next call.")).to_be_visible()


def test_a_shielded_child_shows_nothing_that_could_locate_them(
    live_app: Flask, live_url: str, page: Page
) -> None:
    secret = "HEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    seed(live_app, "41000002", secret, "otto", "Quennell")
    call_in(live_app, "41000002", secret)
    sign_in(page, live_url, "otto")
    page.goto(f"{live_url}/console/")
    row = page.get_by_role("row", name=re.compile("41000002"))
    row.get_by_role("button", name="Take call").click()
    page.get_by_label(re.compile("I asked the caller")).check()
    page.get_by_role("button", name="Confirm identity").click()
    page.get_by_label("Purpose of the enquiry").select_option("safeguarding")
    page.get_by_role("button", name="Record purpose").click()
    page.get_by_label("Family name").fill("Quennell")
    page.get_by_label("Given name").fill("Noah")
    fill_date(page, "Date of birth", "2016-06-01")
    page.get_by_role("button", name="Search").click()
    results = page.get_by_role("region", name="Results")
    expect(results.get_by_role("cell", name="Noah Quennell")).to_be_visible()
    expect(results).not_to_contain_text("Heywood")
    page.get_by_role("link", name="Open").click()

    expect(page.get_by_text("Shielded", exact=True)).to_be_visible()
    body = page.locator("main").inner_text()
    for secret_detail in ("Heywood", "Hill Street", "OL10", "900222"):
        assert secret_detail not in body
    assert "Kate Quennell" in body
    expect(page.get_by_role("button", name="Request brokered contact")).to_be_visible()
    screenshot(page, "5-shielded-record")
