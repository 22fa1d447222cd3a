"""Inventory fixtures: catalog items made through the operations, inside the test transaction."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from bizkit.inventory import operations as ops
from tests.conftest import company_ctx


@dataclass(frozen=True)
class ItemRef:
    product_id: int
    variant_id: int
    sku: str


@pytest.fixture
def make_item(app, rollback_db):
    """Create a product (or service) with one variant, optionally with stock, for a company."""

    def factory(
        company,
        name: str = "Espresso",
        sku: str | None = None,
        *,
        variant: str = "",
        kind: str = "product",
        price: str = "2.50",
        stock: str | None = None,
        threshold: str | None = None,
        barcode: str | None = None,
        duration: int | None = None,
        active: bool = True,
    ) -> ItemRef:
        sku = sku or f"SKU-{name[:10].upper().replace(' ', '-')}"
        with company_ctx(app, company.id):
            product = ops.create_product(
                None,
                {
                    "name": name,
                    "kind": kind,
                    "duration_minutes": duration or (30 if kind == "service" else None),
                    "active": active,
                },
                {
                    "name": variant,
                    "sku": sku,
                    "barcode": barcode,
                    "price": price,
                    "low_stock_threshold": threshold,
                },
            )
            item = product.variants[0]
            if stock is not None:
                ops.receive_stock(None, item, Decimal(stock))
            return ItemRef(product.id, item.id, sku)

    return factory
