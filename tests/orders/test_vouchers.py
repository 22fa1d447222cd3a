"""Promo codes: the discount in the order's totals, every refusal with its message, the
use given back on removal, and the limits under concurrent redemption."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bizkit.core.errors import BusinessRuleError
from bizkit.core.models import AuditEntry
from bizkit.core.timezones import utcnow
from bizkit.customers.models import Customer
from bizkit.extensions import db
from bizkit.orders import operations as ops
from bizkit.orders import vouchers
from bizkit.orders.models import GiftVoucher, Voucher, VoucherRedemption
from tests.conftest import company_ctx, text_of
from tests.orders.conftest import load_order
from tests.orders.money_fixtures import *  # noqa: F403 (fixtures)
from tests.orders.money_fixtures import race


def _two_rate_order(app, company, make_order) -> int:
    order_id = make_order(company, ("Dinner", "1", "100.00"), ("Book", "1", "50.00"))
    with company_ctx(app, company.id):
        order = load_order(order_id)
        order.lines[0].tax_rate, order.lines[1].tax_rate = Decimal("22"), Decimal("10")
        ops.recalculate(order)
    return order_id


def test_a_percentage_code_is_split_over_the_tax_rates(app, company, make_order, make_voucher):
    make_voucher("SPRING10", kind="percent", value="10")
    order_id = _two_rate_order(app, company, make_order)
    with company_ctx(app, company.id):
        order = load_order(order_id)
        vouchers.apply_voucher(None, order, "  spring10 ")
        assert (order.lines_total, order.discount_total, order.total) == (
            Decimal("150.00"),
            Decimal("15.00"),
            Decimal("135.00"),
        )
        by_rate = {r.rate: (r.gross, r.tax) for r in ops.totals_of(order).by_rate}
        # 10 % of each group: 90.00 at 22 % holds 16.23 tax, 45.00 at 10 % holds 4.09.
        assert by_rate == {
            Decimal("22"): (Decimal("90.00"), Decimal("16.23")),
            Decimal("10"): (Decimal("45.00"), Decimal("4.09")),
        }
        assert order.tax_total == Decimal("20.32")
        assert order.voucher_redemption.discount == Decimal("15.00")
        # A line change recomputes the percentage.
        ops.add_line(None, order, description="Wine", quantity="1", unit_price="10.00")
        assert (order.discount_total, order.total) == (Decimal("16.00"), Decimal("144.00"))


def test_a_fixed_code_is_capped_at_the_lines_total(app, company, make_order, make_voucher):
    make_voucher("FIVER", kind="fixed", value="50.00")
    order_id = make_order(company, ("Coffee", "2", "1.50"))
    with company_ctx(app, company.id):
        order = load_order(order_id)
        vouchers.apply_voucher(None, order, "fiver")
        assert (order.discount_total, order.total, order.tax_total) == (
            Decimal("3.00"),
            Decimal("0.00"),
            Decimal("0.00"),
        )


def test_removing_the_code_gives_the_use_back(app, company, make_order, make_voucher):
    voucher_id = make_voucher("ONCE", max_uses="1")
    first, second = (
        make_order(company, ("Pizza", "1", "10")),
        make_order(company, ("Pasta", "1", "9")),
    )
    with company_ctx(app, company.id):
        vouchers.apply_voucher(None, load_order(first), "ONCE")
        assert db.session.get(Voucher, voucher_id).uses == 1
        with pytest.raises(BusinessRuleError, match="used up"):
            vouchers.apply_voucher(None, load_order(second), "ONCE")
        order = load_order(first)
        vouchers.remove_voucher(None, order)
        assert (order.discount_total, order.total) == (Decimal("0.00"), Decimal("10.00"))
        assert db.session.get(Voucher, voucher_id).uses == 0
        vouchers.apply_voucher(None, load_order(second), "ONCE")
        assert load_order(second).total == Decimal("8.10")
        actions = db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars()
        assert [a for a in actions if a.startswith("order.voucher")] == [
            "order.voucher_apply",
            "order.voucher_remove",
            "order.voucher_apply",
        ]


def test_the_customer_of_an_order_with_a_code_cannot_change(
    app, company, make_order, make_voucher, make_customer
):
    """The per-customer limit was checked for that customer: swapping customers after
    applying the code would dodge it."""
    make_voucher("ONCEEACH", max_uses_per_customer="1")
    first, second = make_customer("Jana Nováková"), make_customer("Petr Novák")
    order_id = make_order(company, ("Pizza", "1", "10"), customer_id=first)
    with company_ctx(app, company.id):
        order = load_order(order_id)
        vouchers.apply_voucher(None, order, "ONCEEACH")
        other = db.session.get(Customer, second)
        with pytest.raises(BusinessRuleError, match="Remove the promo code") as caught:
            ops.update_details(None, order, {"customer": other})
        assert caught.value.field == "customer"
        assert load_order(order_id).customer_id == first
        ops.update_details(None, order, {"customer": order.customer, "notes": "window seat"})
        vouchers.remove_voucher(None, order)
        ops.update_details(None, order, {"customer": other})
        assert order.customer_id == second


def _refusal(app, company, order_id, code) -> str:
    with company_ctx(app, company.id):
        order = load_order(order_id)
        before = (order.total, db.session.execute(select(Voucher.code, Voucher.uses)).all())
        with pytest.raises(BusinessRuleError) as caught:
            vouchers.apply_voucher(None, order, code)
        assert caught.value.field == "code"
        after = (order.total, db.session.execute(select(Voucher.code, Voucher.uses)).all())
        assert sorted(before[1]) == sorted(after[1]) and before[0] == after[0]
        return caught.value.message


def test_each_refusal_says_why(app, company, make_order, make_voucher, make_customer):
    now = utcnow()
    make_voucher("OFF", active=False)
    make_voucher("LATER", valid_from=now + dt.timedelta(days=1))
    make_voucher(
        "GONE", valid_from=now - dt.timedelta(days=9), valid_until=now - dt.timedelta(days=1)
    )
    make_voucher("BIGSPEND", min_order_total="100")
    make_voucher("SINGLE", max_uses="1")
    make_voucher("MINE", max_uses_per_customer="1")
    jana = make_customer("Jana")
    order_id = make_order(company, ("Pizza", "1", "20"))
    used_elsewhere = make_order(company, ("Pizza", "1", "20"))
    with company_ctx(app, company.id):
        vouchers.apply_voucher(None, load_order(used_elsewhere), "SINGLE")
    assert _refusal(app, company, order_id, "NOPE") == "There is no promo code like this."
    assert _refusal(app, company, order_id, "") == "Enter a code."
    assert _refusal(app, company, order_id, "off") == "This code is no longer active."
    assert _refusal(app, company, order_id, "later") == "This code is not valid yet."
    assert _refusal(app, company, order_id, "gone") == "This code has expired."
    assert _refusal(app, company, order_id, "bigspend") == (
        "This code needs an order of at least €100.00."
    )
    assert _refusal(app, company, order_id, "single") == "This code has been used up."
    assert _refusal(app, company, order_id, "mine") == (
        "This code is limited per customer: choose the order's customer first."
    )
    with company_ctx(app, company.id):
        customer = db.session.get(Customer, jana)
        first = ops.create_order(None, customer=customer)
        ops.add_line(None, first, description="Pizza", quantity="1", unit_price="20")
        vouchers.apply_voucher(None, first, "MINE")
        second = ops.create_order(None, customer=customer)
        ops.add_line(None, second, description="Pizza", quantity="1", unit_price="20")
        second_id = second.id
    assert _refusal(app, company, second_id, "MINE") == "This customer has already used this code."
    with company_ctx(app, company.id):
        assert db.session.execute(select(Voucher.uses).where(Voucher.code == "MINE")).scalar() == 1


def test_one_code_per_order_and_only_while_open(app, company, owner, make_order, make_voucher):
    make_voucher("A10")
    make_voucher("B20", value="20")
    order_id = make_order(company, ("Pizza", "1", "20"))
    with company_ctx(app, company.id):
        vouchers.apply_voucher(None, load_order(order_id), "A10")
    assert _refusal(app, company, order_id, "B20") == (
        "This order already has the code A10; remove it first."
    )
    from bizkit.workflow import operations as workflow

    with company_ctx(app, company.id):
        order = load_order(order_id)
        workflow.transition(order, "CANCELLED", None)
        with pytest.raises(BusinessRuleError, match="closed"):
            vouchers.remove_voucher(None, order)


def test_codes_are_unique_per_company_whatever_the_case(app, company, make_company, make_voucher):
    make_voucher("Summer")
    with pytest.raises(BusinessRuleError, match="exists already"):
        make_voucher("SUMMER")
    other = make_company("Elsewhere")
    assert make_voucher("summer", target=other)
    with pytest.raises(BusinessRuleError, match="at most 100"):
        make_voucher("HUGE", value="120")
    with pytest.raises(BusinessRuleError, match="after the start"):
        make_voucher("BACKWARDS", valid_from="2026-12-24T18:00", valid_until="2026-12-24T10:00")


def test_the_validity_window_is_read_in_the_company_time_zone(app, company, make_voucher):
    voucher_id = make_voucher("XMAS", valid_from="2026-12-24T18:00")
    with company_ctx(app, company.id):
        voucher = db.session.get(Voucher, voucher_id)
        # Europe/Rome is UTC+1 in December.
        assert voucher.valid_from == dt.datetime(2026, 12, 24, 17, 0, tzinfo=dt.UTC)
        assert vouchers.local_input_value(voucher.valid_from) == "2026-12-24T18:00"


# -- concurrency: several real connections ------------------------------------------------


def test_a_total_limit_holds_under_concurrent_redemption(app, committed_shop):
    company_id, order_for, _customer = committed_shop
    with company_ctx(app, company_id):
        vouchers.save_voucher(
            None, None, {"code": "RUSH", "kind": "fixed", "value": "5", "max_uses": "3"}
        )
    orders = [order_for() for _ in range(8)]
    outcomes = race(
        app, company_id, 8, lambda i: vouchers.apply_voucher(None, load_order(orders[i]), "RUSH")
    )
    assert sorted(outcomes) == ["This code has been used up."] * 5 + ["ok"] * 3
    with company_ctx(app, company_id):
        assert db.session.execute(select(Voucher.uses)).scalar() == 3
        assert db.session.execute(select(func.count(VoucherRedemption.id))).scalar() == 3
        discounted = [load_order(o).discount_total for o in orders]
        assert sorted(discounted) == [Decimal("0.00")] * 5 + [Decimal("5.00")] * 3


@pytest.mark.parametrize("limit", [1, 2])
def test_a_per_customer_limit_holds_under_concurrent_redemption(app, committed_shop, limit):
    company_id, order_for, new_customer = committed_shop
    rita, other = new_customer("Rita"), new_customer("Otto")
    with company_ctx(app, company_id):
        vouchers.save_voucher(
            None, None, {"code": "LOYAL", "value": "10", "max_uses_per_customer": str(limit)}
        )
    ritas = [order_for(rita) for _ in range(6)]
    ottos = order_for(other)
    outcomes = race(
        app,
        company_id,
        7,
        lambda i: vouchers.apply_voucher(None, load_order([*ritas, ottos][i]), "LOYAL"),
    )
    assert outcomes.count("ok") == limit + 1
    assert outcomes.count("This customer has already used this code.") == 6 - limit
    with company_ctx(app, company_id):
        per_customer = dict(
            db.session.execute(
                select(VoucherRedemption.customer_id, func.count()).group_by(
                    VoucherRedemption.customer_id
                )
            ).all()
        )
        assert per_customer == {rita: limit, other: 1}
        assert db.session.execute(select(Voucher.uses)).scalar() == limit + 1


# -- management pages ---------------------------------------------------------------------


def test_create_and_edit_a_promo_code_through_the_pages(app, auth, company):
    response = auth.post(
        "/orders/vouchers/new",
        {
            "code": "summer 24",
            "kind": "fixed",
            "value": "7,50",
            "valid_from": "2026-06-01T00:00",
            "valid_until": "2026-09-01T00:00",
            "min_order_total": "30",
            "max_uses": "100",
            "max_uses_per_customer": "1",
            "active": "y",
        },
    )
    assert response.status_code == 302
    page = text_of(auth.get("/orders/vouchers"))
    assert "SUMMER24" in page and "€7.50" in page and "0 / 100" in page
    with company_ctx(app, company.id):
        voucher = db.session.execute(select(Voucher)).scalar_one()
        assert voucher.valid_from == dt.datetime(2026, 5, 31, 22, 0, tzinfo=dt.UTC)  # CEST
        voucher_id = voucher.id
    form = auth.get(f"/orders/vouchers/{voucher_id}/edit").get_data(as_text=True)
    assert 'value="2026-06-01T00:00"' in form and 'value="SUMMER24"' in form
    response = auth.post(
        f"/orders/vouchers/{voucher_id}/edit",
        {"code": "SUMMER24", "kind": "percent", "value": "150"},
    )
    assert response.status_code == 422
    assert "A percentage is at most 100." in text_of(response)
    response = auth.post(
        f"/orders/vouchers/{voucher_id}/edit",
        {"code": "SUMMER24", "kind": "percent", "value": "15"},
    )
    assert response.status_code == 302
    with company_ctx(app, company.id):
        voucher = db.session.get(Voucher, voucher_id)
        assert (voucher.kind, voucher.value, voucher.active, voucher.max_uses) == (
            "percent",
            Decimal("15.00"),
            False,
            None,
        )
        assert {a for a in db.session.execute(select(AuditEntry.action)).scalars()} >= {
            "voucher.create",
            "voucher.update",
        }


@pytest.mark.parametrize(
    "values,field_message",
    [
        ({"code": "x", "value": "5"}, "Use 3 to 40 letters"),
        ({"code": "OK10", "value": "0"}, "Enter a value above zero."),
        ({"code": "OK10", "value": "NaN"}, "Enter a number."),
        ({"code": "OK10", "value": "5", "min_order_total": "-inf"}, "Enter a number."),
        ({"code": "OK10", "value": "5", "max_uses": "-1"}, "Enter a whole number above zero."),
        ({"code": "OK10", "value": "5", "max_uses": "²"}, "Enter a whole number above zero."),
        ({"code": "OK10", "value": "5", "valid_from": "soon"}, "Enter a date and time."),
    ],
)
def test_bad_promo_code_input_is_422_next_to_the_field(app, auth, company, values, field_message):
    response = auth.post("/orders/vouchers/new", {"kind": "percent", **values})
    assert response.status_code == 422
    assert field_message in text_of(response)
    assert 'class="error"' in response.get_data(as_text=True)
    with company_ctx(app, company.id):
        assert db.session.execute(select(func.count(Voucher.id))).scalar() == 0


def test_the_code_list_searches_and_pages_with_constant_queries(app, auth, make_voucher):
    from tests.conftest import count_queries

    for n in range(12):
        make_voucher(f"CODE{n:02d}")
    make_voucher("OTHER")
    response = auth.get("/orders/vouchers?q=code", headers={"HX-Request": "true"})
    assert text_of(response).count("CODE") == 12 and "OTHER" not in text_of(response)
    first = text_of(auth.get("/orders/vouchers?per_page=10"))
    assert "Show more" in first and first.count("Active") == 10
    assert count_queries(app, auth, "/orders/vouchers?q=code00") == count_queries(
        app, auth, "/orders/vouchers?q=code"
    )


def test_issue_a_gift_voucher_and_correct_its_balance(app, auth, company):
    response = auth.post("/orders/gift-vouchers/new", {"amount": "40", "note": "For Ada"})
    assert response.status_code == 302
    detail_url = response.headers["Location"]
    page = text_of(auth.get(detail_url))
    assert "€40.00" in page and "Issued" in page
    with company_ctx(app, company.id):
        code = db.session.execute(select(GiftVoucher.code)).scalar()
    assert len(code) == 14 and code.count("-") == 2
    listing = text_of(auth.get(f"/orders/gift-vouchers?q={code[:4].lower()}"))
    assert code in listing and "For Ada" in listing
    response = auth.post(f"{detail_url}/correction", {"amount": "-40.01", "reason": "typo"})
    assert response.status_code == 422 and "Not enough on this gift voucher" in text_of(response)
    response = auth.post(f"{detail_url}/correction", {"amount": "-5", "reason": "typo"})
    assert response.status_code == 302
    assert "€35.00" in text_of(auth.get(detail_url))
    assert auth.post("/orders/gift-vouchers/new", {"amount": "0"}).status_code == 422


def test_a_gift_voucher_balance_is_refused_beyond_what_it_may_hold(app, auth, company):
    """Each correction is within its limit; the balance they add up to is refused with
    a message next to the amount (it was a 500), and nothing is written."""
    response = auth.post("/orders/gift-vouchers/new", {"amount": "900000000"})
    detail_url = response.headers["Location"]
    for _ in range(10):
        top_up = auth.post(f"{detail_url}/correction", {"amount": "900000000", "reason": "gift"})
        assert top_up.status_code == 302
    refused = auth.post(f"{detail_url}/correction", {"amount": "900000000", "reason": "gift"})
    assert refused.status_code == 422
    assert (
        "The balance would come to more than €9,999,999,999.99, the most a gift voucher may hold."
        in text_of(refused)
    )
    with company_ctx(app, company.id):
        assert db.session.execute(select(GiftVoucher.balance)).scalar() == Decimal("9900000000.00")


def test_a_code_applied_from_a_stale_tab_says_why_it_is_refused(
    app, auth, company, make_order, make_voucher
):
    """Tab 2 still shows the field after tab 1 applied a code; its code is refused and,
    with the field gone from the refreshed panel, the message shows above it."""
    make_voucher("SPRING10")
    make_voucher("SUMMER20", value="20")
    order_id = make_order(company, ("Dinner", "1", "100.00"))
    url = f"/orders/{order_id}/voucher"
    assert auth.post(url, {"code": "spring10"}, headers={"HX-Request": "true"}).status_code == 200
    stale = auth.post(url, {"code": "summer20"}, headers={"HX-Request": "true"})
    assert stale.status_code == 422
    html = stale.get_data(as_text=True)
    assert 'name="code"' not in html  # the field is gone: the order has a code
    assert (
        '<div class="alert alert--error" role="alert">This order already has the code '
        "SPRING10; remove it first.</div>"
    ) in html
    with company_ctx(app, company.id):
        assert load_order(order_id).voucher_redemption.voucher.code == "SPRING10"
