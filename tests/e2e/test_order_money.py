"""An order's money in a real browser: a promo code lowers the balance shown by the
payments fragment without a reload (the order-voucher-changed event), partial then full payment."""

import os
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.conftest import TEST_SECRET, _with_database
from tests.e2e.conftest import ROOT, login, separate_redis_db

pytestmark = pytest.mark.e2e

SETUP = """
from bizkit import create_app
from bizkit.core.models import Company
from bizkit.core.tenancy import company_scope
from bizkit.extensions import db
from bizkit.orders import operations as ops, vouchers
from sqlalchemy import select

app = create_app()
with app.app_context():
    slug = Company.slug == "trattoria-demo"
    company = db.session.execute(select(Company).where(slug)).scalar_one()
    with company_scope(company.id):
        vouchers.save_voucher(None, None, {"code": "E2EHALF", "kind": "percent", "value": "50"})
        order = ops.create_order(None)
        ops.add_line(None, order, description="Tasting menu", quantity="2", unit_price="40.00")
        db.session.commit()
        print(order.id)
"""


@pytest.fixture
def order_id(live_server, services):
    env = {
        **os.environ,
        "BIZKIT_ENV": "testing",
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": _with_database(services["admin_url"], f"bizkit_e2e_{os.getpid()}"),
        "REDIS_URL": separate_redis_db(services["redis_url"]),
    }
    done = subprocess.run(
        [sys.executable, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stdout.strip().splitlines()[-1])


def test_a_code_then_two_payments_update_the_page_in_place(
    page, live_server, order_id, console_errors
):
    login(page, live_server, "owner@trattoria.demo")
    page.goto(f"{live_server}/orders/{order_id}/payments")
    payments = page.locator("#order-payments")
    expect(payments.get_by_test_id("balance-due")).to_have_text("€80.00")
    expect(payments.get_by_test_id("payment-state")).to_have_text("Unpaid")
    page.evaluate("window.notReloaded = true")

    page.fill("#voucher-code", "nope")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#voucher-code-error")).to_have_text("There is no promo code like this.")

    page.fill("#voucher-code", "e2ehalf")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_test_id("applied-code")).to_have_text("E2EHALF")
    expect(page.get_by_test_id("voucher-discount")).to_have_text("€40.00")
    # The payments fragment heard order-voucher-changed and shows the new balance.
    expect(payments.get_by_test_id("balance-due")).to_have_text("€40.00")
    expect(page.locator("#payment-amount")).to_have_value("40.00")

    page.select_option("#payment-method", "card")
    page.fill("#payment-amount", "15")
    page.get_by_role("button", name="Record payment").click()
    expect(payments.get_by_test_id("payment-state")).to_have_text("Partially paid")
    expect(payments.get_by_test_id("balance-due")).to_have_text("€25.00")
    expect(page.locator("#payment-amount")).to_have_value("25.00")

    page.select_option("#payment-method", "cash")
    page.fill("#payment-amount", "30")
    page.get_by_role("button", name="Record payment").click()
    expect(payments).to_contain_text("Give €5.00 back in change.")
    expect(payments.get_by_test_id("payment-state")).to_have_text("Paid")
    expect(page.locator(".payment-row")).to_have_count(2)
    assert page.evaluate("window.notReloaded") is True
    # The browser logs the one refused code (422, shown next to the field); nothing else.
    assert [e for e in console_errors if "status of 422" not in e] == []
    assert len(console_errors) == 1
