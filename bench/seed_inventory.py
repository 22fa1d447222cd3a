"""Benchmark catalog: 200,000 variants across the benchmark companies (a third in the large
one), each with one stock level and the receipt that put it there. COPY, then set-based SQL."""

from __future__ import annotations

import random
import time

import psycopg

VARIANTS = 200_000
LARGE_SHARE = 1 / 3

PRODUCTS = [
    "Pneumatika",
    "Duše",
    "Řetěz",
    "Brzdové destičky",
    "Pizza",
    "Café con leche",
    "Limonáda",
    "Šroubek",
    "Croissant",
    "Żurek",
    "Pão de queijo",
    "Empanada",
    "Kaszanka",
    "Halušky",
    "Svíčková",
    "Crêpe",
    "Bière blonde",
    "Vinho verde",
]
BRANDS = [
    "Schwalbe",
    "Continental",
    "Shimano",
    "SRAM",
    "Kofola",
    "Pilsner",
    "Łomża",
    "Açaí Co",
    "Dolomiti",
    "Ñandú",
    "Müller",
    "Škoda",
]
SIZES = ["S", "M", "L", "XL", "0,33 l", "0,5 l", '26"', '27,5"', '29"', "700x25", "700x28"]


def seed_inventory(conn: psycopg.Connection, company_ids: list[int]) -> None:
    rng = random.Random(7)
    large = company_ids[0]
    large_count = int(VARIANTS * LARGE_SHARE)
    others = company_ids[1:]
    started = time.monotonic()
    conn.execute("DROP INDEX IF EXISTS ix_variant_search_trgm")
    conn.execute(
        "INSERT INTO stock_location (company_id, name, is_default) "
        "SELECT id, 'Main store', true FROM company WHERE slug LIKE 'bench-%%'"
    )
    # One product per two or three variants.
    plan: list[tuple[int, int]] = []  # (company_id, variants of this product)
    remaining = VARIANTS
    n = 0
    while remaining > 0:
        company = large if n * 2.5 < large_count else others[n % len(others)]
        count = min(remaining, rng.choice((2, 3)))
        plan.append((company, count))
        remaining -= count
        n += 1
    with (
        conn.cursor() as cursor,
        cursor.copy(
            "COPY product (company_id, name, kind, unit, active, created_at) FROM STDIN"
        ) as copy,
    ):
        for index, (company, _count) in enumerate(plan):
            name = f"{rng.choice(PRODUCTS)} {rng.choice(BRANDS)} {index}"
            copy.write_row((company, name, "product", "pcs", True, "2025-06-01 10:00:00+00"))
    product_ids = [row[0] for row in conn.execute("SELECT id FROM product ORDER BY id")]
    with (
        conn.cursor() as cursor,
        cursor.copy(
            "COPY variant (company_id, product_id, name, sku, barcode, price, cost_price, "
            "low_stock_threshold, active, on_hand, reserved, search_text) FROM STDIN"
        ) as copy,
    ):
        serial = 0
        for (company, count), product_id in zip(plan, product_ids, strict=True):
            for size in rng.sample(SIZES, count):
                serial += 1
                on_hand = rng.randrange(0, 200)
                copy.write_row(
                    (
                        company,
                        product_id,
                        size,
                        f"SKU-{serial:07d}",
                        f"859{serial:010d}",
                        f"{rng.randrange(50, 50000) / 100:.2f}",
                        f"{rng.randrange(20, 20000) / 100:.2f}",
                        5,
                        True,
                        on_hand,
                        0,
                        "",
                    )
                )
    conn.execute(
        "UPDATE variant v SET search_text = bizkit_fold(concat_ws(' ', p.name, v.name, v.sku, "
        "v.barcode)) FROM product p WHERE p.id = v.product_id"
    )
    conn.execute(
        "INSERT INTO stock_level (company_id, variant_id, location_id, on_hand, reserved) "
        "SELECT v.company_id, v.id, l.id, v.on_hand, 0 FROM variant v "
        "JOIN stock_location l ON l.company_id = v.company_id AND l.is_default"
    )
    conn.execute(
        "INSERT INTO stock_movement (company_id, variant_id, location_id, kind, on_hand_change, "
        "reserved_change, reference, created_at) "
        "SELECT v.company_id, v.id, l.id, 'receipt', v.on_hand, 0, 'bench', "
        "'2025-06-01 10:00:00+00' FROM variant v "
        "JOIN stock_location l ON l.company_id = v.company_id AND l.is_default WHERE v.on_hand > 0"
    )
    conn.execute(
        "CREATE INDEX ix_variant_search_trgm ON variant USING gin (search_text gin_trgm_ops)"
    )
    print(
        f"  catalog: {len(plan):,} products, {VARIANTS:,} variants "
        f"in {time.monotonic() - started:.0f} s",
        flush=True,
    )
