"""Demo catalog and stock for the demo companies. Idempotent: an item whose SKU exists is
left alone, so running the demo twice adds nothing."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from bizkit.extensions import db
from bizkit.inventory import operations as ops
from bizkit.inventory.models import Category, TaxRate, Variant

# (category path, name, kind, unit, duration, [(variant, sku, barcode, price, cost, stock, low)])
RESTAURANT = {
    "tax_rates": [("Standard", "22", False), ("Reduced (food)", "10", True)],
    "items": [
        (
            "Pizza",
            "Margherita",
            "product",
            "pcs",
            None,
            [
                ("Small", "PZ-MARG-S", None, "7.50", "2.10", None, None),
                ("Large", "PZ-MARG-L", None, "10.50", "2.90", None, None),
            ],
        ),
        (
            "Pizza",
            "Diavola",
            "product",
            "pcs",
            None,
            [
                ("Small", "PZ-DIAV-S", None, "8.50", "2.60", None, None),
                ("Large", "PZ-DIAV-L", None, "12.00", "3.40", None, None),
            ],
        ),
        (
            "Drinks/Soft drinks",
            "Acqua minerale",
            "product",
            "pcs",
            None,
            [
                ("0.5 l", "DR-ACQ-050", "8001234500012", "2.00", "0.35", "48", "24"),
            ],
        ),
        (
            "Drinks/Soft drinks",
            "Coca-Cola",
            "product",
            "pcs",
            None,
            [
                ("0.33 l", "DR-COLA-033", "5449000000996", "3.00", "0.80", "36", "12"),
                ("0.5 l", "DR-COLA-050", "5449000000439", "3.80", "1.00", "6", "12"),
            ],
        ),
        (
            "Drinks/Beer",
            "Birra Moretti",
            "product",
            "pcs",
            None,
            [
                ("0.33 l", "DR-MOR-033", "8002230000302", "4.00", "1.10", "4", "12"),
                ("0.5 l", "DR-MOR-050", "8002230000500", "5.50", "1.50", "30", "12"),
            ],
        ),
        (
            "Desserts",
            "Tiramisù",
            "product",
            "pcs",
            None,
            [
                ("", "DS-TIRA", None, "5.50", "1.40", "8", "10"),
            ],
        ),
    ],
}

BIKE_SHOP = {
    "tax_rates": [("Základní", "21", True), ("Snížená", "12", False)],
    "items": [
        (
            "Parts/Tyres",
            "Schwalbe Marathon Plus",
            "product",
            "pcs",
            None,
            [
                ("700×35C", "TY-SMP-70035", "4026495812345", "1190", "720", "8", "4"),
                ("700×40C", "TY-SMP-70040", "4026495812352", "1250", "760", "2", "4"),
                ("29×2.25", "TY-SMP-29225", "4026495812369", "1490", "900", "5", "2"),
            ],
        ),
        (
            "Parts/Tyres",
            "Continental Grand Prix 5000",
            "product",
            "pcs",
            None,
            [
                ("700×25C", "TY-CGP-70025", "4019238065123", "1690", "1050", "6", "3"),
                ("700×28C", "TY-CGP-70028", "4019238065130", "1690", "1050", "1", "3"),
            ],
        ),
        (
            "Parts/Drivetrain",
            "Shimano chain CN-HG601",
            "product",
            "pcs",
            None,
            [
                ("11-speed", "CH-HG601-11", "4524667123456", "790", "450", "10", "3"),
            ],
        ),
        (
            "Parts/Drivetrain",
            "KMC chain X10",
            "product",
            "pcs",
            None,
            [
                ("10-speed", "CH-KMC-X10", "4715575891234", "690", "380", "3", "3"),
            ],
        ),
        (
            "Parts/Brakes",
            "Shimano brake pads B01S",
            "product",
            "pair",
            None,
            [
                ("Resin", "BP-B01S", "4524667987654", "290", "140", "20", "6"),
            ],
        ),
        (
            "Parts/Brakes",
            "Kool-Stop Dura 2 pads",
            "product",
            "pair",
            None,
            [
                ("Salmon", "BP-KS-D2", "0022311000123", "390", "200", "4", "6"),
            ],
        ),
        (
            "Services",
            "Basic service",
            "service",
            "job",
            60,
            [
                ("", "SV-BASIC", None, "890", None, None, None),
            ],
        ),
        (
            "Services",
            "Full service",
            "service",
            "job",
            180,
            [
                ("", "SV-FULL", None, "2490", None, None, None),
            ],
        ),
        (
            "Services",
            "Wheel truing",
            "service",
            "job",
            30,
            [
                ("", "SV-TRUE", None, "350", None, None, None),
            ],
        ),
    ],
}

CATALOGS = {"restaurant": RESTAURANT, "bike_shop": BIKE_SHOP}


def _category(path: str) -> Category:
    parent = None
    for name in path.split("/"):
        query = select(Category).where(Category.name == name)
        query = query.where(
            Category.parent_id == parent.id if parent else Category.parent_id.is_(None)
        )
        category = db.session.execute(query).scalar()
        if category is None:
            category = ops.save_category(None, None, name=name, parent=parent)
        parent = category
    return parent


def _tax_rates(specs) -> dict[str, TaxRate]:
    rates = {}
    for name, percent, is_default in specs:
        rate = db.session.execute(select(TaxRate).where(TaxRate.name == name)).scalar()
        if rate is None:
            rate = ops.save_tax_rate(None, None, name=name, percent=percent, is_default=is_default)
        rates[name] = rate
    return rates


def seed_demo(company, business_type: str) -> None:
    """Add the demo catalog for `business_type` to `company` (the current company)."""
    catalog = CATALOGS.get(business_type)
    if catalog is None:
        return
    _tax_rates(catalog["tax_rates"])
    for path, name, kind, unit, duration, variants in catalog["items"]:
        first_sku = variants[0][1]
        if db.session.execute(select(Variant.id).where(Variant.sku == first_sku)).first():
            continue
        product_values = {
            "name": name,
            "kind": kind,
            # Dishes made to order have no opening stock and keep none.
            "stock_kept": any(spec[5] for spec in variants),
            "unit": unit,
            "duration_minutes": duration,
            "category": _category(path),
        }
        created = []
        for index, (label, sku, barcode, price, cost, _stock, low) in enumerate(variants):
            values = {
                "name": label,
                "sku": sku,
                "barcode": barcode,
                "price": price,
                "cost_price": cost,
                "low_stock_threshold": low,
            }
            if index == 0:
                product = ops.create_product(None, product_values, values)
                created.append(product.variants[0])
            else:
                created.append(ops.create_variant(None, product, values))
        for variant, spec in zip(created, variants, strict=True):
            if spec[5]:
                ops.receive_stock(None, variant, Decimal(spec[5]), reference="DEMO-OPENING")
