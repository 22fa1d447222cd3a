"""Two-step sign-in in a real browser: set up from the QR page (inline SVG under the
strict CSP), then a login that asks for the code."""

import re
import secrets
import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def _log_out(page):
    page.click("[data-testid=user-menu]")
    page.locator(".user-menu button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def test_a_new_person_sets_up_two_step_sign_in_and_signs_in_with_a_code(
    page, live_server, console_errors
):
    email = f"two-step-{secrets.token_hex(3)}@example.com"
    login(page, live_server, "owner@spoke.demo")
    page.goto(live_server + "/settings/users")
    page.fill("input[name=email]", email)
    page.fill("input[name=name]", "Two Step")
    page.locator("form[action='/settings/users'] button[type=submit]").click()
    one_time = page.locator("[data-testid=one-time-password] code").inner_text()
    _log_out(page)

    login(page, live_server, email, one_time)
    expect(page).to_have_url(re.compile(r"/account/password$"))
    page.fill("input[name=current_password]", one_time)
    page.fill("input[name=new_password]", "my own long password")
    page.fill("input[name=confirm]", "my own long password")
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/dashboard$"))

    page.click("[data-testid=user-menu]")
    page.locator(".user-menu a[href='/account/two-step']").click()
    page.locator("main form button[type=submit]").click()
    expect(page.locator("[data-testid=qr-code] svg")).to_be_visible()
    secret = page.locator("[data-testid=setup-key]").inner_text().replace(" ", "")
    if time.time() % 30 > 25:  # not across a step: the code typed is the code checked
        time.sleep(30 - time.time() % 30 + 0.1)
    totp = pyotp.TOTP(secret)
    page.fill("input[name=code]", totp.now())
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("[data-testid=recovery-codes] code")).to_have_count(10)
    _log_out(page)

    login(page, live_server, email, "my own long password")
    expect(page).to_have_url(re.compile(r"/login/verify$"))
    page.goto(live_server + "/dashboard")  # waiting for the code opens nothing
    expect(page).to_have_url(re.compile(r"/login"))
    page.goto(live_server + "/login/verify")
    page.fill("input[name=code]", totp.at(time.time() + 30))  # the next step: never used
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator("[data-testid=user-menu]")).to_have_text("Two Step")
    assert console_errors == []
