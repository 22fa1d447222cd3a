"""The customer of an order changed after it was created, on the order page with the same
picker as the new-order form: attached, changed, removed (a walk-in), audited, on the
customer's timeline; refused next to the picker (and nothing written) for another
company's customer, an erased one, an order holding a promo code or store credit."""

import re

import pytest
from sqlalchemy import select

from bizkit.core.models import AuditEntry
from bizkit.customers import operations as customers
from bizkit.customers.models import Customer
from bizkit.extensions import db
from bizkit.orders import payments, vouchers
from bizkit.orders.models import Order
from tests.conftest import company_ctx, text_of
from tests.orders.conftest import load_order
from tests.orders.money_fixtures import *  # noqa: F403 (fixtures)
from tests.orders.money_fixtures import grant_credit

HTMX = {"HX-Request": "true"}


def _save(auth, order_id, customer_id, **fields):
    data = {"channel": "counter", "customer_id": str(customer_id), **fields}
    return auth.post(f"/orders/{order_id}/details", data, headers=HTMX)


def _customer_of(app, company, order_id):
    with company_ctx(app, company.id):
        return load_order(order_id).customer_id


def _picker_error(response) -> str:
    """The message shown next to the customer search box."""
    match = re.search(r'<p class="error" id="customer_q-error">(.*?)</p>', response.text, re.S)
    return match.group(1).strip() if match else ""


def _audited(app, company, order_id) -> list:
    with company_ctx(app, company.id):
        entries = db.session.execute(
            select(AuditEntry.changes)
            .where(AuditEntry.entity_type == "Order", AuditEntry.entity_id == order_id)
            .where(AuditEntry.action == "order.update")
            .order_by(AuditEntry.id)
        ).scalars()
        return [changes.get("customer_id") for changes in entries]


def test_the_order_page_picks_the_customer_as_the_new_order_form_does(
    app, auth, company, make_order, make_customer
):
    jana = make_customer("Jana Nováková")
    order_id = make_order(company)
    page = auth.get(f"/orders/{order_id}?edit=details").get_data(as_text=True)
    details = page[page.index('id="order-details"') :]
    # The same picker: the search box, and the choices with walk-in checked.
    assert 'id="customer_q"' in details and 'id="customer-options"' in details
    assert 'name="customer_id" value="" checked' in details
    # The search answers with the matches, keeping the checked choice.
    picker = auth.get("/orders/new/customers?customer_q=novak&customer_id=", headers=HTMX)
    assert f'value="{jana}"' in picker.text and "Jana Nováková" in text_of(picker)
    # Without JavaScript, Find shows the page with the matches in the details form.
    found = auth.get(f"/orders/{order_id}?customer_q=novak").get_data(as_text=True)
    assert f'name="customer_id" value="{jana}"' in found[found.index('id="order-details"') :]


def test_attach_change_and_remove_the_customer(app, auth, company, make_order, make_customer):
    jana, petr = make_customer("Jana Nováková"), make_customer("Petr Novák")
    order_id = make_order(company, ("Service", "1", "30.00"))

    attached = _save(auth, order_id, jana)
    assert attached.status_code == 200
    html = attached.get_data(as_text=True)
    assert "Saved." in html and 'id="order-header" hx-swap-oob="true"' in html
    header = html[html.index('id="order-header"') :]
    assert "Jana Nováková" in header
    details = html[html.index('id="order-details"') :]
    assert "Jana Nováková" in details[: details.index("</section>")]
    # Saved, the details show again, with the button to change them once more.
    assert "Edit details" in details and 'name="customer_id"' not in details
    # The payments panel comes along: store credit is offered once there is a customer.
    payments_panel = html[html.index('id="order-payments"') :]
    assert 'hx-swap-oob="true"' in payments_panel[:200]
    assert '<option value="store_credit"' in payments_panel
    assert _customer_of(app, company, order_id) == jana
    # The customer's timeline now shows the order; the list finds it by the name.
    assert "Order 1" in text_of(auth.get(f"/customers/{jana}"))
    assert "Jana Nováková" in text_of(auth.get("/orders/?q=novakova"))

    assert _save(auth, order_id, petr).status_code == 200
    assert _customer_of(app, company, order_id) == petr
    assert "Order 1" in text_of(auth.get(f"/customers/{petr}"))
    assert "Order 1" not in text_of(auth.get(f"/customers/{jana}"))

    walk_in = _save(auth, order_id, "")
    assert walk_in.status_code == 200 and "Walk-in" in text_of(walk_in)
    assert _customer_of(app, company, order_id) is None
    # Saving other details leaves the customer (and the payments panel) as it is; each
    # change is audited by id.
    notes = _save(auth, order_id, "", notes="Brakes squeak")
    assert notes.status_code == 200 and 'id="order-payments"' not in notes.text
    assert _audited(app, company, order_id) == [[None, jana], [jana, petr], [petr, None], None]


def test_a_form_without_the_picker_keeps_the_customer(
    app, auth, company, make_order, make_customer
):
    jana = make_customer("Jana Nováková")
    order_id = make_order(company, customer_id=jana)
    response = auth.post(f"/orders/{order_id}/details", {"channel": "web"}, headers=HTMX)
    assert response.status_code == 200
    assert _customer_of(app, company, order_id) == jana


def _refused(app, auth, company, order_id, customer_id, before, **fields) -> str:
    response = _save(auth, order_id, customer_id, notes="should not be saved", **fields)
    assert response.status_code == 422
    assert "<html" not in response.text and 'id="order-details"' in response.text
    with company_ctx(app, company.id):
        order = load_order(order_id)
        assert (order.customer_id, order.notes) == (before, None)
    assert _audited(app, company, order_id) == []
    return _picker_error(response)


def test_another_companys_customer_is_refused_next_to_the_field(
    app, auth, company, make_company, make_order, make_customer
):
    jana = make_customer("Jana Nováková")
    other = make_company("Elsewhere")
    stranger = make_customer("Someone Else", target=other)
    order_id = make_order(company, customer_id=jana)
    for customer_id in (stranger, "999999999", "99999999999999999999", "abc"):
        message = _refused(app, auth, company, order_id, customer_id, jana)
        assert message == "Pick a customer from the list, or a walk-in."
    # The picker still shows the order's own customer checked, not the stranger.
    response = _save(auth, order_id, stranger)
    assert f'value="{jana}" checked' in response.text and "Someone Else" not in response.text


def test_an_erased_customer_cannot_be_attached_but_stays_where_it_is(
    app, auth, company, make_order, make_customer
):
    kept, erased = make_customer("Jana Nováková"), make_customer("Petr Novák")
    order_id = make_order(company)
    kept_order = make_order(company, customer_id=kept)
    with company_ctx(app, company.id):
        customers.erase_customer(None, db.session.get(Customer, erased))
        customers.erase_customer(None, db.session.get(Customer, kept))
    message = _refused(app, auth, company, order_id, erased, None)
    assert message == "This customer was erased and cannot be given an order."
    # An order whose customer was erased keeps them when its other details are saved.
    assert _save(auth, kept_order, kept, notes="Pickup Friday").status_code == 200
    with company_ctx(app, company.id):
        assert (load_order(kept_order).customer_id, load_order(kept_order).notes) == (
            kept,
            "Pickup Friday",
        )
    # Not on the new-order form either.
    response = auth.post("/orders/new", {"customer_id": str(erased), "channel": "counter"})
    assert response.status_code == 422
    assert "This customer was erased and cannot be given an order." in text_of(response)
    with company_ctx(app, company.id):
        assert db.session.execute(select(Order.id).where(Order.customer_id == erased)).all() == []


def test_an_order_with_a_promo_code_keeps_its_customer(
    app, auth, company, make_order, make_customer, make_voucher
):
    make_voucher("ONCEEACH", max_uses_per_customer="1")
    jana, petr = make_customer("Jana Nováková"), make_customer("Petr Novák")
    order_id = make_order(company, ("Pizza", "1", "10"), customer_id=jana)
    with company_ctx(app, company.id):
        vouchers.apply_voucher(None, load_order(order_id), "ONCEEACH")
    for customer_id in (petr, ""):
        message = _refused(app, auth, company, order_id, customer_id, jana)
        assert message == "Remove the promo code before changing the customer, then apply it again."
    with company_ctx(app, company.id):
        vouchers.remove_voucher(None, load_order(order_id))
    assert _save(auth, order_id, petr).status_code == 200
    assert _customer_of(app, company, order_id) == petr


def test_an_order_paid_with_store_credit_keeps_its_customer(
    app, auth, company, make_order, make_customer
):
    """A store-credit refund goes to the order's customer: after a change it would credit
    another customer with what this one paid."""
    jana, petr = make_customer("Jana Nováková"), make_customer("Petr Novák")
    grant_credit(app, company, jana, "20")
    order_id = make_order(company, ("Pizza", "1", "20"), customer_id=jana)
    with company_ctx(app, company.id):
        payment = payments.record_payment(None, load_order(order_id), "store_credit", "20")
        payment_id = payment.id
    message = _refused(app, auth, company, order_id, petr, jana)
    assert message.startswith("This order was paid with the customer")
    with company_ctx(app, company.id):
        order = load_order(order_id)
        payment = next(p for p in order.payments if p.id == payment_id)
        payments.refund(None, order, "20", payment=payment)
    assert _save(auth, order_id, petr).status_code == 200


@pytest.mark.parametrize("start", ["walk-in", "customer"])
def test_enter_in_the_search_does_not_save_the_old_choice(
    app, auth, company, make_order, make_customer, start
):
    """Enter in the search box submits the form with the old choice still checked."""
    jana, petr = make_customer("Jana Nováková"), make_customer("Petr Novák")
    current = jana if start == "customer" else None
    order_id = make_order(company, **({"customer_id": jana} if current else {}))
    message = _refused(app, auth, company, order_id, current or "", current, customer_q="petr")
    assert message.startswith("Pick the customer you searched for from the list")
    assert "to keep Jana Nováková" in message if current else "for a walk-in order" in message
    response = _save(auth, order_id, current or "", customer_q="petr")
    assert f'value="{petr}"' in response.text  # offered to pick
    assert _save(auth, order_id, petr, customer_q="petr").status_code == 200
    assert _customer_of(app, company, order_id) == petr


def test_a_closed_order_shows_its_customer_without_the_picker(
    app, auth, company, make_order, make_customer
):
    jana = make_customer("Jana Nováková")
    order_id = make_order(company, customer_id=jana)
    auth.post(f"/orders/{order_id}/transition", {"to": "CANCELLED", "version": "1"})
    page = auth.get(f"/orders/{order_id}").get_data(as_text=True)
    details = page[page.index('id="order-details"') :]
    assert 'id="customer_q"' not in details and "Jana Nováková" in details
    refused = _save(auth, order_id, "")
    assert refused.status_code == 422
    assert _customer_of(app, company, order_id) == jana
