"""Number inputs on the order page use the company's decimal mark, and what they show is
what the operations read back."""

import re


def test_a_czech_company_edits_quantities_with_a_decimal_comma(
    app, client, make_company, make_user, make_order
):
    company = make_company("Kavárna", business_type="restaurant", locale="cs")
    client.login(make_user(company, "owner", email="jana@kavarna.example"))
    order_id = make_order(company, ("Káva", "2.5", "10.50"))

    html = client.get(f"/orders/{order_id}").get_data(as_text=True)
    assert re.search(r'name="quantity"[^>]*value="2,5"', html)
    assert re.search(r'name="unit_price"[^>]*value="10,5"', html)
    # Saved unchanged, the comma reads back as the same number.
    line_id = re.search(r'id="line-form-(\d+)"', html).group(1)
    form = {"quantity": "2,5", "unit_price": "10,5", "discount_percent": "0", "description": "Káva"}
    response = client.post(f"/orders/{order_id}/lines/{line_id}", form)
    assert response.status_code in (200, 302, 303)
    html = client.get(f"/orders/{order_id}").get_data(as_text=True)
    assert re.search(r'name="quantity"[^>]*value="2,5"', html)
