"""Crafted URLs and forms end as a 404, an ignored value or a clear 400, never a 500
(bizkit/core/params.py): ids beyond PostgreSQL's integer, digits int() refuses, NUL."""

import pytest

from tests.conftest import text_of
from tests.customers.test_bad_input import cursor as _cursor

HUGE = "99999999999"


@pytest.mark.parametrize(
    "path",
    [
        f"/customers/{HUGE}",
        f"/customers/{HUGE}/fields/name",
        f"/customers/exports/{HUGE}",
        f"/customers/import/{HUGE}",
        f"/inventory/products/{HUGE}",
        f"/inventory/variants/{HUGE}",
        f"/inventory/stock/{HUGE}/movements",
        f"/orders/{HUGE}",
    ],
)
def test_an_id_beyond_the_database_is_not_found(auth, path):
    assert auth.get(path).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "group=99999999999999999999",
        "group=%C2%B2",  # "²": a digit to str.isdigit, not to int()
        "per_page=%C2%B2",
        "per_page=99999999999999999999999",
        "sort=%C2%B2",
    ],
)
def test_a_crafted_filter_is_ignored(auth, make_customer, query):
    make_customer("Jana Nováková")
    response = auth.get(f"/customers/?{query}")
    assert response.status_code == 200
    assert "Jana Nováková" in text_of(response)


def test_a_tampered_cursor_starts_from_the_top(auth, make_customer):
    make_customer("Jana Nováková")
    for values in (["Jana", 10**20], ["Ja\x00na", 1], ["Jana", -(10**20)]):
        response = auth.get(f"/customers/?cursor={_cursor(values)}")
        assert response.status_code == 200, values
        assert "Jana Nováková" in text_of(response)
    for sort in ("name", "-created"):
        response = auth.get(f"/customers/?sort={sort}&cursor={_cursor([['x'], {'y': 1}])}")
        assert response.status_code == 200


def test_a_nul_character_is_refused_with_a_message_and_nothing_is_written(app, auth, make_customer):
    customer_id = make_customer("Jana Nováková")
    for path in ("/customers/?q=a%00b", "/customers/?tag=%00"):
        response = auth.get(path)
        assert response.status_code == 400
        assert "cannot be stored" in text_of(response)
    response = auth.post(
        f"/customers/{customer_id}/fields/name",
        {"name": "Ja\x00na"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert "cannot be stored" in text_of(response)
    assert "Jana Nováková" in text_of(auth.get(f"/customers/{customer_id}"))


def test_posted_ids_beyond_the_database_are_refused_not_a_server_error(
    auth, company, make_customer
):
    customer_id = make_customer("Jana Nováková")
    response = auth.post(
        f"/customers/{customer_id}/fields/group_id",
        {"group_id": "99999999999"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "Unknown group." in text_of(response)
