"""The console an operator can trust on a long shift, as found wanting and fixed (one test, or
one named check within a test, for each problem found).

Refusals keep what was typed and point at the field; results belong to the criteria echoed
above them and vanish on a refusal; shielded children and other services are marked in the
list; nothing is sent twice, by a refresh or a second press; the current step comes first in
the tab order; the frequent actions have keyboard shortcuts, shown on the page; each read-back
button says which item it reads. Each page and state is checked with axe-core as it goes.
"""

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from desk.dev.simulator import Phone, Twilio
from tests.browser.conftest import (
    assert_accessible,
    assert_reflows,
    fill_date,
    screenshot,
    sign_in_page,
)
from tests.children import CLINIC, GP, PARENT, SCHOOL, child, load_children
from tests.factories import PIN, current_code, make_practitioner, make_staff
from tests.stored import audit_events

FAMILY = "Gowerby"
FOCUSED = "document.activeElement.id || document.activeElement.textContent.trim()"
PHONE = "+447700900146"


def seed(
    app: Flask, practitioner_id: str, secret: str, operator: str, operator_secret: str
) -> None:
    with app.app_context():
        make_practitioner(practitioner_id=practitioner_id, totp_secret=secret, phones=(PHONE,))
        make_staff(
            username=operator,
            name=f"{operator[4:].title()} Operator",
            totp_secret=operator_secret,
            phone_leg=f"client:{operator}",
        )


@pytest.fixture(scope="module", autouse=True)
def gowerbys(live_app: Flask) -> None:
    """One family: a child with contacts to read back, a shielded one, one with a clinic."""
    with live_app.app_context():
        load_children(
            [
                child("gov-amelia", "Amelia", FAMILY, "2015-03-14", contacts=[PARENT, SCHOOL, GP]),
                child(
                    "gov-noah",
                    "Noah",
                    FAMILY,
                    "2016-06-01",
                    gender="male",
                    shielded=True,
                    contacts=[PARENT],
                ),
                child("gov-carys", "Carys", FAMILY, "2014-09-09", contacts=[SCHOOL, CLINIC]),
            ]
        )


def call_in(app: Flask, practitioner_id: str, secret: str) -> Phone:
    twilio = Twilio(app.test_client(), app.config["TWILIO_AUTH_TOKEN"])
    phone = twilio.call(PHONE)
    phone.dial()
    phone.verify(practitioner_id, PIN, current_code(secret))
    phone.wait(position=1)
    return phone


def take(page: Page, practitioner_id: str) -> None:
    page.get_by_role("row", name=re.compile(practitioner_id)).get_by_role(
        "button", name="Take call"
    ).click()
    expect(page.get_by_role("heading", name=re.compile("^Call with"))).to_be_visible()


def ready_to_search(page: Page) -> None:
    page.get_by_label(re.compile("I asked the caller")).check()
    page.get_by_role("button", name="Confirm identity").click()
    page.get_by_label("Purpose of the enquiry").select_option("safeguarding")
    page.get_by_role("button", name="Record purpose").click()


def search(page: Page, born: str, given: str = "") -> None:
    page.get_by_label("Family name").fill(FAMILY)
    page.get_by_label("Given name").fill(given)
    fill_date(page, "Date of birth", born)
    page.get_by_role("button", name="Search").click()


def checked(page: Page, name: str) -> None:
    """Every state the operator meets passes axe-core and reflows at 320 pixels (run with
    script: axe-core and the width are measured by script in the page)."""
    assert_accessible(page)
    assert_reflows(page)
    screenshot(page, f"trust-{name}")


@pytest.fixture
def without_script(browser: Browser) -> Iterator[Page]:
    """A browser with JavaScript off: every step must still work (progressive enhancement)."""
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="en-GB", java_script_enabled=False
    )
    yield context.new_page()
    context.close()


def test_refusals_keep_the_input_point_at_the_field_and_never_resend_without_script(
    live_app: Flask, live_url: str, without_script: Page
) -> None:
    page, secret = without_script, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQNAB"
    seed(live_app, "46100001", secret, "gov-olive", "KRUGS4ZANFZSA43FMNRXEZLUEBVWK6JB")
    phone = call_in(live_app, "46100001", secret)
    sign_in_page(page, live_url, "gov-olive", "KRUGS4ZANFZSA43FMNRXEZLUEBVWK6JB")
    page.goto(f"{live_url}/console/")
    take(page, "46100001")

    # A refused purpose keeps "Other" chosen, and its error is beside the field, linked.
    page.get_by_label(re.compile("I asked the caller")).check()
    page.get_by_role("button", name="Confirm identity").click()
    page.get_by_label("Purpose of the enquiry").select_option("other")
    page.get_by_role("button", name="Record purpose").click()
    expect(page.get_by_label("Purpose of the enquiry")).to_have_value("other")
    detail = page.get_by_label(re.compile("^Details"))
    expect(detail).to_have_attribute("aria-describedby", "detail-error")
    expect(page.locator("#detail-error")).to_contain_text("Describe the purpose")
    summary_link = page.get_by_role("alert").get_by_role("link", name=re.compile("Describe"))
    expect(summary_link).to_have_attribute("href", "#detail")
    screenshot(page, "trust-1-purpose-refused")  # axe needs script: checked below
    detail.fill("Section 47 enquiry")
    page.get_by_role("button", name="Record purpose").click()

    # The results belong to the criteria echoed above them, which stay in the form.
    search(page, "2015-03-14")
    results = page.get_by_role("region", name="Results")
    expect(results).to_contain_text(f"For family name {FAMILY}, date of birth 14 March 2015")
    expect(results.get_by_role("cell", name=f"Amelia {FAMILY}")).to_be_visible()
    expect(page.get_by_label("Family name")).to_have_value(FAMILY)
    screenshot(page, "trust-2-results-for")  # axe needs script: checked below

    # A refused search lists no results at all (not the last search's), keeps what was typed,
    # and points at the field to change.
    search(page, "2015-03-14", given="A")
    expect(page.get_by_role("region", name="Results")).to_have_count(0)
    expect(page.get_by_text(f"Amelia {FAMILY}")).to_have_count(0)
    expect(page.get_by_label("Given name")).to_have_value("A")
    expect(page.get_by_label("Given name")).to_have_attribute(
        "aria-describedby", "given_name-error"
    )
    expect(page.get_by_role("group", name="Date of birth").get_by_label("Day")).to_have_value("14")
    screenshot(page, "trust-3-search-refused")  # axe needs script: checked below

    # Refreshing the refused search sends nothing again, and audits nothing again.
    refused = len(audit_events(live_app, "search.refused", call_sid=phone.sid))
    page.reload()
    expect(page.get_by_label("Given name")).to_have_value("A")
    assert len(audit_events(live_app, "search.refused", call_sid=phone.sid)) == refused == 1

    # Shielded children and other services involved are marked in the result list.
    search(page, "2016-06-01")
    expect(page.get_by_role("row", name=re.compile("Noah"))).to_contain_text("Shielded")
    search(page, "2014-09-09")
    expect(page.get_by_role("row", name=re.compile("Carys"))).to_contain_text(
        "Other services involved"
    )
    screenshot(page, "trust-4-other-services")  # axe needs script: checked below

    # Without script, a read-back returns to the row it marked, not the top of the record.
    search(page, "2015-03-14")
    page.get_by_role("link", name=re.compile("Open")).click()
    gp = page.get_by_role("row", name=re.compile("Castlemere Surgery"))
    gp.get_by_role("button", name=re.compile("Read back")).click()
    assert "#item-contact-" in page.url
    expect(gp.locator(".govuk-tag")).to_have_text("✓ Read to caller")
    screenshot(page, "trust-5-record-no-script")  # axe needs script: checked below


def test_read_backs_and_a_brokered_request_update_in_place_and_are_sent_once(
    live_app: Flask, live_url: str, page: Page
) -> None:
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQNAC"
    seed(live_app, "46100002", secret, "gov-oscar", "KRUGS4ZANFZSA43FMNRXEZLUEBVWK6JC")
    phone = call_in(live_app, "46100002", secret)
    sign_in_page(page, live_url, "gov-oscar", "KRUGS4ZANFZSA43FMNRXEZLUEBVWK6JC")
    page.goto(f"{live_url}/console/")
    take(page, "46100002")
    checked(page, "6-identity-step")
    # The refused states the first test walks without script, checked here with it.
    page.get_by_role("button", name="Confirm identity").click()
    expect(page.get_by_role("alert").get_by_role("link", name=re.compile("Tick"))).to_be_visible()
    checked(page, "6-identity-refused")
    ready_to_search(page)
    search(page, "2015-03-14", given="A")
    expect(page.get_by_label("Given name")).to_have_attribute(
        "aria-describedby", "given_name-error"
    )
    checked(page, "6-search-refused")
    search(page, "2015-03-14")
    checked(page, "6-results")
    page.get_by_role("link", name=re.compile("Open")).click()

    # Each read-back button says which item it reads.
    buttons = page.get_by_role("button", name=re.compile("^Read back"))
    names = [buttons.nth(n).evaluate("b => b.textContent.trim()") for n in range(buttons.count())]
    assert len(names) > 5 and len(set(names)) == len(names), names

    # A read-back marks its row without reloading the page (nor moving to its top).
    page.evaluate("window.notReloaded = true")
    gp = page.get_by_role("row", name=re.compile("Castlemere Surgery"))
    gp.get_by_role("button", name=re.compile("Read back")).click()
    expect(gp.locator(".govuk-tag")).to_have_text("✓ Read to caller")
    assert page.evaluate("window.notReloaded") is True

    # Alt+Shift+R reads back the item the operator is on.
    school = page.get_by_role("row", name=re.compile("Mill Lane Primary"))
    school.get_by_role("button", name=re.compile("Read back")).focus()
    page.keyboard.press("Alt+Shift+R")
    expect(school.locator(".govuk-tag")).to_have_text("✓ Read to caller")
    assert page.evaluate("window.notReloaded") is True
    checked(page, "6-read-back-in-place")

    # A brokered request for the shielded child: sent in place, and once, however pressed.
    page.get_by_role("link", name=re.compile("Back to the call")).click()
    search(page, "2016-06-01")
    page.get_by_role("link", name=re.compile("Open")).click()
    page.get_by_label(re.compile("Why the caller needs")).fill("Invite to a strategy meeting")
    page.evaluate("window.notReloaded = true")
    request = page.get_by_role("button", name="Request brokered contact")
    request.dblclick()
    expect(page.locator("#brokered-done")).to_contain_text("Brokered contact requested")
    assert page.evaluate("window.notReloaded") is True
    page.reload()
    expect(page.get_by_role("button", name="Request brokered contact")).to_have_count(0)
    expect(page.locator("#brokered-done")).to_contain_text("Requested")
    asked = audit_events(live_app, "record.brokered_contact_requested", call_sid=phone.sid)
    assert len(asked) == 1
    checked(page, "7-brokered-once")


def test_the_current_step_comes_first_and_the_frequent_actions_have_shortcuts(
    live_app: Flask, live_url: str, page: Page
) -> None:
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQNAD"
    seed(live_app, "46100003", secret, "gov-orla", "KRUGS4ZANFZSA43FMNRXEZLUEBVWK6JD")
    call_in(live_app, "46100003", secret)
    sign_in_page(page, live_url, "gov-orla", "KRUGS4ZANFZSA43FMNRXEZLUEBVWK6JD")
    page.goto(f"{live_url}/console/")
    expect(page.get_by_text("take the next caller")).to_be_visible()
    checked(page, "8-queue")

    # Alt+Shift+N takes the next caller, once the operator is available.
    expect(page.get_by_role("row", name=re.compile("46100003"))).to_be_visible()
    page.get_by_role("button", name="Available").click()
    expect(page.get_by_role("button", name="Take next")).to_be_visible()
    page.keyboard.press("Alt+Shift+N")
    # Taking a call commits, then rings the operator with nothing open: allow a busy machine.
    expect(page.get_by_role("heading", name=re.compile("^Call with"))).to_be_visible(timeout=15_000)
    expect(page.get_by_text("hold or resume the caller")).to_be_visible()

    # From the top of the page, Tab reaches the current step before ending the call.
    page.get_by_role("link", name="Mediated Access Desk").focus()
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(page.evaluate(FOCUSED))
        if "is_confirmed" in reached:
            break
    assert "is_confirmed" in reached, reached
    assert not any(re.match("Wrap up|Return caller|Hold", str(r)) for r in reached), reached

    # Alt+Shift+W moves to the wrap-up; Alt+Shift+H holds the caller.
    page.keyboard.press("Alt+Shift+W")
    expect(page.get_by_label("Wrap-up")).to_be_focused()
    with page.expect_request(re.compile(r"/(hold|resume)$")):
        page.keyboard.press("Alt+Shift+H")
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name=re.compile("^Call with"))).to_be_visible()
    checked(page, "9-call-shortcuts")
