"""Orders in a real browser: create an order, add two lines and change a quantity, and the
totals follow each change without the page reloading."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def test_create_an_order_with_two_lines_and_watch_the_totals(page, live_server, console_errors):
    login(page, live_server, "owner@trattoria.demo")
    page.goto(live_server + "/orders/new")
    page.locator("#customer_q").press_sequentially("dvorak", delay=30)
    page.get_by_label(re.compile("Antonín Dvořák")).check()
    page.locator("#table_label").fill("12")
    page.get_by_role("button", name="Create order").click()
    expect(page).to_have_url(re.compile(r"/orders/\d+$"))
    expect(page.locator("#order-header")).to_contain_text("Antonín Dvořák")

    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    total = page.locator('[data-total="total"]')
    expect(total).to_have_text("€0.00")

    page.locator("#catalog-q").press_sequentially("acqua", delay=30)
    option = page.locator(".variant-option").filter(has_text="Acqua minerale")
    expect(option).to_have_count(1)
    option.get_by_role("button", name="Add").click()
    expect(page.locator(".order-line")).to_have_count(1)
    expect(total).to_have_text("€2.00")

    page.locator("#free-description").fill("Corkage")
    page.locator("#free-price").fill("8")
    page.get_by_role("button", name="Add line").click()
    expect(page.locator(".order-line")).to_have_count(2)
    expect(total).to_have_text("€10.00")

    quantity = page.locator(".order-line").first.locator('input[name="quantity"]')
    quantity.fill("3")
    quantity.press("Tab")
    expect(total).to_have_text("€14.00")
    expect(page.locator('[data-total="balance"]')).to_have_text("€14.00")
    assert console_errors == []  # no CSP violation, no failed request

    quantity = page.locator(".order-line").first.locator('input[name="quantity"]')
    quantity.fill("0")
    quantity.press("Tab")
    expect(page.locator(".order-line").first).to_contain_text("Enter a quantity above zero.")
    expect(total).to_have_text("€14.00")

    assert navigations == []  # every change was swapped in place
    # The refused change is a 422 answer, which the browser logs; nothing else went wrong.
    assert all("422" in error for error in console_errors), console_errors


def test_edit_the_details_in_place_and_cancel(page, live_server, console_errors):
    """ "Edit details" brings the form in place of the details; saving shows them again with
    the change; Cancel leaves them as they were. No page load on the way."""
    login(page, live_server, "owner@trattoria.demo")
    page.goto(live_server + "/orders/new")
    page.locator("#table_label").fill("4")
    page.get_by_role("button", name="Create order").click()
    expect(page).to_have_url(re.compile(r"/orders/\d+$"))
    details = page.locator("#order-details")
    expect(details.locator("form")).to_have_count(0)

    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    details.get_by_role("link", name="Edit details").click()
    expect(details.locator("#notes")).to_be_visible()
    details.locator("#notes").fill("Birthday: candle on the tiramisù")
    details.locator("#table_label").fill("7")
    details.get_by_role("button", name="Save details").click()
    expect(details.get_by_role("status")).to_have_text("Saved.")
    expect(details).to_contain_text("Birthday: candle on the tiramisù")
    expect(details.locator("form")).to_have_count(0)
    expect(page.locator("#order-header")).to_contain_text("Table 7")

    details.get_by_role("link", name="Edit details").click()
    details.locator("#notes").fill("Not meant")
    details.get_by_role("link", name="Cancel").click()
    expect(details.locator("form")).to_have_count(0)
    expect(details).to_contain_text("Birthday: candle on the tiramisù")
    assert navigations == []
    assert console_errors == []
