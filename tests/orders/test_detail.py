"""The order detail: lines edited in place with the totals in every answer, refusals next
to the field that write nothing, price overrides by role, closed orders read-only."""

from decimal import Decimal

import pytest

from tests.conftest import company_ctx, text_of
from tests.orders.conftest import load_order

HTMX = {"HX-Request": "true"}


def _state(app, company, order_id):
    with company_ctx(app, company.id):
        order = load_order(order_id)
        return order.total, [
            (line.description, line.quantity, line.unit_price) for line in order.lines
        ]


def test_add_a_catalog_line_and_a_free_line(app, auth, company, make_item, make_order):
    make_item(company, "Tiramisù", price="5.50")
    make_item(company, "Old menu", sku="OLD", price="1.00", active=False)
    order_id = make_order(company)
    picker = auth.get(f"/orders/{order_id}/catalog?q=tiramisu", headers=HTMX)
    assert "Tiramisù" in text_of(picker) and "€5.50" in text_of(picker)
    assert "Old menu" not in text_of(auth.get(f"/orders/{order_id}/catalog?q=menu", headers=HTMX))
    variant_id = int(picker.text.split('name="variant_id" value="')[1].split('"')[0])

    added = auth.post(
        f"/orders/{order_id}/lines", {"variant_id": str(variant_id), "quantity": "2"}, headers=HTMX
    )
    assert added.status_code == 200
    html = added.get_data(as_text=True)
    assert "<html" not in html and 'id="order-lines"' in html
    assert 'data-total="total">€11.00<' in html
    free = auth.post(
        f"/orders/{order_id}/lines",
        {"description": "Corkage", "unit_price": "4", "quantity": "1"},
        headers=HTMX,
    )
    assert 'data-total="total">€15.00<' in free.get_data(as_text=True)
    assert _state(app, company, order_id) == (
        Decimal("15.00"),
        [
            ("Tiramisù", Decimal("2.000"), Decimal("5.50")),
            ("Corkage", Decimal("1.000"), Decimal("4.00")),
        ],
    )


def test_changing_a_quantity_answers_with_the_new_totals(app, auth, company, make_item, make_order):
    pizza = make_item(company, "Pizza", price="9.90")
    order_id = make_order(company, (pizza, "1"))
    line_id = _line_ids(app, company, order_id)[0]
    response = auth.post(
        f"/orders/{order_id}/lines/{line_id}",
        {"quantity": "3", "discount_percent": "10"},
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-total="lines">€26.73<' in html and 'data-total="total">€26.73<' in html
    assert 'data-total="balance">€26.73<' in html and 'value="3"' in html
    assert _state(app, company, order_id)[0] == Decimal("26.73")


def test_an_invalid_quantity_is_shown_next_to_the_field_and_writes_nothing(
    app, auth, company, make_item, make_order
):
    pizza = make_item(company, "Pizza", price="9.90")
    order_id = make_order(company, (pizza, "2"))
    line_id = _line_ids(app, company, order_id)[0]
    before = _state(app, company, order_id)
    for bad, message in (("0", "Enter a quantity above zero."), ("abc", "Enter a number.")):
        response = auth.post(
            f"/orders/{order_id}/lines/{line_id}",
            {"quantity": bad, "discount_percent": "50"},
            headers=HTMX,
        )
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert f'id="{line_id}-quantity-error" role="alert">{message}</p>' in html
        assert f'value="{bad}"' in html  # what the user typed stays in the input
        assert 'data-total="total">€19.80<' in html
    assert _state(app, company, order_id) == before
    missing = auth.post(
        f"/orders/{order_id}/lines", {"description": "", "unit_price": "1"}, headers=HTMX
    )
    assert missing.status_code == 422
    assert 'id="free-description-error" role="alert">Describe the item.</p>' in missing.text
    assert _state(app, company, order_id) == before


def test_price_override_refused_for_staff_allowed_for_owner(
    app, client, company, make_user, make_item, make_order
):
    pizza = make_item(company, "Pizza", price="9.90")
    order_id = make_order(company, (pizza, "1"))
    line_id = _line_ids(app, company, order_id)[0]
    client.login(make_user(company, "staff"))
    page = client.get(f"/orders/{order_id}").get_data(as_text=True)
    assert 'name="quantity"' in page and 'name="unit_price" form=' not in page
    refused = client.post(
        f"/orders/{order_id}/lines/{line_id}", {"unit_price": "5.00"}, headers=HTMX
    )
    assert refused.status_code == 403
    assert "Your role may not change catalog prices." in text_of(refused)
    assert _state(app, company, order_id)[0] == Decimal("9.90")

    client.login(make_user(company, "owner"))
    assert 'name="unit_price" form=' in client.get(f"/orders/{order_id}").get_data(as_text=True)
    allowed = client.post(
        f"/orders/{order_id}/lines/{line_id}", {"unit_price": "5.00"}, headers=HTMX
    )
    assert allowed.status_code == 200 and 'data-total="total">€5.00<' in allowed.text
    assert _state(app, company, order_id)[0] == Decimal("5.00")


def test_remove_a_line(app, auth, company, make_order):
    order_id = make_order(company, ("Corkage", "1", "4.00"), ("Bread", "2", "1.50"))
    first = _line_ids(app, company, order_id)[0]
    response = auth.post(f"/orders/{order_id}/lines/{first}/delete", headers=HTMX)
    assert response.status_code == 200 and 'data-total="total">€3.00<' in response.text
    assert _state(app, company, order_id)[1] == [("Bread", Decimal("2.000"), Decimal("1.50"))]


def test_without_htmx_a_line_change_redirects_to_the_page(app, auth, company, make_order):
    order_id = make_order(company, ("Corkage", "1", "4.00"))
    line_id = _line_ids(app, company, order_id)[0]
    response = auth.post(f"/orders/{order_id}/lines/{line_id}", {"quantity": "2"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/orders/{order_id}")
    refused = auth.post(f"/orders/{order_id}/lines/{line_id}", {"quantity": "-1"})
    assert refused.status_code == 422 and "<html" in refused.text
    assert "Enter a number that is not negative." in text_of(refused)


def test_details_and_notes_are_saved(app, auth, company, make_order):
    order_id = make_order(company)
    response = auth.post(
        f"/orders/{order_id}/details",
        {"channel": "web", "table_label": "5", "notes": "No onions"},
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Saved." in html and 'id="order-header" hx-swap-oob="true"' in html and "Table 5" in html
    with company_ctx(app, company.id):
        order = load_order(order_id)
        assert (order.channel, order.table_label, order.notes) == ("web", "5", "No onions")
    bad = auth.post(f"/orders/{order_id}/details", {"channel": "fax"}, headers=HTMX)
    assert bad.status_code == 422 and "Choose a channel." in text_of(bad)


def test_a_closed_order_shows_read_only_lines_and_refuses_changes(
    app, auth, company, owner, make_order
):
    order_id = make_order(company, ("Corkage", "1", "4.00"))
    line_id = _line_ids(app, company, order_id)[0]
    assert (
        auth.post(f"/orders/{order_id}/transition", {"to": "CANCELLED", "version": "1"}).status_code
        == 303
    )
    page = auth.get(f"/orders/{order_id}").get_data(as_text=True)
    assert 'name="quantity"' not in page and "Add a free-text line" not in page
    assert "This order is closed; its lines cannot change any more." in page
    refused = auth.post(f"/orders/{order_id}/lines/{line_id}", {"quantity": "5"}, headers=HTMX)
    assert refused.status_code == 422
    assert "This order is closed; it cannot be changed any more." in text_of(refused)
    assert _state(app, company, order_id)[1] == [("Corkage", Decimal("1.000"), Decimal("4.00"))]


def test_detail_query_count_does_not_grow_with_the_lines(app, auth, company, make_order):
    from tests.conftest import count_queries

    few = make_order(company, ("A", "1", "1.00"))
    many = make_order(company, *[(f"Item {n}", "1", "1.00") for n in range(30)])
    auth.get(f"/orders/{few}")  # the process keeps the flow from here on
    assert count_queries(app, auth, f"/orders/{few}") == count_queries(app, auth, f"/orders/{many}")


def _line_ids(app, company, order_id) -> list[int]:
    with company_ctx(app, company.id):
        return [line.id for line in load_order(order_id).lines]


def test_panels_refresh_each_other_after_a_change(app, auth, company, make_order):
    """A line change tells the payments and promo-code panels to reload; the lines panel
    reloads itself (GET) when a payment or code changes the balance or discount."""
    order_id = make_order(company, ("Corkage", "1", "4.00"))
    line_id = _line_ids(app, company, order_id)[0]
    changed = auth.post(f"/orders/{order_id}/lines/{line_id}", {"quantity": "2"}, headers=HTMX)
    assert "order-lines-changed" in changed.headers["HX-Trigger-After-Settle"]
    page = auth.get(f"/orders/{order_id}").get_data(as_text=True)
    # Each panel reloads on the others' changes, never on its own (the user may be typing).
    assert (
        f'hx-get="/orders/{order_id}/lines" '
        'hx-trigger="order-payments-changed from:body, order-voucher-changed from:body"'
    ) in page
    assert 'hx-trigger="order-lines-changed from:body, order-voucher-changed from:body"' in page
    assert 'hx-trigger="order-lines-changed from:body, order-payments-changed from:body"' in page
    fragment = auth.get(f"/orders/{order_id}/lines", headers=HTMX)
    assert fragment.status_code == 200 and "HX-Trigger-After-Settle" not in fragment.headers
    assert 'data-total="total">€8.00<' in fragment.get_data(as_text=True)
    refused = auth.post(f"/orders/{order_id}/lines/{line_id}", {"quantity": "x"}, headers=HTMX)
    assert refused.status_code == 422 and "HX-Trigger-After-Settle" not in refused.headers


def test_a_full_order_page_stays_within_the_query_budget(app, auth, company, make_order):
    """Lines, payments, a promo code, history and messages: at most 8 queries (the budget
    of every list and detail page), whatever the order holds."""
    from tests.conftest import count_queries

    order_id = make_order(company, ("Corkage", "1", "4.00"), ("Bread", "2", "1.50"))
    auth.post(f"/orders/{order_id}/payments", {"method": "cash", "amount": "3.00"})
    queries = count_queries(app, auth, f"/orders/{order_id}")
    assert queries <= 8, queries


def test_a_line_taken_from_stock_takes_a_discount_but_not_a_new_quantity(
    app, client, make_company, make_user, make_item, make_order
):
    from bizkit.workflow import operations as workflow

    shop = make_company("Spokes", business_type="bike_shop", currency="EUR", locale="en")
    mechanic = make_user(shop, "owner")
    chain = make_item(shop, "Chain", price="25.00", stock="3")
    order_id = make_order(shop, (chain, "1"))
    with company_ctx(app, shop.id):
        order = load_order(order_id)
        for code in ("QUOTE_SENT", "QUOTE_APPROVED", "IN_PROGRESS", "READY_FOR_PICKUP"):
            workflow.transition(order, code, None)
    line_id = _line_ids(app, shop, order_id)[0]
    client.login(mechanic)
    url = f"/orders/{order_id}/lines/{line_id}"
    discounted = client.post(
        url, {"quantity": "1", "unit_price": "25", "discount_percent": "20"}, headers=HTMX
    )
    assert discounted.status_code == 200
    assert 'data-total="total">€20.00<' in discounted.get_data(as_text=True)
    more = client.post(
        url, {"quantity": "2", "unit_price": "25", "discount_percent": "20"}, headers=HTMX
    )
    assert more.status_code == 422
    assert (
        f'id="{line_id}-quantity-error" role="alert">This item has already been taken from '
        "stock, so its quantity cannot change; add a new line for more.</p>"
    ) in more.get_data(as_text=True)
    removed = client.post(f"{url}/delete", headers=HTMX)
    assert removed.status_code == 422
    assert "This item has already been taken from stock, so its line cannot be removed." in text_of(
        removed
    )
    assert _state(app, shop, order_id) == (
        Decimal("20.00"),
        [("Chain", Decimal("1.000"), Decimal("25.00"))],
    )


def test_amounts_too_large_for_a_line_or_an_order_are_refused_next_to_the_field(
    app, auth, company, make_order
):
    """Each quantity and price is within its limit, their product or the order's sum is
    not: refused with a message next to the field, nothing written (it was a 500)."""
    order_id = make_order(company, ("Corkage", "1", "4.00"))
    line_id = _line_ids(app, company, order_id)[0]
    before = _state(app, company, order_id)
    huge = auth.post(
        f"/orders/{order_id}/lines",
        {"description": "Yacht", "unit_price": "99999999", "quantity": "1000"},
        headers=HTMX,
    )
    assert huge.status_code == 422
    assert (
        'id="free-quantity-error" role="alert">That comes to more than €9,999,999,999.99, '
        "the most one line may come to.</p>"
    ) in huge.get_data(as_text=True)
    changed = auth.post(
        f"/orders/{order_id}/lines/{line_id}",
        {"quantity": "1000", "unit_price": "99999999", "discount_percent": "0"},
        headers=HTMX,
    )
    assert changed.status_code == 422
    assert f'id="{line_id}-quantity-error" role="alert">That comes to more' in changed.text
    assert _state(app, company, order_id) == before
    # Many lines, each within the limit, that together are not.
    for _ in range(2):
        assert (
            auth.post(
                f"/orders/{order_id}/lines",
                {"description": "Villa", "unit_price": "4000000000", "quantity": "1"},
                headers=HTMX,
            ).status_code
            == 200
        )
    third = auth.post(
        f"/orders/{order_id}/lines",
        {"description": "Villa", "unit_price": "4000000000", "quantity": "1"},
        headers=HTMX,
    )
    assert third.status_code == 422
    assert (
        "The order would come to more than €9,999,999,999.99, the most one order may come "
        "to. Start another order for the rest."
    ) in text_of(third)
    assert _state(app, company, order_id)[0] == Decimal("8000000004.00")


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("discount_percent", "101", "A discount is at most 100 %."),
        ("discount_percent", "150", "A discount is at most 100 %."),
        ("discount_percent", "100.5", "A discount is at most 100 %."),
        ("discount_percent", "1e12", "A discount is at most 100 %."),
        ("discount_percent", "NaN", "Enter a number."),
        ("quantity", "NaN", "Enter a number."),
        ("quantity", "inf", "Enter a number."),
        ("quantity", "-Infinity", "Enter a number."),
        ("quantity", "sNaN", "Enter a number."),
        ("unit_price", "nan", "Enter a number."),
        ("quantity", "-1", "Enter a number that is not negative."),
    ],
)
def test_each_bad_number_says_what_is_wrong_with_it(
    app, auth, company, make_order, field, typed, message
):
    order_id = make_order(company, ("Corkage", "1", "4.00"))
    line_id = _line_ids(app, company, order_id)[0]
    values = {"quantity": "1", "unit_price": "4", "discount_percent": "0", field: typed}
    response = auth.post(f"/orders/{order_id}/lines/{line_id}", values, headers=HTMX)
    assert response.status_code == 422
    assert f'id="{line_id}-{field}-error" role="alert">{message}</p>' in response.text
    assert _state(app, company, order_id)[0] == Decimal("4.00")


def test_the_details_show_as_facts_and_open_as_a_form_on_edit(
    app, auth, company, make_order, make_user, client
):
    """The order page shows the details; "Edit details" brings the form in their place
    (htmx) or opens the page with it (without JavaScript); Cancel shows them again."""
    order_id = make_order(company, notes="Ring first")
    page = auth.get(f"/orders/{order_id}").get_data(as_text=True)
    details = page[page.index('id="order-details"') :]
    details = details[: details.index("</section>")]
    assert "Ring first" in details and "Walk-in" in details
    assert "Edit details" in details and "<form" not in details
    assert f'href="/orders/{order_id}?edit=details#order-details"' in details

    form = auth.get(f"/orders/{order_id}/details/edit", headers=HTMX)
    assert form.status_code == 200 and "<html" not in form.text
    assert 'id="customer_q"' in form.text and "Save details" in form.text
    assert "Ring first</textarea>" in form.text
    without_js = auth.get(f"/orders/{order_id}/details/edit")
    assert without_js.status_code == 302
    assert without_js.headers["Location"].endswith(f"/orders/{order_id}?edit=details")
    opened = auth.get(f"/orders/{order_id}?edit=details").get_data(as_text=True)
    assert "Save details" in opened and "Ring first</textarea>" in opened

    cancelled = auth.get(f"/orders/{order_id}/details", headers=HTMX)
    assert cancelled.status_code == 200 and "<form" not in cancelled.text
    assert "Ring first" in text_of(cancelled) and "Edit details" in cancelled.text

    # A refused save keeps the form open with what was typed and the message at the field.
    refused = auth.post(
        f"/orders/{order_id}/details", {"channel": "counter", "notes": "x" * 5001}, headers=HTMX
    )
    assert refused.status_code == 422 and "Save details" in refused.text
    assert 'id="notes-error"' in refused.text
    # Saved: the details again, with the new notes and word of it.
    saved = auth.post(
        f"/orders/{order_id}/details", {"channel": "phone", "notes": "Call at six"}, headers=HTMX
    )
    assert saved.status_code == 200 and "<form" not in saved.text.split('id="order-header"')[0]
    assert "Call at six" in text_of(saved) and "Saved." in saved.text
    with company_ctx(app, company.id):
        assert (load_order(order_id).channel, load_order(order_id).notes) == (
            "phone",
            "Call at six",
        )

    # Someone who may only look sees the details without the button, and no form.
    client.login(make_user(company, "kitchen"))
    looked = client.get(f"/orders/{order_id}?edit=details").get_data(as_text=True)
    assert "Call at six" in looked and "Edit details" not in looked
    assert "Save details" not in looked
