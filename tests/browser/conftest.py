"""A live desk for the browser, on the committed database, served on a free local port."""

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from tests.factories import STAFF_PASSWORD
from tests.pages import staff_code

CHROMIUM = os.environ.get("DESK_TEST_CHROMIUM", "/usr/bin/chromium")
# Chromium as root in a closed network: no sandbox, and no reaching out to Google's services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # A microphone that is always there and always allowed, for the softphone's check.
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
SCREENSHOTS = Path(os.environ.get("DESK_TEST_SCREENSHOTS", "build/screenshots"))


@pytest.fixture(scope="session")
def live_app(committed_app: Flask) -> Flask:
    return committed_app


@pytest.fixture(scope="session")
def live_url(live_app: Flask) -> Iterator[str]:
    """The desk served on a free local port, for the browser."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-GB")
    opened = context.new_page()
    # Anything the Content-Security-Policy blocks is a page that does not work: fail on it.
    refused: list[str] = []
    opened.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield opened
    context.close()
    assert not refused, refused


AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


def accessibility_violations(page: Page, within: str = "html") -> list[str]:
    """What axe-core finds wrong on the page, or the part of it `within` selects (WCAG 2.2 A
    and AA), by rule and element.

    Evaluated through the browser's debugging protocol, which the page's
    Content-Security-Policy does not govern, so the policy stays as strict as it is.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    found = page.evaluate(
        """async (within) => {
            const tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
            const found = await axe.run(within, { runOnly: tags });
            return found.violations.map(
                (v) => v.id + ": " + v.nodes.map((n) => n.target.join(" ")).join(", "));
        }""",
        within,
    )
    return list(found)


def screenshot(page: Page, name: str) -> None:
    """Keep a picture of the page, to look at as an operator would."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in_page(page: Page, live_url: str, username: str, secret: str) -> None:
    """Sign in through the sign-in page as a member of staff with this authenticator secret,
    and wait until the desk has let them in. A code is accepted once: when another test signed
    in to the same account within this code's 30 seconds, wait for the next code, as a person
    would."""
    for attempt in range(2):
        page.goto(f"{live_url}/sign-in")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(STAFF_PASSWORD)
        page.get_by_label("Authenticator code").fill(staff_code(secret))
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        if not page.url.rstrip("/").endswith("/sign-in"):
            return
        if attempt == 0:
            time.sleep(30 - time.time() % 30 + 1)
    raise AssertionError(f"{username} could not sign in")


def assert_accessible(page: Page) -> None:
    """No violation axe-core can find on the page as it stands (accessibility_violations)."""
    found = accessibility_violations(page)
    assert found == [], found


def fill_date(page: Page, legend: str, iso_date: str) -> None:
    """Type a date into GOV.UK's date input (day, month, year) named by its legend."""
    year, month, day = iso_date.split("-")
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(day.lstrip("0"))
    group.get_by_label("Month").fill(month.lstrip("0"))
    group.get_by_label("Year").fill(year)


NARROWEST = 320  # CSS pixels: WCAG 1.4.10, a 1280-pixel screen at 400% zoom
# The innermost elements that reach past the screen's right edge, to say what does not reflow.
WIDER_THAN_THE_SCREEN = """(width) => Array.from(document.querySelectorAll("body *"))
  .filter((e) => e.getBoundingClientRect().right > width + 1)
  .filter((e) => !Array.from(e.children).some((c) => c.getBoundingClientRect().right > width + 1))
  .slice(0, 5).map((e) => (e.closest("[id]") || {}).id + " " + e.tagName.toLowerCase() + "." +
    Array.from(e.classList).join(".") + " " + Math.round(e.getBoundingClientRect().right))"""


def assert_reflows(page: Page) -> None:
    """At 320 CSS pixels wide the page reads in one column: nothing scrolls sideways."""
    wide = page.viewport_size
    page.set_viewport_size({"width": NARROWEST, "height": 640})
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
        wider = page.evaluate(WIDER_THAN_THE_SCREEN, NARROWEST) if width > NARROWEST else []
        assert width <= NARROWEST, f"{page.url} is {width} CSS pixels wide at {NARROWEST}: {wider}"
    finally:
        if wide is not None:
            page.set_viewport_size(wide)


# The focus indicator's colours (outline, box-shadow, background) and the contrast of the
# strongest of them against what is behind the element, as WCAG 2.2's focus appearance asks.
FOCUS_CONTRAST = "\n".join(
    line
    for line in (Path(__file__).parent / "focus_contrast.js").read_text().splitlines()
    if not line.startswith("//")  # the function alone, for evaluate
)


def assert_focus_visible(page: Page, selector: str) -> None:
    """Each element the selector finds shows, when focused by keyboard, an indicator at 3:1."""
    found = page.locator(selector)
    assert found.count() > 0, f"nothing matches {selector} on {page.url}"
    for n in range(found.count()):
        element = found.nth(n)
        if not element.is_visible() or not element.is_enabled():
            continue  # what cannot be focused has no focus to show
        element.focus()
        contrast = element.evaluate(FOCUS_CONTRAST)
        if contrast < 3:
            shown = element.evaluate(
                "e => [e.outerHTML.slice(0, 120), getComputedStyle(e).outline,"
                " getComputedStyle(e).boxShadow, getComputedStyle(e).backgroundColor]"
            )
            raise AssertionError(f"{page.url}: focus at {contrast:.2f}:1 on {shown}")
