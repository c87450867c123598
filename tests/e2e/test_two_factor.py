"""SAF-3: a new Privacy Officer's first admin login leads to two-factor setup; the next login asks for the code.

The officer reads the key off the setup page as a person would type it into an app; the code is
django-otp's own TOTP of that key at a pinned instant. axe checks the setup, codes and code pages.
"""

from __future__ import annotations

import re
from base64 import b32decode

import pytest
from playwright.sync_api import expect

from accounts import officers
from tests.conftest import PASSWORD
from tests.e2e.conftest import fresh_page, screenshot
from tests.e2e.test_accessibility import BLOCKING, _violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.policy("SAF-3")]


def _axe(page) -> list[tuple[str, str, str, int]]:
    """axe over the page as it stands (the codes page is the answer to a POST and cannot be reopened)."""
    from axe_playwright_python.sync_playwright import Axe

    return [(page.url, v["id"], v["impact"], len(v["nodes"])) for v in Axe().run(page).response["violations"]]


def test_an_officers_first_admin_login_sets_up_two_factor_then_the_code_is_asked(live_server, browser, otp_clock):
    officer = officers.create_officer(email="olive@softhelpers.example", password=PASSWORD, actor=None)
    base = live_server.url
    found = []
    with fresh_page(browser) as page:
        page.goto(f"{base}/admin/")
        page.get_by_label("Email").fill(officer.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()

        expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
        expect(page.get_by_text("Staff accounts need two-factor sign-in before the admin opens.")).to_be_visible()
        expect(page.get_by_role("img", name="QR code to scan with your authenticator app")).to_be_visible()
        found += _axe(page)
        screenshot(page, "two-factor-setup")
        key = page.locator("#secret-key").inner_text().replace(" ", "")
        right = otp_clock.code_of_key(b32decode(key))
        page.get_by_label("Code from the app").fill("000000" if right != "000000" else "111111")
        page.get_by_role("button", name="Turn on two-factor sign-in").click()
        expect(page.get_by_text("That code is not correct.")).to_be_visible()

        otp_clock.advance(seconds=5)  # django-otp makes the next try wait a second after a wrong one (pinned too)
        page.get_by_label("Code from the app").fill(otp_clock.code_of_key(b32decode(key)))
        page.get_by_role("button", name="Turn on two-factor sign-in").click()
        expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
        codes = page.locator(".recovery-codes code").all_inner_texts()
        assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-7]{4}-[a-z2-7]{4}", code) for code in codes)
        found += _axe(page)
        screenshot(page, "two-factor-codes")
        page.get_by_role("link", name="I have saved them: continue").click()
        expect(page.get_by_role("heading", name="Site administration")).to_be_visible()

    with fresh_page(browser) as page:  # another day, another browser: the code comes after the password
        page.goto(f"{base}/admin/")
        page.get_by_label("Email").fill(officer.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
        found += _axe(page)
        page.get_by_label("Code").fill(codes[0])  # the phone is elsewhere: a recovery code
        page.get_by_role("button", name="Verify").click()
        expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
        expect(page.get_by_text("You used a recovery code; 9 left.")).to_be_visible()
        page.get_by_role("link", name="Two-factor sign-in").click()
        expect(page.get_by_text("Recovery codes left: 9.")).to_be_visible()
        found += _violations(page, page.url)
    print("axe violations on the two-factor pages:", sorted({(v[1], v[2]) for v in found}))
    assert [v for v in found if v[2] in BLOCKING] == []
