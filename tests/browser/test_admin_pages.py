"""An administrator's morning in a real browser: land on the administration page, find a
locked-out practitioner, unlock them with a reason, issue a new activation code, add a member
of staff; each page passes axe's accessibility checks and shows nothing of any child."""

import re
from pathlib import Path

from flask import Flask
from playwright.sync_api import Page, expect

from desk.core.extensions import db
from desk.core.types import utcnow
from desk.staff.models import Role
from tests.browser.conftest import screenshot
from tests.factories import STAFF_PASSWORD, make_practitioner, make_staff
from tests.pages import staff_code
from tests.stored import audit_events, stored_practitioner, stored_staff
from verification.models import Practitioner

PRACTITIONER = "48000001"  # unique in the committed database the browser tests share
ABE_SECRET = "IFBEGRCFIZDUQSKKJNGE2TSPKBIVEUSU"
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


def accessibility_violations(page: Page) -> list[str]:
    """What axe-core finds wrong on the page (run through the debugger, so the CSP allows it)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"
    )
    return list(found)


def a_locked_practitioner(app: Flask) -> None:
    with app.app_context():
        make_practitioner(
            practitioner_id=PRACTITIONER,
            name="Lena Locked",
            organisation="Camden Early Help",
            phones=("+447700900888",),
        )
        locked = db.session.get_one(Practitioner, PRACTITIONER)
        locked.locked_at, locked.failed_attempts = utcnow(), 5
        make_staff(username="abe", name="Abe Admin", role=Role.ADMIN, totp_secret=ABE_SECRET)
        db.session.commit()


def test_an_administrator_unlocks_a_practitioner_and_adds_staff(
    live_app: Flask, live_url: str, page: Page
) -> None:
    a_locked_practitioner(live_app)

    page.goto(f"{live_url}/sign-in")
    page.get_by_label("Username").fill("abe")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_label("Authenticator code").fill(staff_code(ABE_SECRET))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Practitioners")).to_be_visible()
    assert page.url == f"{live_url}/admin/"
    assert accessibility_violations(page) == []

    page.get_by_label("Practitioner ID, name or organisation").fill("camden early")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name=PRACTITIONER).click()
    expect(page.get_by_role("heading", name=re.compile("Lena Locked"))).to_be_visible()
    expect(page.get_by_text("after 5 consecutive failed verifications")).to_be_visible()
    assert accessibility_violations(page) == []
    screenshot(page, "admin-1-locked-practitioner")

    page.get_by_role("button", name="Unlock").click()
    reason = page.locator("#unlock-reason")
    expect(page.get_by_text("Give the reason: it goes in the audit log.")).to_be_visible()
    assert accessibility_violations(page) == []
    screenshot(page, "admin-2-reason-needed")
    reason.fill("Called the team; identity checked with her manager")
    page.get_by_role("button", name="Unlock").click()
    expect(page.get_by_text("Unlocked: they may try again.")).to_be_visible()
    expect(page.get_by_role("button", name="Unlock")).to_have_count(0)
    assert not stored_practitioner(live_app, PRACTITIONER).is_locked
    abe = stored_staff(live_app, "abe")
    unlocked = [
        e
        for e in audit_events(live_app, "practitioner.unlocked")
        if e.practitioner_id == PRACTITIONER
    ]
    assert [(e.supervisor_id, e.data["reason"]) for e in unlocked] == [
        (abe.id, "Called the team; identity checked with her manager")
    ]

    page.get_by_label("Hand it over").select_option("shown")
    page.get_by_role("button", name="Issue a new activation code").click()
    code = page.get_by_test_id("activation-code")
    expect(code).to_have_text(re.compile(r"^\d{4} \d{4} \d{4} \d{4}$"))
    assert accessibility_violations(page) == []
    screenshot(page, "admin-3-activation-code")
    digits = code.inner_text()
    page.reload()  # a GET of the page: the code is gone for good
    expect(page.get_by_text(digits)).to_have_count(0)
    expect(page.get_by_text("Not yet chosen: activation code issued")).to_be_visible()

    page.get_by_role("link", name="Staff").click()
    page.get_by_label("Username").fill("otis")
    page.get_by_label("Full name").fill("Otis Operator")
    page.get_by_label("Role").select_option("operator")
    page.get_by_role("button", name=re.compile("^Add")).click()
    expect(page.get_by_text("Added operator otis.")).to_be_visible()
    expect(page.locator(".qr svg")).to_be_visible()
    assert accessibility_violations(page) == []
    screenshot(page, "admin-4-staff-added")
    page.get_by_role(
        "button", name="Add, and show their first password and authenticator once"
    ).click()
    expect(page.locator(".govuk-error-message").first).to_be_visible()

    page.get_by_role("link", name="Lapsing").click()
    expect(page.get_by_role("heading", name=re.compile("Vetting lapsing"))).to_be_visible()
    assert accessibility_violations(page) == []
