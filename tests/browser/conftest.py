"""A live desk for the browser: its own committed database, served on a free local port."""

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from desk import create_app
from desk.extensions import db
from tests.conftest import ADMIN_URL, TEST_CONFIG, TEST_DATABASE

BROWSER_DATABASE = f"{TEST_DATABASE}_browser"
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
]
SCREENSHOTS = Path(os.environ.get("DESK_TEST_SCREENSHOTS", "build/screenshots"))


@pytest.fixture(scope="session")
def live_app() -> Iterator[Flask]:
    """The desk on a database of its own, whose data is committed for the server thread to see."""
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {BROWSER_DATABASE} WITH (FORCE)"))
        connection.execute(sa.text(f"CREATE DATABASE {BROWSER_DATABASE}"))
    uri = make_url(ADMIN_URL).set(database=BROWSER_DATABASE).render_as_string(hide_password=False)
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()
    admin.dispose()


@pytest.fixture(scope="session")
def live_url(live_app: Flask) -> Iterator[str]:
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
    yield opened
    context.close()


def screenshot(page: Page, name: str) -> None:
    """Keep a picture of the page, to look at as an operator would."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
