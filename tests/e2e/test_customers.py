"""Customers in a real browser: active search with history, CSV import and export with
progress."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def test_active_search_narrows_as_you_type_and_back_restores(page, live_server, console_errors):
    login(page, live_server, "owner@trattoria.demo")
    page.goto(live_server + "/customers/")
    rows = page.locator("tr.customer-row")
    expect(rows).to_have_count(17)
    search = page.locator("#q")
    search.press_sequentially("dvor", delay=30)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Antonín Dvořák")
    expect(page).to_have_url(re.compile(r"q=dvor"))
    search.fill("")
    search.press_sequentially("+48", delay=30)
    expect(rows).to_have_count(2)  # both Polish phone numbers
    expect(page).to_have_url(re.compile(r"q=%2B48"))
    page.go_back()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Antonín Dvořák")
    page.reload()
    expect(rows).to_have_count(1)
    assert console_errors == []


def test_back_from_a_found_customer_shows_the_whole_searched_page(
    page, live_server, console_errors
):
    """The search's htmx answer (the rows alone) and the page share one URL; Back from
    the customer must bring the page, not the browser's cached rows."""
    login(page, live_server, "owner@trattoria.demo")
    page.goto(live_server + "/customers/")
    page.locator("#q").press_sequentially("dvo", delay=30)
    rows = page.locator("tr.customer-row")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=dvo"))
    page.get_by_role("link", name="Antonín Dvořák").click()
    expect(page.locator("h1")).to_contain_text("Antonín Dvořák")
    page.go_back()
    expect(page).to_have_url(re.compile(r"q=dvo"))
    expect(page.locator("#q")).to_have_value("dvo")
    expect(page.locator("nav.sidebar")).to_be_visible()
    expect(rows).to_have_count(1)
    assert console_errors == []


def test_granting_store_credit_updates_balance_message_and_timeline_in_place(
    page, live_server, console_errors
):
    login(page, live_server, "owner@trattoria.demo")
    page.goto(live_server + "/customers/?q=dvorak")
    page.get_by_role("link", name="Antonín Dvořák").click()
    before = page.get_by_test_id("credit-balance").inner_text()
    credit = page.locator("#store-credit")
    credit.get_by_label("Amount").fill("7.50")
    credit.get_by_label("Reason").fill("Late delivery")
    credit.get_by_role("button", name="Record").click()
    expect(page.get_by_test_id("credit-balance")).not_to_have_text(before)
    expect(page.locator("#flashes")).to_contain_text("Store credit updated.")
    expect(page.locator("#timeline")).to_contain_text("Store credit granted")
    expect(credit.locator("tbody tr").first).to_contain_text("Grant · Late delivery")
    assert console_errors == []


def test_csv_import_shows_progress_and_ends_with_the_summary(page, live_server, console_errors):
    login(page, live_server, "owner@trattoria.demo")
    page.goto(live_server + "/customers/import")
    lines = ["Name,E-mail,Phone,City", "Broken Row,not-an-email,,Brno"]
    lines += [f"Cyklista {n},cyklista{n}@example.cz,+420 777 {n:06d},Praha" for n in range(400)]
    page.set_input_files(
        "input[name=file]",
        files=[
            {
                "name": "riders.csv",
                "mimeType": "text/csv",
                "buffer": ("\n".join(lines) + "\n").encode(),
            }
        ],
    )
    page.locator("main form button.button--primary").click()
    expect(page.locator("h1")).to_have_text("riders.csv")
    expect(page.locator("#import-preview")).to_contain_text("This e-mail address is not valid.")
    page.locator("main button[value=start]").click()
    expect(page).to_have_url(re.compile(r"/progress$"))
    expect(page.locator("progress")).to_be_visible()
    expect(page.locator("[data-testid=import-state]")).to_contain_text(
        "Done: 400 created, 0 updated, 1 failed.", timeout=60_000
    )
    expect(page.locator(".errors-list")).to_contain_text("Line 2")
    assert console_errors == []


def test_an_export_after_typing_a_search_holds_what_the_list_shows(
    page, live_server, console_errors
):
    login(page, live_server, "owner@trattoria.demo")
    page.goto(live_server + "/customers/")
    page.locator("#q").press_sequentially("dvor", delay=30)
    page.get_by_role("button", name="Export CSV").click()  # before the list has narrowed
    expect(page).to_have_url(re.compile(r"/customers/exports/\d+$"))
    expect(page.locator("progress")).to_be_visible()
    expect(page.locator("[data-testid=export-state]")).to_contain_text(
        "Done: 1 customer.", timeout=60_000
    )
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").strip().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("id,name,email") and "Antonín Dvořák" in lines[1]
    assert console_errors == []
