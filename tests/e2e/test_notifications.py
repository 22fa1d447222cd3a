"""Notifications in a real browser: the Settings preview swaps language through htmx, and
the settings form answers a bad value next to its field, then saves."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def test_the_preview_follows_the_chosen_message_and_language(page, live_server):
    login(page, live_server, "owner@trattoria.demo")
    page.goto(live_server + "/settings/notifications")
    subject = page.locator(".message-preview__subject")
    expect(subject).to_be_visible()
    page.select_option("#event", "quote_sent")
    page.select_option("#locale", "pl")
    expect(subject).to_have_text("Wycena zamówienia 1042")
    page.select_option("#channel", "sms")
    expect(page.locator(".message-preview__sms")).to_contain_text("wycena zamówienia 1042")
    expect(page).to_have_url(live_server + "/settings/notifications")  # swapped, not reloaded


def test_a_bad_reply_to_is_answered_next_to_the_field(page, live_server):
    login(page, live_server, "owner@trattoria.demo")
    page.goto(live_server + "/settings/notifications")
    page.fill("#reply_to", "not an address")
    page.click("#notification-settings-form button[type=submit]")
    expect(page.locator("#reply_to-error")).to_have_text("Enter a valid e-mail address.")
    page.fill("#reply_to", "hello@trattoria.example")
    page.click("#notification-settings-form button[type=submit]")
    expect(page.locator(".alert--success")).to_contain_text("Notification settings saved.")
    expect(page.locator("#reply_to")).to_have_value("hello@trattoria.example")
