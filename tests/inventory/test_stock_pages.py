"""Stock pages: recording receipts and adjustments, and the stock count."""

import re

from sqlalchemy import func, select

from bizkit.extensions import db
from bizkit.inventory import operations as ops
from bizkit.inventory.models import StockMovement, Variant
from tests.conftest import company_ctx, text_of


def _location_id(app, company) -> int:
    with company_ctx(app, company.id):
        return ops.default_location().id


def _figures(app, company, variant_id):
    with company_ctx(app, company.id):
        v = db.session.get(Variant, variant_id)
        return v.on_hand, v.reserved


def _movements(app, company) -> int:
    with company_ctx(app, company.id):
        return db.session.execute(select(func.count(StockMovement.id))).scalar()


def test_recording_a_receipt_and_an_adjustment(app, auth, company, make_item):
    item = make_item(company, "Cola", "COLA")
    url = f"/inventory/stock/{item.variant_id}/movements"
    location = _location_id(app, company)
    assert auth.get(url).status_code == 200
    response = auth.post(url, {"kind": "receipt", "quantity": "24", "location": location,
                               "note": "DL-2231"})  # fmt: skip
    assert response.status_code == 302
    response = auth.post(url, {"kind": "adjustment", "quantity": "-2", "reason": "damaged",
                               "location": location})  # fmt: skip
    assert response.status_code == 302
    assert _figures(app, company, item.variant_id) == (22, 0)
    text = text_of(auth.get(url))
    assert "DL-2231" in text and "Damaged" in text and "Receipt" in text


def test_movement_errors_sit_next_to_the_field_and_write_nothing(app, auth, company, make_item):
    item = make_item(company, "Cola", "COLA", stock="3")
    url = f"/inventory/stock/{item.variant_id}/movements"
    location = _location_id(app, company)
    response = auth.post(url, {"kind": "adjustment", "quantity": "-5", "reason": "lost",
                               "location": location})  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="quantity-error">Only 3 pcs on hand at Main store.<', html)
    response = auth.post(url, {"kind": "adjustment", "quantity": "-1", "location": location})
    assert response.status_code == 422
    assert 'id="reason-error"' in response.get_data(as_text=True)
    response = auth.post(url, {"kind": "receipt", "quantity": "lots", "location": location})
    assert response.status_code == 422
    assert 'id="quantity-error"' in response.get_data(as_text=True)
    assert _figures(app, company, item.variant_id) == (3, 0)
    assert _movements(app, company) == 1


def test_stock_count_turns_differences_into_adjustments(app, auth, company, make_item):
    cola = make_item(company, "Cola", "COLA", stock="10")
    beer = make_item(company, "Beer", "BEER", stock="5")
    water = make_item(company, "Water", "WATER", stock="7")
    location = _location_id(app, company)
    page = auth.get("/inventory/stock-count")
    assert page.status_code == 200
    assert f'name="count-{cola.variant_id}"' in page.get_data(as_text=True)
    response = auth.post(
        "/inventory/stock-count",
        {
            "location": location,
            "note": "Monthly count",
            "variant": [cola.variant_id, beer.variant_id, water.variant_id],
            f"count-{cola.variant_id}": "8",
            f"count-{beer.variant_id}": "5",  # no difference: no movement
            f"count-{water.variant_id}": "",  # not counted: skipped
        },
    )
    assert response.status_code == 302
    assert _figures(app, company, cola.variant_id) == (8, 0)
    assert _figures(app, company, water.variant_id) == (7, 0)
    with company_ctx(app, company.id):
        counted = (
            db.session.execute(select(StockMovement).where(StockMovement.reason == "count"))
            .scalars()
            .all()
        )
        assert [(m.variant_id, m.on_hand_change, m.note) for m in counted] == [
            (cola.variant_id, -2, "Monthly count")
        ]


def test_one_bad_count_line_writes_nothing(app, auth, company, make_item):
    cola = make_item(company, "Cola", "COLA", stock="10")
    beer = make_item(company, "Beer", "BEER", stock="5")
    with company_ctx(app, company.id):
        ops.reserve_stock(None, db.session.get(Variant, beer.variant_id), 4)
    before = _movements(app, company)
    data = {
        "location": _location_id(app, company),
        "variant": [cola.variant_id, beer.variant_id],
        f"count-{cola.variant_id}": "6",
        f"count-{beer.variant_id}": "3",  # below the 4 reserved
    }
    response = auth.post("/inventory/stock-count", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(rf'id="count-{beer.variant_id}-error">4 are reserved', html)
    assert 'value="6"' in html  # what was typed stays
    data[f"count-{beer.variant_id}"] = "abc"
    response = auth.post("/inventory/stock-count", data)
    assert response.status_code == 422
    assert f'id="count-{beer.variant_id}-error"' in response.get_data(as_text=True)
    assert _figures(app, company, cola.variant_id) == (10, 0)
    assert _movements(app, company) == before


def test_count_operation_is_one_transaction(app, company, make_item):
    import pytest

    from bizkit.core.errors import BusinessRuleError

    a = make_item(company, "A", "A", stock="2")
    b = make_item(company, "B", "B", stock="2")
    with company_ctx(app, company.id):
        va, vb = db.session.get(Variant, a.variant_id), db.session.get(Variant, b.variant_id)
        with pytest.raises(BusinessRuleError) as refused:
            ops.count_stock(None, [(va, "1"), (vb, "-1")])
        assert refused.value.field == f"count-{vb.id}"
        assert db.session.execute(select(func.count(StockMovement.id))).scalar() == 2
        moves = ops.count_stock(None, [(va, "1"), (vb, "4")], note="recount")
        assert [m.on_hand_change for m in moves] == [-1, 2]


def test_crafted_ids_in_a_stock_count_are_ignored_not_a_server_error(app, auth, company, make_item):
    """ "²" passes str.isdigit() but not int(); 99999999999 is no PostgreSQL integer."""
    cola = make_item(company, "Cola", "COLA", stock="10")
    location = _location_id(app, company)
    response = auth.post(
        "/inventory/stock-count",
        {
            "location": location,
            "variant": [cola.variant_id, "99999999999", "²", "-1", "0"],
            f"count-{cola.variant_id}": "8",
        },
    )
    assert response.status_code == 302
    assert _figures(app, company, cola.variant_id) == (8, 0)
    for crafted in ("²", "99999999999"):
        response = auth.post(
            "/inventory/stock-count",
            {"location": crafted, "variant": [cola.variant_id], f"count-{cola.variant_id}": "7"},
        )
        assert response.status_code == 422
        assert 'id="location-error"' in response.get_data(as_text=True)
        assert "Cola" in text_of(response)  # the sheet is shown again, with what was typed
    assert _figures(app, company, cola.variant_id) == (8, 0)
    for crafted in ("²", "99999999999"):
        page = auth.get(f"/inventory/stock-count?location={crafted}&category={crafted}")
        assert page.status_code == 200
        assert "Cola" in text_of(page)
