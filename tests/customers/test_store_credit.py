"""Store credit is a ledger; the balance never goes below zero, also under concurrent use."""

import threading
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, select, text

from bizkit.config import sqlalchemy_url
from bizkit.core import tenancy
from bizkit.core.errors import BusinessRuleError
from bizkit.customers import operations as ops
from bizkit.customers.models import Customer, StoreCreditMovement
from bizkit.extensions import db
from tests.conftest import company_ctx, text_of


def test_grant_use_and_balance(app, auth, company, make_customer):
    customer_id = make_customer("Jana")
    assert (
        auth.post(
            f"/customers/{customer_id}/store-credit",
            {"kind": "grant", "amount": "25,50", "reason": "Birthday"},
        ).status_code
        == 302
    )
    assert (
        auth.post(
            f"/customers/{customer_id}/store-credit",
            {"kind": "use", "amount": "5.50", "reason": "Order 12"},
        ).status_code
        == 302
    )
    page = text_of(auth.get(f"/customers/{customer_id}"))
    assert "€20.00" in page and "Birthday" in page and "Order 12" in page
    with company_ctx(app, company.id):
        movements = (
            db.session.execute(select(StoreCreditMovement).order_by(StoreCreditMovement.id))
            .scalars()
            .all()
        )
        assert [(m.kind, m.amount, m.balance_after) for m in movements] == [
            ("grant", Decimal("25.50"), Decimal("25.50")),
            ("use", Decimal("-5.50"), Decimal("20.00")),
        ]
        assert movements[0].actor_id is not None


def test_using_more_than_the_balance_is_refused_next_to_the_amount(
    app, auth, company, make_customer
):
    customer_id = make_customer("Jana")
    auth.post(
        f"/customers/{customer_id}/store-credit",
        {"kind": "grant", "amount": "10", "reason": "Refund"},
    )
    response = auth.post(
        f"/customers/{customer_id}/store-credit",
        {"kind": "use", "amount": "10.01", "reason": "Too much"},
    )
    assert response.status_code == 422
    assert "cannot go below zero" in text_of(response)
    with company_ctx(app, company.id):
        assert db.session.get(Customer, customer_id).store_credit_balance == Decimal("10.00")
        assert (
            db.session.execute(select(func.count()).select_from(StoreCreditMovement)).scalar() == 1
        )


@pytest.mark.parametrize(
    "kind,amount,message",
    [
        ("grant", "-5", "The amount must be positive."),
        ("grant", "abc", "Enter an amount"),
        ("grant", "1.234", "Use at most two decimal places."),
        ("correction", "0", "A correction cannot be zero."),
    ],
)
def test_bad_amounts(auth, make_customer, kind, amount, message):
    customer_id = make_customer("Jana")
    response = auth.post(
        f"/customers/{customer_id}/store-credit", {"kind": kind, "amount": amount, "reason": "x"}
    )
    assert response.status_code == 422
    assert message in text_of(response)


def test_a_reason_is_required(auth, make_customer):
    customer_id = make_customer("Jana")
    response = auth.post(
        f"/customers/{customer_id}/store-credit", {"kind": "grant", "amount": "5", "reason": ""}
    )
    assert response.status_code == 422


def test_a_balance_too_large_to_keep_is_refused_next_to_the_amount(auth, make_customer):
    customer_id = make_customer("Jana")
    grant = {"kind": "grant", "amount": "999999999.99", "reason": "Lottery"}
    for _ in range(10):
        assert auth.post(f"/customers/{customer_id}/store-credit", grant).status_code == 302
    response = auth.post(f"/customers/{customer_id}/store-credit", grant)
    assert response.status_code == 422
    assert "The balance would be larger than BizKit can keep." in text_of(response)
    assert "€9,999,999,999.90" in text_of(auth.get(f"/customers/{customer_id}"))


def test_an_erased_customer_gets_no_credit(auth, make_customer):
    customer_id = make_customer("Jana")
    assert auth.post(f"/customers/{customer_id}/erase", {"confirm": "ERASE"}).status_code == 302
    response = auth.post(
        f"/customers/{customer_id}/store-credit",
        {"kind": "grant", "amount": "10", "reason": "Sorry"},
    )
    assert response.status_code == 422
    assert "This customer was erased and cannot be changed." in text_of(response)


def test_the_movements_are_named_in_the_readers_language(client, company, make_user, make_customer):
    from flask_babel import force_locale, gettext

    customer_id = make_customer("Jana")
    client.login(make_user(company, "owner", locale="cs"))
    client.post(
        f"/customers/{customer_id}/store-credit",
        {"kind": "grant", "amount": "10", "reason": "Narozeniny"},
    )
    with client.app.test_request_context(), force_locale("cs"):
        grant = gettext("Grant")
    assert grant != "Grant"
    assert f"{grant} · Narozeniny" in text_of(client.get(f"/customers/{customer_id}"))


def test_negative_correction_and_expiry(app, company, make_customer):
    customer_id = make_customer("Jana")
    with company_ctx(app, company.id):
        customer = db.session.get(Customer, customer_id)
        ops.move_store_credit(None, customer, "grant", "30", "Voucher")
        ops.move_store_credit(None, customer, "correction", "-5", "Typo")
        ops.move_store_credit(None, customer, "expire", "25", "Expired after a year")
        db.session.refresh(customer)
        assert customer.store_credit_balance == Decimal("0.00")
        with pytest.raises(BusinessRuleError):
            ops.move_store_credit(None, customer, "correction", "-0.01", "Below zero")


@pytest.fixture
def committed_customer(app, database_url):
    engine = create_engine(sqlalchemy_url(database_url))
    with engine.begin() as conn:
        company_id = conn.execute(
            text(
                "INSERT INTO company (name, slug, business_type, locale, timezone, currency) "
                "VALUES ('Credit Co', 'credit-co', 'generic', 'en', 'UTC', 'EUR') RETURNING id"
            )
        ).scalar_one()
        customer_id = conn.execute(
            text(
                "INSERT INTO customer (company_id, kind, name, tags, marketing_consent) "
                "VALUES (:c, 'person', 'Concurrent Carl', '{}', false) RETURNING id"
            ),
            {"c": company_id},
        ).scalar_one()
    yield company_id, customer_id
    with engine.begin() as conn:
        for table in ("store_credit_movement", "audit_entry", "customer"):
            conn.execute(text(f"DELETE FROM {table} WHERE company_id = :c"), {"c": company_id})  # noqa: S608
        conn.execute(text("DELETE FROM company WHERE id = :c"), {"c": company_id})
    engine.dispose()


def test_concurrent_use_never_spends_the_same_credit_twice(app, committed_customer):
    company_id, customer_id = committed_customer
    with app.app_context():
        tenancy.activate(company_id)
        ops.move_store_credit(None, db.session.get(Customer, customer_id), "grant", "50", "Gift")
        db.session.commit()
        db.session.remove()

    barrier = threading.Barrier(10)
    outcomes: list[str] = []

    def spend():
        with app.app_context():
            tenancy.activate(company_id)
            customer = db.session.get(Customer, customer_id)
            barrier.wait()
            try:
                ops.move_store_credit(None, customer, "use", "10", "Concurrent order")
                db.session.commit()
                outcomes.append("ok")
            except BusinessRuleError:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=spend) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["ok"] * 5 + ["refused"] * 5
    with app.app_context():
        tenancy.activate(company_id)
        balance = db.session.get(Customer, customer_id).store_credit_balance
        total = db.session.execute(select(func.sum(StoreCreditMovement.amount))).scalar()
        last = db.session.execute(select(func.min(StoreCreditMovement.balance_after))).scalar()
        db.session.remove()
    assert balance == Decimal("0.00") == total
    assert last == Decimal("0.00")
