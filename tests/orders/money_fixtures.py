"""Fixtures of the money tests (vouchers, gift vouchers, payments): imported by those files.

`committed_shop` makes a company whose rows are committed for real, for the tests that
race several connections; it is deleted (with everything it owns) afterwards.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete

from bizkit.auth.models import User
from bizkit.core.models import Company
from bizkit.customers.models import Customer
from bizkit.customers.operations import create_customer
from bizkit.extensions import db
from bizkit.orders import gift_vouchers, vouchers
from bizkit.orders import operations as ops
from bizkit.settings.operations import create_company
from tests.conftest import company_ctx
from tests.customers.conftest import make_customer  # noqa: F401 (fixture)
from tests.orders.conftest import make_order  # noqa: F401 (fixture)


@pytest.fixture
def make_voucher(app, company):
    """A promo code of `company` (or `target`) saved through the operation; returns its id."""

    def factory(code="SPRING10", target=None, **values) -> int:
        values = {"kind": "percent", "value": "10", **values, "code": code}
        with company_ctx(app, (target or company).id):
            return vouchers.save_voucher(None, None, values).id

    return factory


@pytest.fixture
def make_gift_voucher(app, company):
    def factory(amount="50", target=None) -> tuple[int, str]:
        with company_ctx(app, (target or company).id):
            voucher = gift_vouchers.issue_gift_voucher(None, amount, note="Birthday")
            return voucher.id, voucher.code

    return factory


def actor(user_ref) -> User:
    return db.session.get(User, user_ref.id)


def grant_credit(app, company, customer_id, amount) -> None:
    from bizkit.customers.credit import move_store_credit

    with company_ctx(app, company.id):
        move_store_credit(None, db.session.get(Customer, customer_id), "grant", amount, "Gift")


@pytest.fixture
def committed_shop(app):
    """A company with committed rows: (company_id, make_order(customer_id) -> order id)."""
    with company_ctx(app):
        company_id = create_company(None, "Rush Hour Shop").id

    def order_for(customer_id=None, price="40.00") -> int:
        with company_ctx(app, company_id):
            customer = db.session.get(Customer, customer_id) if customer_id else None
            order = ops.create_order(None, customer=customer)
            ops.add_line(None, order, description="Bike service", quantity="1", unit_price=price)
            return order.id

    def customer(name="Racing Rita") -> int:
        with company_ctx(app, company_id):
            return create_customer(None, db.session.get(Company, company_id), {"name": name}).id

    yield company_id, order_for, customer
    with company_ctx(app) as session:
        session.execute(delete(Company).where(Company.id == company_id))


def race(app, company_id, count, work) -> list[str]:
    """Run `work(index)` in `count` threads at once, each with its own connection and
    transaction (committed on success); returns "ok" or the refusal message per thread."""
    from bizkit.core.errors import BusinessRuleError

    barrier = threading.Barrier(count)
    outcomes: list[str] = []

    def run(index):
        try:
            with company_ctx(app, company_id):
                barrier.wait(timeout=10)
                work(index)
            outcomes.append("ok")
        except BusinessRuleError as error:
            outcomes.append(error.message)
        except Exception as error:  # anything else fails the calling test
            outcomes.append(repr(error))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes
