"""WTForms' validation messages in the user's language, also where WTForms' own catalog
lacks one (its Czech catalog has no "Field cannot be longer than ...")."""

from __future__ import annotations

import pytest

from tests.conftest import text_of


@pytest.fixture
def czech_owner(client, make_company, make_user):
    shop = make_company("Kolo", locale="cs", currency="CZK", timezone="Europe/Prague")
    client.login(make_user(shop, "owner", locale="cs"))
    return client


@pytest.mark.parametrize(
    ("url", "form", "field", "limit"),
    [
        (
            "/settings/company",
            {
                "name": "x" * 201,
                "business_type": "bike_shop",
                "locale": "cs",
                "timezone": "Europe/Prague",
                "currency": "CZK",
            },
            "name",
            200,
        ),
        ("/settings/notifications", {"sender_name": "x" * 101}, "sender_name", 100),
    ],
    ids=["company", "notifications"],
)
def test_a_too_long_value_is_refused_in_czech(czech_owner, url, form, field, limit):
    response = czech_owner.post(url, form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    page = text_of(response)
    assert "Field cannot be longer than" not in page
    assert f"{limit} znaků" in page
