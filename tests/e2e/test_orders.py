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
