"""The README's screenshots, taken by following its tour on a throwaway demo desk.

`make screenshots`: a development desk on SQLite in a temporary folder, migrated and seeded as
`make demo` does, served on a free local port and driven through Debian's Chromium by
Playwright. Pages are found by role, label and text, as a person reads them, so a change of
markup or style leaves the script working. The pictures go to docs/screenshots/.
"""

import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyotp
from playwright.sync_api import Page, expect, sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("DESK_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-background-networking",
]
VIEWPORT = {"width": 1366, "height": 768}


@contextmanager
def demo_desk() -> Iterator[tuple[str, dict[str, str]]]:
    """A seeded demo desk's address, and the demo's sample children by what they are for."""
    os.environ["DESK_ENV"] = "development"
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from desk.app import create_app
    from desk.dev.samples import samples

    with tempfile.TemporaryDirectory(prefix="desk-screenshots-") as folder:
        app = create_app(instance_path=folder)
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
        seeded = app.test_cli_runner().invoke(args=["demo"])
        if seeded.exit_code != 0:
            raise SystemExit(seeded.output)
        with app.app_context():
            children = {sample.what: sample.criteria for sample in samples()}
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_port}", children
        finally:
            server.shutdown()


def code(secret: str) -> str:
    return pyotp.TOTP(secret).now()


def shot(page: Page, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"))
    print(f"docs/screenshots/{name}.png")


def sign_in(page: Page, url: str, username: str, password: str, secret: str) -> None:
    page.goto(f"{url}/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Authenticator code").fill(code(secret))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def fill_date_of_birth(page: Page, born: str) -> None:
    """The date as the form asks for it: day, month and year boxes, or one date field."""
    day, month, year = born.split()
    number = "January February March April May June July August September October November December"
    month_number = number.split().index(month) + 1
    if page.get_by_label("Day").count():
        page.get_by_label("Day").fill(day)
        page.get_by_label("Month").fill(str(month_number))
        page.get_by_label("Year").fill(year)
    else:
        page.get_by_label("Date of birth").fill(f"{year}-{month_number:02d}-{int(day):02d}")


def tour(url: str, children: dict[str, str], phone: Page, desk: Page) -> None:
    # 1. The practitioner calls from the dev phone and waits in the queue.
    phone.goto(f"{url}/devphone")
    phone.get_by_role("button", name="Call the desk").click()
    transcript = phone.locator("#transcript")
    for prompt, answer in (
        ("practitioner ID", "40000001"),
        ("your PIN", "739182"),
        ("digit code", "TOKEN"),
    ):
        expect(transcript).to_contain_text(prompt, timeout=10_000)
        typed = code("JBSWY3DPEHPK3PXPJBSWY3DP") if answer == "TOKEN" else answer
        phone.keyboard.type(typed + "#", delay=30)
    expect(transcript).to_contain_text("next in the queue", timeout=10_000)
    shot(phone, "1-devphone")

    # 2. The operator lands on the queue.
    sign_in(desk, url, "operator", "demo-operator-pass", "OPERATORDEMOSECRETOPERATOR234567")
    row = desk.get_by_role("row", name=re.compile("Sam Field"))
    expect(row).to_be_visible(timeout=10_000)
    shot(desk, "2-queue")

    # 3. Take the call, confirm the caller, record the purpose, search.
    row.get_by_role("button", name="Take call").click()
    expect(desk.get_by_role("heading", name=re.compile("Sam Field"))).to_be_visible()
    desk.get_by_label(re.compile("I asked the caller")).check()
    desk.get_by_role("button", name="Confirm identity").click()
    desk.get_by_label("Purpose of the enquiry").select_option("find_professionals")
    desk.get_by_role("button", name="Record purpose").click()
    family, born = children["Family name and date of birth"].split(", ")
    desk.get_by_label("Family name").fill(family)
    fill_date_of_birth(desk, born)
    desk.get_by_role("button", name="Search").click()
    expect(desk.get_by_role("link", name=re.compile("Open"))).to_be_visible()
    shot(desk, "3-results")

    # 4. Open the record and read one thing back.
    desk.get_by_role("link", name=re.compile("Open")).first.click()
    desk.get_by_role("button", name=re.compile("Read back")).first.click()
    desk.wait_for_load_state()
    shot(desk, "4-record-read-back")

    # 5. Back to the call, wrap up.
    desk.get_by_role("link", name=re.compile("Back to the call")).click()
    desk.get_by_label("Wrap-up").select_option("information_given")
    desk.get_by_role("button", name="Wrap up and hang up").click()
    desk.wait_for_load_state()
    sign_out(desk)

    # 6. The supervisor lands on review; a call's timeline.
    sign_in(desk, url, "supervisor", "demo-supervisor-pass", "SUPERVISORDEMOSECRETSUPERVISOR23")
    expect(desk.get_by_role("row", name=re.compile("Sam Field"))).to_be_visible()
    shot(desk, "5-review")
    desk.get_by_role("row", name=re.compile("Sam Field")).get_by_role("link").first.click()
    desk.wait_for_load_state()
    shot(desk, "6-timeline")
    sign_out(desk)

    # 8. The officer's requests, 10. the manager's report, 7. administration.
    sign_in(desk, url, "officer", "demo-officer-pass", "OFFICERDEMOSECRETOFFICERDEMO2345")
    shot(desk, "7-officer-requests")
    sign_out(desk)
    sign_in(desk, url, "manager", "demo-manager-pass", "MANAGERDEMOSECRETMANAGERDEMO2345")
    shot(desk, "8-manager-report")
    sign_out(desk)
    sign_in(desk, url, "admin", "demo-admin-pass-16", "ADMINDEMOSECRETADMINDEMOSECRET23")
    shot(desk, "9-admin")


def main() -> None:
    """Follow the tour and write its screenshots."""
    with demo_desk() as (url, children), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        phone = browser.new_context(viewport=VIEWPORT, locale="en-GB").new_page()
        desk = browser.new_context(viewport=VIEWPORT, locale="en-GB").new_page()
        try:
            tour(url, children, phone, desk)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
