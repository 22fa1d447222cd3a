"""The order list (search, filters, keyset pages, constant queries) and the new-order page."""

import re

import pytest
from sqlalchemy import select, text

from bizkit.extensions import db
from bizkit.orders.models import Order
from tests.conftest import company_ctx, count_queries, text_of


def numbers(response) -> list[int]:
    return [int(n) for n in re.findall(r'data-order="(\d+)"', response.get_data(as_text=True))]


def test_pages_render(auth, company, make_order):
    order_id = make_order(company, ("Corkage", "1", "5.00"), table_label="7")
    for path in ("/orders/", "/orders/new", f"/orders/{order_id}"):
        response = auth.get(path)
        assert response.status_code == 200, (path, text_of(response)[:500])
    page = text_of(auth.get("/orders/"))
    assert "Walk-in" in page and "Pending" in page and "€5.00" in page and "Unpaid" in page


def test_search_by_customer_name_with_and_without_accents(auth, company, make_order, make_customer):
    make_order(company, customer_id=make_customer("Antonín Dvořák"))
    make_order(company, customer_id=make_customer("Bedřich Smetana"))
    make_order(company)
    assert numbers(auth.get("/orders/?q=dvorak")) == [1]
    assert numbers(auth.get("/orders/?q=DVOŘÁK")) == [1]
    assert numbers(auth.get("/orders/?q=bedrich smet")) == [2]
    assert text_of(auth.get("/orders/?q=nobody")).count("No orders match.") == 1


def test_a_renamed_or_erased_customer_is_found_by_the_new_name_only(
    app, auth, company, make_order, make_customer
):
    from bizkit.core.models import Company
    from bizkit.customers import operations as customers
    from bizkit.customers.models import Customer

    customer_id = make_customer("Antonín Dvořák")
    make_order(company, customer_id=customer_id, table_label="Terrace")
    with company_ctx(app, company.id):
        record = db.session.get(Company, company.id)
        customer = db.session.get(Customer, customer_id)
        customers.update_customer(None, record, customer, {"name": "Leoš Janáček"})
    assert numbers(auth.get("/orders/?q=dvorak")) == []
    assert numbers(auth.get("/orders/?q=janacek")) == [1]
    with company_ctx(app, company.id):
        customers.erase_customer(None, db.session.get(Customer, customer_id))
    assert numbers(auth.get("/orders/?q=janacek")) == []
    assert numbers(auth.get("/orders/?q=terrace")) == [1]  # the order itself stays findable


def test_search_by_exact_number_and_by_table(auth, company, make_order):
    for n in range(12):
        make_order(company, table_label="Terrace" if n == 3 else None)
    assert numbers(auth.get("/orders/?q=12")) == [12]  # not 1, not 2
    assert numbers(auth.get("/orders/?q=%2311")) == [11]  # "#11"
    assert numbers(auth.get("/orders/?q=terrace")) == [4]


def test_htmx_search_returns_only_the_results(auth, company, make_order, make_customer):
    make_order(company, customer_id=make_customer("Antonín Dvořák"))
    html = auth.get("/orders/?q=dvor", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in html and 'id="order-results"' in html and "Dvořák" in html


def test_filters_by_status_channel_and_date(app, auth, company, owner, make_order):
    make_order(company, channel="phone")
    make_order(company, channel="web")
    third = make_order(company)
    with company_ctx(app, company.id):
        from bizkit.auth.models import User
        from bizkit.workflow import operations as workflow

        order = db.session.get(Order, third)
        workflow.transition(order, "CONFIRMED", db.session.get(User, owner.id))
        # Order 1 was made on 3 March, 23:30 in Rome: 22:30 UTC.
        db.session.execute(
            text("UPDATE customer_order SET created_at = '2026-03-03 22:30+00' WHERE number = 1")
        )
    assert numbers(auth.get("/orders/?status=CONFIRMED")) == [3]
    assert numbers(auth.get("/orders/?status=PENDING")) == [2, 1]
    assert numbers(auth.get("/orders/?channel=web")) == [2]
    assert numbers(auth.get("/orders/?from=2026-03-03&to=2026-03-03")) == [1]
    assert numbers(auth.get("/orders/?from=2026-03-04&to=2026-03-04")) == []
    assert numbers(auth.get("/orders/?to=2026-03-02")) == []
    # Nonsense filters are ignored, not a 500.
    assert numbers(auth.get("/orders/?status=NOPE&channel=fax&from=yesterday")) == [3, 2, 1]
    page = auth.get("/orders/?status=CONFIRMED").get_data(as_text=True)
    assert '<option value="CONFIRMED" selected>' in page


def test_keyset_pages_are_stable_newest_first(auth, company, make_order):
    for _ in range(23):
        make_order(company)
    seen: list[int] = []
    html = auth.get("/orders/?per_page=10").get_data(as_text=True)
    seen += [int(n) for n in re.findall(r'data-order="(\d+)"', html)]
    cursor = re.search(r'cursor=([^"&]+)', html)
    make_order(company)  # a new order does not shift the pages already being read
    while cursor:
        part = auth.get(
            f"/orders/?per_page=10&cursor={cursor.group(1)}", headers={"HX-Request": "true"}
        ).get_data(as_text=True)
        assert "<html" not in part
        seen += [int(n) for n in re.findall(r'data-order="(\d+)"', part)]
        cursor = re.search(r'cursor=([^"&]+)', part)
    assert seen == list(range(23, 0, -1))


def test_query_count_does_not_grow_with_the_rows(app, auth, company, make_order, make_customer):
    customers = [make_customer(f"Customer {n}") for n in range(5)]
    for n in range(5):
        make_order(company, ("Corkage", "1", "5.00"), customer_id=customers[n])
    auth.get("/orders/")  # the process keeps the flow from here on
    few = count_queries(app, auth, "/orders/")
    for n in range(35):
        make_order(company, ("Corkage", "1", "5.00"), customer_id=customers[n % 5])
    many = count_queries(app, auth, "/orders/?per_page=50")
    assert few == many <= 8
    assert len(numbers(auth.get("/orders/?per_page=50"))) == 40


def test_status_colours_come_from_a_stylesheet_not_inline_styles(auth, company, make_order):
    make_order(company)
    html = auth.get("/orders/").get_data(as_text=True)
    assert "style=" not in html
    assert 'class="status-badge" data-status="PENDING"' in html
    css_url = re.search(r'<link rel="stylesheet" href="(/orders/statuses\.css\?v=\w+)"', html)
    css = auth.get(css_url.group(1))
    assert css.mimetype == "text/css"
    assert '[data-status="PENDING"] { --status-color: #64748b; }' in css.get_data(as_text=True)


# -- new order ----------------------------------------------------------------------------


def _latest_order(app, company) -> Order:
    with company_ctx(app, company.id):
        order = db.session.execute(select(Order).order_by(Order.id.desc())).scalar()
        db.session.expunge(order)
        return order


def test_restaurant_order_with_a_table_for_a_customer(app, auth, company, make_customer):
    customer_id = make_customer("Antonín Dvořák")
    picker = auth.get("/orders/new/customers?customer_q=dvorak", headers={"HX-Request": "true"})
    assert "Antonín Dvořák" in text_of(picker) and f'value="{customer_id}"' in picker.text
    form = auth.get("/orders/new").get_data(as_text=True)
    assert 'name="table_label"' in form and 'name="bike_make"' not in form
    response = auth.post(
        "/orders/new",
        {"customer_id": str(customer_id), "channel": "phone", "table_label": "12", "notes": "VIP"},
    )
    assert response.status_code == 302
    order = _latest_order(app, company)
    assert response.headers["Location"].endswith(f"/orders/{order.id}")
    assert (order.customer_id, order.channel, order.table_label, order.notes) == (
        customer_id,
        "phone",
        "12",
        "VIP",
    )
    page = text_of(auth.get(f"/orders/{order.id}"))
    assert "Antonín Dvořák" in page and "Table 12" in page and "Phone" in page


def test_takeaway_walk_in(app, auth, company):
    response = auth.post("/orders/new", {"customer_id": "", "channel": "counter", "takeaway": "y"})
    assert response.status_code == 302
    order = _latest_order(app, company)
    assert order.customer_id is None and order.takeaway is True
    assert "Take-away" in text_of(auth.get(f"/orders/{order.id}"))


def test_an_order_is_at_a_table_or_taken_away_not_both(app, auth, company):
    response = auth.post("/orders/new", {"channel": "counter", "table_label": "7", "takeaway": "y"})
    assert response.status_code == 422
    assert "served at a table or taken away, not both" in text_of(response)
    with company_ctx(app, company.id):
        assert db.session.execute(select(Order)).first() is None


def test_enter_in_the_customer_search_does_not_make_a_walk_in(app, auth, company, make_customer):
    """Typing a name and pressing Enter submits the form with "Walk-in" still checked."""
    make_customer("Antonín Dvořák")
    response = auth.post(
        "/orders/new", {"customer_q": "dvorak", "customer_id": "", "channel": "counter"}
    )
    assert response.status_code == 422
    assert "Pick the customer you searched for from the list" in text_of(response)
    assert "Antonín Dvořák" in text_of(response)  # offered to pick
    with company_ctx(app, company.id):
        assert db.session.execute(select(Order)).first() is None


def test_bike_shop_order_records_the_bike(app, client, make_company, make_user):
    shop = make_company("Spokes", business_type="bike_shop", currency="CZK", locale="en")
    client.login(make_user(shop, "staff"))
    form = client.get("/orders/new").get_data(as_text=True)
    assert 'name="bike_serial"' in form and 'name="table_label"' not in form
    response = client.post(
        "/orders/new",
        {"channel": "counter", "bike_make": "Trek", "bike_model": "FX 3", "bike_serial": "WTU123"},
    )
    assert response.status_code == 302
    order = _latest_order(app, shop)
    assert (order.bike_make, order.bike_model, order.bike_serial) == ("Trek", "FX 3", "WTU123")
    assert order.status == "QUOTE_REQUESTED"
    page = text_of(client.get(f"/orders/{order.id}"))
    assert "Trek FX 3" in page and "WTU123" in page and "Quote requested" in page


@pytest.mark.parametrize(
    "data, message",
    [
        ({"customer_id": "999999"}, "Pick a customer from the list, or a walk-in."),
        ({"channel": "fax"}, "Choose a channel."),
        ({"table_label": "x" * 41}, "Field cannot be longer than 40 characters."),
    ],
)
def test_bad_new_order_input_is_refused_next_to_the_field(app, auth, company, data, message):
    response = auth.post("/orders/new", {"channel": "counter", **data})
    assert response.status_code == 422
    assert message in text_of(response)
    with company_ctx(app, company.id):
        assert db.session.execute(select(Order.id)).first() is None
