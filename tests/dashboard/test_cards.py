"""The dashboard's cards show what the modules know: money taken today, open orders, the
way to the audit log — each only to the roles that may see it."""

import datetime as dt
import re

from sqlalchemy import update

from bizkit.extensions import db
from bizkit.orders import payments
from bizkit.orders.models import Payment
from bizkit.workflow import operations as workflow
from tests.conftest import company_ctx
from tests.orders.conftest import load_order


def _kpi(html: str, key: str) -> str | None:
    found = re.search(rf'data-testid="kpi-{key}">([^<]*)<', html)
    return found.group(1) if found else None


def test_takings_today_and_open_orders(app, auth, company, make_order):
    paid = make_order(company, ("Espresso", "2", "25.00"))
    refunded = make_order(company, ("Tiramisu", "1", "30.00"))
    yesterday = make_order(company, ("Wine", "1", "100.00"))
    closed = make_order(company, ("Water", "1", "5.00"))
    with company_ctx(app, company.id):
        payments.record_payment(None, load_order(paid), "card", "50")
        payment = payments.record_payment(None, load_order(refunded), "cash", "30")
        payments.refund(None, load_order(refunded), "10", payment=payment)
        old = payments.record_payment(None, load_order(yesterday), "card", "100")
        db.session.execute(
            update(Payment)
            .where(Payment.id == old.id)
            .values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
        )
        workflow.transition(load_order(closed), "CANCELLED", None)

    html = auth.get("/dashboard").get_data(as_text=True)
    # 50 + 30 − 10 today; the payment of two days ago is not today's.
    assert _kpi(html, "revenue") == "€70.00"
    assert _kpi(html, "orders") == "3"
    assert 'href="/orders/board"' in html and 'href="/settings/audit"' in html


def test_each_card_only_for_whom_may_see_it(app, client, company, make_user, make_order):
    make_order(company, ("Espresso", "2", "25.00"))
    client.login(make_user(company, "kitchen"))
    html = client.get("/dashboard").get_data(as_text=True)
    assert _kpi(html, "orders") == "1"
    assert _kpi(html, "revenue") is None and "/settings/audit" not in html


def test_the_dashboard_reads_a_fixed_number_of_queries(app, auth, company, make_order):
    from tests.conftest import recording_statements

    for _ in range(5):
        make_order(company, ("Espresso", "1", "2.50"))
    auth.get("/dashboard")
    with recording_statements(app) as statements:
        assert auth.get("/dashboard").status_code == 200
    assert len(statements) <= 8
