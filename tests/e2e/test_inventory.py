"""Inventory in a real browser: active search narrows the list as you type; Back restores it."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def test_product_search_narrows_as_you_type_and_back_restores(page, live_server, console_errors):
    login(page, live_server, "owner@spoke.demo")
    page.goto(live_server + "/inventory/")
    rows = page.locator(".product-row")
    expect(rows.first).to_be_visible()
    total = rows.count()
    assert total > 3

    page.locator("#catalog-filters input[name=q]").press_sequentially("marathon", delay=30)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Schwalbe Marathon Plus")
    expect(page).to_have_url(re.compile(r"/inventory/\?.*q=marathon"))

    page.locator("#catalog-filters input[name=q]").fill("")
    page.locator("#catalog-filters input[name=q]").press_sequentially(
        "brzd", delay=30
    )  # nothing matches
    # The bike shop works in Czech: "No products match these filters."
    expect(page.locator("#product-results")).to_contain_text("neodpovídají žádné produkty")
    expect(page).to_have_url(re.compile(r"q=brzd"))

    page.go_back()
    expect(page).to_have_url(re.compile(r"q=marathon"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Schwalbe Marathon Plus")

    page.reload()  # the pushed URL is a real page
    expect(rows).to_have_count(1)
    expect(page.locator("#catalog-filters input[name=q]")).to_have_value("marathon")
    assert console_errors == []


def test_accent_insensitive_search_and_low_stock_card(page, live_server, console_errors):
    login(page, live_server, "owner@trattoria.demo")
    card = page.locator("[data-card=stock]")
    expect(card.locator("[data-testid=kpi-stock]")).not_to_have_text("—")
    card.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/inventory/low-stock$"))
    expect(page.locator(".variant-row").first).to_be_visible()
    page.goto(live_server + "/inventory/")
    page.locator("#catalog-filters input[name=q]").press_sequentially("tiramisu", delay=30)
    expect(page.locator(".product-row")).to_have_count(1)
    expect(page.locator(".product-row").first).to_contain_text("Tiramisù")
    assert console_errors == []


def test_filter_selects_update_the_list_in_place(page, live_server, console_errors):
    login(page, live_server, "owner@spoke.demo")
    page.goto(live_server + "/inventory/")
    page.locator("#catalog-filters select[name=kind]").select_option("service")
    expect(page).to_have_url(re.compile(r"kind=service"))
    expect(page.locator(".product-row")).to_have_count(3)
    expect(page.locator("#product-results")).to_contain_text("180 min")
    assert console_errors == []
