"""Local authority officers in a real browser: a brokered request worked to its end and the
practitioner's dev phone receiving the outcome; a shield added and lifted with four eyes; and
an officer of another authority who sees nothing of the child."""

import re

from flask import Flask
from playwright.sync_api import Page, expect

from desk.dev.simulator import Twilio
from desk.staff.models import Role
from tests.browser.conftest import assert_accessible, fill_date, screenshot, sign_in_page
from tests.children import child, load_children
from tests.desk.conftest import Console, queued_call
from tests.factories import make_practitioner, make_staff
from tests.pages import sign_in, staff_code, submit

CALDERDALE, BURY = "E08000033", "E08000002"
PRACTITIONER = "48100001"  # unique in the committed database the browser tests share
PRACTITIONER_PHONE = "+447700900615"
PRACTITIONER_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
OPERATOR_SECRET = "MZXW6YTBOI2DAMBQGAYDAMBQGAYDAMBQ"
OONA_SECRET = "ORSXG5BAORSXG5BAORSXG5BAORSXG5BA"
OSCAR_SECRET = "NFXHG4DFMN2GS33OEBXW4ZJAORTW6IDB"
OLAF_SECRET = "OBZGK4DBOJSSAZDFNVXSA3TVNVRGK4TT"
WREN = child(
    "browser-la-wren",
    "Wren",
    "Halloran",
    "2016-04-04",
    shielded=True,
    address={"lines": ["2 Moor Lane"], "town": "Hebden Bridge", "postcode": "HX7 8AA"},
    contacts=[{"kind": "gp", "organisation": "Moorside Surgery", "name": "Dr Ives"}],
    local_authority=CALDERDALE,
)
FINCH = child(
    "browser-la-finch",
    "Finch",
    "Halloran",
    "2014-05-05",
    address={"lines": ["4 Moor Lane"], "town": "Hebden Bridge", "postcode": "HX7 8AB"},
    local_authority=CALDERDALE,
)


def a_brokered_request(app: Flask) -> None:
    """Pia asks Opal about Wren (shielded), who asks Calderdale to broker contact."""
    with app.app_context():
        make_practitioner(
            practitioner_id=PRACTITIONER,
            name="Pia Caller",
            organisation="Calderdale Health Visiting",
            role="Health visitor",
            phones=(PRACTITIONER_PHONE,),
            totp_secret=PRACTITIONER_SECRET,
        )
        make_staff(
            username="opal",
            name="Opal Operator",
            totp_secret=OPERATOR_SECRET,
            phone_leg="client:opal",
        )
        for username, name, secret, scope in (
            ("oona", "Oona Officer", OONA_SECRET, CALDERDALE),
            ("oscar", "Oscar Officer", OSCAR_SECRET, CALDERDALE),
            ("olaf", "Olaf Elsewhere", OLAF_SECRET, BURY),
        ):
            make_staff(
                username=username,
                name=name,
                role=Role.LA_OFFICER,
                totp_secret=secret,
                scopes=(scope,),
            )
        load_children([WREN, FINCH])
    twilio = Twilio(app.test_client(), app.config["TWILIO_AUTH_TOKEN"])
    console = Console(app.test_client(), app)
    sign_in(console.client, username="opal", code=staff_code(OPERATOR_SECRET))
    console.take(
        queued_call(twilio, PRACTITIONER, caller=PRACTITIONER_PHONE, secret=PRACTITIONER_SECRET)
    )
    console.post("identity", {"is_confirmed": "y"})
    console.post("purpose", {"purpose": "health"})
    console.search(family_name="Halloran", date_of_birth="2016-04-04")
    wren, _ = console.open_only_result()
    submit(console.client, wren, {"reason": "Missed immunisations"}, f"{wren}/brokered")
    console.wrap_up("brokered_contact")


def test_officers_broker_contact_and_shield_with_four_eyes(
    live_app: Flask, live_url: str, page: Page
) -> None:
    a_brokered_request(live_app)

    sign_in_page(page, live_url, "oona", OONA_SECRET)
    page.get_by_role("link", name="Brokered requests").first.click()
    row = page.get_by_role("row", name=re.compile("Calderdale"))
    expect(row).to_have_count(1)
    assert_accessible(page)
    row.get_by_role("link").click()
    request_url = page.url
    main = page.locator("main")
    for seen in (
        "Pia Caller",
        "Health visitor",
        PRACTITIONER_PHONE,
        "Missed immunisations",
        "Wren Halloran",
        "Moorside Surgery",
        "2 Moor Lane",
    ):
        expect(main).to_contain_text(seen)
    page.get_by_role("button", name="Claim this request").click()
    expect(page.get_by_text("You have claimed the request.")).to_be_visible()
    page.get_by_label("Note (who, how, what came of it)").fill("Rang Moorside: Dr Ives is in")
    page.get_by_role("button", name="Log it").click()
    page.get_by_label("Outcome").select_option("contact_made")
    page.get_by_label("Note", exact=True).fill("Dr Ives will see Pia's team")
    assert_accessible(page)
    page.get_by_role("button", name="Close and tell the practitioner").click()
    expect(page.get_by_text("the practitioner has been sent the outcome")).to_be_visible()
    reference = re.search(r"BR\d{6}", page.locator("h1").inner_text())
    assert reference is not None
    screenshot(page, "authority-1-request-closed")

    # The practitioner's phone: the dev phone shows the text, with the reference, no child.
    page.goto(f"{live_url}/devphone")
    messages = page.locator("#messages")
    expect(messages).to_contain_text(f"{reference.group()} is closed. Outcome: Contact made")
    assert "Wren" not in messages.inner_text() and "Halloran" not in messages.inner_text()

    # Oona shields Finch and asks for the shield to be lifted; only a second officer can.
    page.goto(f"{live_url}/authority/shields")
    with live_app.app_context():
        from sqlalchemy import select

        from desk.core.extensions import db
        from desk.records.models import Child

        finch = db.session.scalar(
            select(Child.contactpoint_id).where(Child.source_id == "browser-la-finch")
        )
    page.get_by_label("ContactPoint number").fill(finch or "")
    page.get_by_label("Reason").select_option("adoption")
    fill_date(page, "Review by", "2030-01-31")
    page.get_by_role("button", name="Shield", exact=True).click()
    expect(page.get_by_text("The child is shielded, from now.")).to_be_visible()
    page.get_by_role("row", name=re.compile("Finch")).get_by_role(
        "button", name="Ask to lift"
    ).click()
    expect(page.get_by_role("row", name=re.compile("Finch"))).to_contain_text(
        "a second officer must approve"
    )
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()

    sign_in_page(page, live_url, "oscar", OSCAR_SECRET)
    page.goto(f"{live_url}/authority/shields")
    page.get_by_role("row", name=re.compile("Finch")).get_by_role(
        "button", name="Approve lifting"
    ).click()
    expect(page.get_by_text("The shield is lifted.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Finch"))).to_have_count(0)
    screenshot(page, "authority-2-shield-lifted")
    page.get_by_role("button", name="Sign out").click()

    # Bury's officer sees nothing of Calderdale's children or requests.
    sign_in_page(page, live_url, "olaf", OLAF_SECRET)
    page.goto(f"{live_url}/authority/")
    expect(page.locator("main")).not_to_contain_text("Calderdale")
    assert page.request.get(request_url).status == 404
    page.goto(f"{live_url}/authority/shields")
    expect(page.locator("main")).not_to_contain_text("Halloran")
