"""A supervisor's wallboard in a real browser: it moves by itself as a call arrives and is taken."""

from pathlib import Path

from flask import Flask
from playwright.sync_api import Page, expect

from desk.dev.simulator import Twilio
from desk.staff.models import Role
from tests.browser.conftest import screenshot, sign_in_page
from tests.desk.conftest import Console, queued_call
from tests.factories import make_practitioner, make_staff
from tests.pages import sign_in, staff_code

PRACTITIONER = "47200001"  # unique in the committed database the browser tests share
PRACTITIONER_SECRET = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"
WES_SECRET = "OVZXIZLSNV2W4ZDFOJZWC3DMMVRXI2LP"
WENDY_SECRET = "NFXGIZLQMVXGIZLOORWHSZLBON2GC3TE"
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


def accessibility_violations(page: Page) -> list[str]:
    """The WCAG 2 A and AA rules of axe-core the page breaks (evaluated: no CSP in the way)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[str] = page.evaluate(
        "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})"
        ".then(result => result.violations.map(v => v.id + ': ' + v.nodes.length))"
    )
    return found


def test_the_wallboard_moves_when_a_call_arrives_and_is_taken(
    live_app: Flask, live_url: str, page: Page
) -> None:
    app = live_app
    with app.app_context():
        make_practitioner(
            practitioner_id=PRACTITIONER,
            name="Wyn Caller",
            phones=("+447700900888",),
            totp_secret=PRACTITIONER_SECRET,
        )
        make_staff(
            username="wes", name="Wes Operator", totp_secret=WES_SECRET, phone_leg="client:wes"
        )
        make_staff(
            username="wendy", name="Wendy Board", role=Role.SUPERVISOR, totp_secret=WENDY_SECRET
        )
    sign_in_page(page, live_url, "wendy", WENDY_SECRET)
    page.get_by_role("link", name="Wallboard").click()
    expect(page.get_by_role("heading", name="Wallboard")).to_be_visible()
    waiting = page.locator('[data-field="waiting"]')
    on_call = page.locator('[data-operators="on_call"]')
    in_progress = page.locator("#in-progress")
    before, busy = int(waiting.inner_text()), int(on_call.inner_text())
    expect(in_progress).not_to_contain_text("Wes Operator")

    twilio = Twilio(app.test_client(), app.config["TWILIO_AUTH_TOKEN"])
    phone = queued_call(twilio, PRACTITIONER, caller="+447700900888", secret=PRACTITIONER_SECRET)
    expect(waiting).to_have_text(str(before + 1), timeout=10_000)
    expect(page.get_by_text("Updated ")).to_be_visible()
    screenshot(page, "wallboard-1-waiting")

    console = Console(app.test_client(), app)
    sign_in(console.client, username="wes", code=staff_code(WES_SECRET))
    assert console.take(phone).status_code == 302
    expect(waiting).to_have_text(str(before), timeout=10_000)
    expect(on_call).to_have_text(str(busy + 1), timeout=10_000)
    expect(in_progress).to_contain_text("Wes Operator")
    screenshot(page, "wallboard-2-taken")
    assert accessibility_violations(page) == []
    # Nothing about the caller is on the board: not their name, number or ID.
    shown = page.locator("main").inner_text()
    assert "Wyn Caller" not in shown and PRACTITIONER not in shown and "900888" not in shown

    console.wrap_up()
    expect(in_progress).not_to_contain_text("Wes Operator", timeout=10_000)
