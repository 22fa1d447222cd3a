"""The main journeys of the foundation, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def test_owner_logs_in_and_sees_the_dashboard(page, live_server, console_errors):
    login(page, live_server, "owner@trattoria.demo")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator("h1")).to_have_text("Trattoria Demo")
    expect(page.locator("[data-card=revenue]")).to_be_visible()
    expect(page.locator("nav.sidebar")).to_contain_text("Settings")
    assert console_errors == []


def test_switching_language(page, live_server, console_errors):
    login(page, live_server, "staff@trattoria.demo")
    expect(page.locator("nav.sidebar")).to_contain_text("Dashboard")
    page.click("[data-testid=language-menu]")
    page.click("button[lang=cs]")
    expect(page.locator("nav.sidebar")).to_contain_text("Přehled")
    expect(page.locator("html")).to_have_attribute("lang", "cs")
    page.reload()
    expect(page.locator("nav.sidebar")).to_contain_text("Přehled")
    assert console_errors == []


def test_switching_company(page, live_server, console_errors):
    login(page, live_server, "books@demo.test")
    expect(page.locator("h1")).to_have_text("Trattoria Demo")
    page.click("[data-testid=company-switcher]")
    page.get_by_role("button", name=re.compile("Spoke & Chain Bikes")).click()
    expect(page.locator("h1")).to_have_text("Spoke & Chain Bikes")
    expect(page.locator("[data-testid=company-switcher]")).to_have_text("Spoke & Chain Bikes")
    assert console_errors == []


def test_logging_out(page, live_server, console_errors):
    login(page, live_server, "owner@spoke.demo")
    expect(page.locator("h1")).to_have_text("Spoke & Chain Bikes")
    page.click("[data-testid=user-menu]")
    page.locator(".user-menu button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto(live_server + "/dashboard")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    assert console_errors == []


def test_drawer_navigation_on_a_phone(page, live_server):
    page.set_viewport_size({"width": 375, "height": 740})
    login(page, live_server, "owner@trattoria.demo")
    sidebar = page.locator("nav.sidebar")
    expect(sidebar).not_to_be_in_viewport()
    page.click("label.topbar__menu")
    expect(sidebar).to_be_in_viewport()
    sidebar.get_by_role("link", name="Settings").click()
    expect(page).to_have_url(re.compile(r"/settings/company$"))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375


def test_audit_filter_updates_the_table_in_place_and_the_url(page, live_server, console_errors):
    login(page, live_server, "owner@trattoria.demo")
    page.goto(live_server + "/settings/audit")
    rows = page.locator(".audit-row")
    expect(rows.first).to_be_visible()
    # An action picked from the list (by its label); the demo has none of this one.
    page.select_option("select[name=action]", label="Stock of a closed order settled")
    expect(page.locator("#audit-table")).to_contain_text("No entries match these filters.")
    expect(page).to_have_url(re.compile(r"action=order.stock_settle"))
    page.go_back()
    expect(rows.first).to_be_visible()
    assert console_errors == []
