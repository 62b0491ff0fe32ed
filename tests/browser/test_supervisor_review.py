"""A supervisor's shift in a real browser: find a flagged call, read its timeline, sign it off,
glance at the dashboard; and a manager, who alone downloads the report (holding nothing about
any child), and answers a subject access request on screen."""

import csv
import io
import re

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from desk.core.extensions import db
from desk.dev.simulator import Twilio
from desk.records.models import Child
from desk.staff.models import Role
from tests.browser.conftest import assert_accessible, screenshot, sign_in_page
from tests.children import child, load_children
from tests.desk.conftest import Console, called_back, queued_call
from tests.factories import make_practitioner, make_staff
from tests.pages import sign_in, staff_code, submit

PRACTITIONER = "44000001"  # unique in the committed database the browser tests share
PRACTITIONER_SECRET = "IEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
ORLA_SECRET = "NBSWY3DPEB3W64TMMQQHKZLSEBXW4ZJA"
SUE_SECRET = "ONSWG4TFOQQHO33SMRZSA5DPEBRGKIDT"
MABEL_SECRET = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"
INJECTION = '=HYPERLINK("http://evil.example","Open")'
# The children of this test, with details no practitioner's or operator's could share.
QUENBYS = [
    child(
        "browser-review-isla",
        "Isla Mae",
        "Quenby",
        "2013-07-21",
        address={"lines": ["7 Calder Row"], "town": "Todmorden", "postcode": "OL14 5AB"},
        contacts=[{"kind": "parent", "name": "Ruth Quenby", "phone": "+447700900333"}],
    ),
    child(
        "browser-review-eli",
        "Eli",
        "Quenby",
        "2017-02-02",
        gender="male",
        shielded=True,
        address={"lines": ["9 Burnley Road"], "town": "Walsden", "postcode": "OL14 6XY"},
        contacts=[{"kind": "parent", "name": "Tom Quenby", "phone": "+447700900444"}],
    ),
]


def a_flagged_call(app: Flask) -> None:
    """Otis, from a number not his, asks Orla about the Quenby children, for 'other' reasons."""
    with app.app_context():
        make_practitioner(
            practitioner_id=PRACTITIONER,
            name="Otis Caller",
            organisation="Calderdale Youth Service",
            role="Youth worker",
            phones=("+447700900555",),
            totp_secret=PRACTITIONER_SECRET,
        )
        make_staff(
            username="orla", name="Orla Operator", totp_secret=ORLA_SECRET, phone_leg="client:orla"
        )
        make_staff(
            username="sue", name="Sue Pervisor", role=Role.SUPERVISOR, totp_secret=SUE_SECRET
        )
        load_children(QUENBYS)
    twilio = Twilio(app.test_client(), app.config["TWILIO_AUTH_TOKEN"])
    console = Console(app.test_client(), app)
    sign_in(console.client, username="orla", code=staff_code(ORLA_SECRET))
    console.take(
        queued_call(twilio, PRACTITIONER, caller="+447700900666", secret=PRACTITIONER_SECRET)
    )
    called_back(console, "+447700900555", PRACTITIONER_SECRET)
    console.post("identity", {"is_confirmed": "y"})
    console.post("purpose", {"purpose": "other", "detail": INJECTION})
    console.search(family_name="Quenby", date_of_birth="2013-07-21")
    isla, _ = console.open_only_result()
    console.read_back(isla, "child.address")
    console.search(family_name="Quenby", given_name="Eli", date_of_birth="2017-02-02")
    eli, _ = console.open_only_result()
    submit(console.client, eli, {"reason": "Youth club referral"}, f"{eli}/brokered")
    console.wrap_up("brokered_contact")


def child_details(app: Flask) -> list[str]:
    """This test's children in full, and every name and number in the shared index."""
    with app.app_context():
        everyone = db.session.execute(
            select(Child.contactpoint_id, Child.given_names, Child.family_name, Child.postcode)
        ).all()
    details = {value for row in everyone for value in row if value}
    for entry in QUENBYS:
        address = entry["address"]
        details |= {entry["date_of_birth"], *address["lines"], address["town"], address["postcode"]}
        details |= {c["name"] for c in entry["contacts"]} | {c["phone"] for c in entry["contacts"]}
    return sorted(details)


def test_a_supervisor_reviews_a_flagged_call_and_downloads_a_report(
    live_app: Flask, live_url: str, page: Page
) -> None:
    a_flagged_call(live_app)

    sign_in_page(page, live_url, "sue", SUE_SECRET)
    page.get_by_role("link", name="Review").click()
    expect(page.get_by_role("heading", name="Mediated calls")).to_be_visible()

    page.get_by_label("Flags").select_option("any")
    page.get_by_label("Not yet signed off").check()
    page.get_by_role("button", name="Show calls").click()
    row = page.get_by_role("row", name=re.compile("Otis Caller"))
    expect(row).to_be_visible()
    expect(row).to_contain_text("Shielded record")
    expect(row).to_contain_text("Unregistered number")
    screenshot(page, "review-1-flagged-calls")

    row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    timeline = page.locator("table.timeline")
    for step in (
        "Verified by keypad (attempt 1)",
        "Taken by Orla Operator",
        "Purpose: Other",
        "Search by family name and date of birth",
        "Record A: read back the child's address",
        "Record B opened",
        "Record B: brokered contact requested",
        "Wrapped up: Brokered contact requested",
    ):
        expect(timeline).to_contain_text(step)
    shown = page.locator("main").inner_text()
    assert [d for d in child_details(live_app) if d in shown] == []
    screenshot(page, "review-2-timeline")

    # The sign-off comes before the long timeline, on the first screen, with the way on.
    sign_off = page.get_by_role("button", name="Sign off this call").bounding_box()
    timeline_top = page.get_by_role("heading", name="Timeline").bounding_box()
    assert sign_off is not None and timeline_top is not None
    assert sign_off["y"] < timeline_top["y"] and sign_off["y"] + sign_off["height"] < 768
    following = page.locator("#next-unreviewed")
    expect(following).to_have_text(
        re.compile("Next unreviewed call|No other call is waiting for your sign-off")
    )
    page.get_by_label("Comment").fill("Checked with Otis's manager: a youth club referral. Fine.")
    page.get_by_role("button", name="Sign off this call").click()
    expect(page.get_by_text("Call signed off.")).to_be_visible()
    expect(page.get_by_role("button", name="Sign off this call")).to_have_count(0)
    expect(timeline).to_contain_text("Signed off by Sue Pervisor")
    screenshot(page, "review-3-signed-off")

    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Calls taken per operator")).to_be_visible()
    expect(page.locator("figure svg")).to_have_count(6)
    screenshot(page, "review-4-dashboard")

    # The audit report is the managers' alone now: a supervisor has no link and no download.
    expect(page.get_by_role("link", name="Audit report")).to_have_count(0)
    assert page.request.get(f"{live_url}/manager/").status == 403


def test_a_manager_downloads_the_report_and_runs_subject_access(
    live_app: Flask, live_url: str, page: Page
) -> None:
    with live_app.app_context():
        make_staff(
            username="mabel", name="Mabel Manager", role=Role.MANAGER, totp_secret=MABEL_SECRET
        )
        number = db.session.scalar(
            select(Child.contactpoint_id).where(Child.source_id == "browser-review-isla")
        )
    sign_in_page(page, live_url, "mabel", MABEL_SECRET)
    page.get_by_role("navigation").get_by_role("link", name="Audit report").click()
    # The purposes' own words are free text: in the report only when asked for.
    page.get_by_label("Include each purpose's own words, as the operator typed them").check()
    screenshot(page, "review-5-report")
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download CSV").click()
    download = downloading.value
    assert download.suggested_filename.startswith("desk-audit-")
    text = download.path().read_text(encoding="utf-8-sig")
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["practitioner ID"] == PRACTITIONER]
    assert len(rows) == 1
    assert rows[0]["signed off by"] == "Sue Pervisor"  # by the test before, on the same desk
    assert rows[0]["purpose detail"] == "'" + INJECTION
    assert [d for d in child_details(live_app) if d in text] == []

    page.get_by_role("navigation").get_by_role("link", name="Subject access").click()
    page.get_by_label("ContactPoint number").fill(number or "")
    page.get_by_role("button", name="Look it up").click()
    answer = page.locator("main")
    expect(answer).to_contain_text("Otis Caller")
    expect(answer).to_contain_text("Orla Operator")
    expect(answer).to_contain_text("read back to the caller: address")
    assert_accessible(page)
    screenshot(page, "manager-subject-access")
