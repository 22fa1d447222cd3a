"""Benchmark orders: 1,000,000 orders with about three lines each across the benchmark
companies (a third in the large one), with statuses spread over each company's flow.

    python -m bench.seed_orders     (`make bench-data` runs it after bench.seed)

The bench companies are inserted by SQL, so they first get their order flow from the
presets (as `create_company` would give them). Orders are dated over the past year,
oldest first; the most recent 3 % of each company are still open (spread over the
open statuses, what a board shows), the rest are closed (mostly completed, some
cancelled). Each company's order counter continues after its last seeded number.
Uses COPY with the secondary indexes dropped and foreign-key triggers off (the rows
are consistent by construction), then rebuilds the indexes; a few minutes.
"""

from __future__ import annotations

import random
import sys
import time
import unicodedata
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg

from bench import services
from bizkit.workflow.presets import preset_for

ORDERS = 1_000_000
LARGE_SHARE = 1 / 3
OPEN_SHARE = 0.03
LINES = (2, 3, 3, 3, 4)  # about three per order
TAX = Decimal("21")
CENT = Decimal("0.01")
DISHES = ["Pizza", "Svíčková", "Żurek", "Pão de queijo", "Service", "Tune-up", "Brake pads"]
_FOLD = str.maketrans({"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "ß": "ss", "đ": "d", "Đ": "d"})


def fold(text: str) -> str:
    """Close to the database's bizkit_fold (unaccent + lower), for search_text."""
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def seed_flows(conn: psycopg.Connection, companies: list[tuple[int, str]]) -> None:
    """The preset order flow of each bench company that has none yet."""
    have = {
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT company_id FROM workflow_status WHERE entity_type = 'order'"
        )
    }
    statuses, transitions = [], []
    for company_id, business_type in companies:
        if company_id in have:
            continue
        preset = preset_for(business_type, "order")
        for position, s in enumerate(preset.statuses):
            statuses.append((company_id, "order", s.code, s.color, s.initial, s.terminal, position))
        for position, t in enumerate(preset.transitions):
            transitions.append(
                (company_id, "order", t.from_code, t.to_code, list(t.roles), list(t.side_effects),
                 position)
            )  # fmt: skip
    with conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO workflow_status (company_id, entity_type, code, color, is_initial, "
            "is_terminal, position) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            statuses,
        )
        cursor.executemany(
            "INSERT INTO workflow_transition (company_id, entity_type, from_code, to_code, "
            "roles, side_effects, position) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            transitions,
        )


def flow_statuses(conn: psycopg.Connection) -> dict[int, tuple[list[str], list[str]]]:
    """{company: (open codes in board order, terminal codes)}."""
    flows: dict[int, tuple[list[str], list[str]]] = {}
    for company_id, code, terminal in conn.execute(
        "SELECT company_id, code, is_terminal FROM workflow_status "
        "WHERE entity_type = 'order' ORDER BY company_id, position"
    ):
        flows.setdefault(company_id, ([], []))[1 if terminal else 0].append(code)
    return flows


def samples(conn: psycopg.Connection, sql: str) -> dict[int, list[tuple]]:
    found: dict[int, list[tuple]] = {}
    for row in conn.execute(sql):
        found.setdefault(row[0], []).append(row[1:])
    return found


def plan(company_ids: list[int]) -> list[int]:
    """The company of each order, in creation order (as bench.seed spreads customers)."""
    large_count = int(ORDERS * LARGE_SHARE)
    others = company_ids[1:]
    return [company_ids[0] if n < large_count else others[n % len(others)] for n in range(ORDERS)]


def seed_orders(
    conn: psycopg.Connection, line_conn: psycopg.Connection, company_ids: list[int]
) -> None:
    """COPY orders on `conn` and their lines on `line_conn` side by side (one connection
    runs one COPY at a time); both run with foreign-key triggers off."""
    rng = random.Random(11)
    flows = flow_statuses(conn)
    customers = samples(
        conn,
        "SELECT company_id, id, name FROM (SELECT company_id, id, name, row_number() OVER "
        "(PARTITION BY company_id ORDER BY id) AS n FROM customer) c WHERE n <= 3000",
    )
    variants = samples(
        conn,
        "SELECT company_id, id, price FROM (SELECT company_id, id, price, row_number() OVER "
        "(PARTITION BY company_id ORDER BY id) AS n FROM variant) v WHERE n <= 300",
    )
    owners = plan(company_ids)
    totals: dict[int, int] = {}
    for company in owners:
        totals[company] = totals.get(company, 0) + 1
    seen: dict[int, int] = {}
    first_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM customer_order").fetchone()[0]
    now = datetime.now(UTC).replace(microsecond=0)
    year = timedelta(days=365)
    started = time.monotonic()
    order_columns = (
        "id, company_id, number, customer_id, channel, status, version, table_label, takeaway, "
        "currency, lines_total, discount_total, total, tax_total, paid_total, search_text, "
        "created_at, updated_at"
    )
    line_columns = (
        "company_id, order_id, position, variant_id, description, quantity, unit_price, "
        "discount_percent, tax_rate, line_total, stock_state"
    )
    with (
        conn.cursor() as order_cursor,
        line_conn.cursor() as line_cursor,
        order_cursor.copy(f"COPY customer_order ({order_columns}) FROM STDIN") as orders,
        line_cursor.copy(f"COPY order_line ({line_columns}) FROM STDIN") as lines,
    ):
        for index, company in enumerate(owners):
            order_id = first_id + index
            number = seen[company] = seen.get(company, 0) + 1
            age = 1 - number / totals[company]  # 0 for the newest
            open_codes, closed_codes = flows[company]
            if age < OPEN_SHARE:
                status = rng.choice(open_codes)
                version = 1 + open_codes.index(status)
            else:
                status = closed_codes[0] if rng.random() < 0.85 else rng.choice(closed_codes)
                version = len(open_codes) + 1
            created = now - year * age - timedelta(minutes=rng.randrange(0, 30))
            customer = rng.choice(customers[company]) if rng.random() < 0.7 else None
            total = Decimal(0)
            for position in range(1, rng.choice(LINES) + 1):
                quantity = rng.choice((1, 1, 1, 2, 3))
                if company in variants and rng.random() < 0.5:
                    variant_id, price = rng.choice(variants[company])
                    description = f"Item {variant_id}"
                else:
                    variant_id, price = None, Decimal(rng.randrange(100, 5000)) / 100
                    description = rng.choice(DISHES)
                line_total = (Decimal(quantity) * price).quantize(CENT)
                total += line_total
                lines.write_row(
                    (company, order_id, position, variant_id, description, quantity, price, 0,
                     TAX, line_total, "none")
                )  # fmt: skip
            tax = (total - total / (1 + TAX / 100)).quantize(CENT)
            paid = total if status == closed_codes[0] else Decimal(0)
            table = str(rng.randrange(1, 30)) if customer is None and rng.random() < 0.5 else None
            # As the app's refresh_search_text on main: customer, table, bike (not the number).
            search = fold(" ".join(p for p in (customer and customer[1], table) if p))
            orders.write_row(
                (order_id, company, number, customer and customer[0], "counter", status, version,
                 table, False, "EUR", total, 0, total, tax, paid, search, created, created)
            )  # fmt: skip
            if (index + 1) % 100_000 == 0:
                rate = (index + 1) / (time.monotonic() - started)
                print(f"  orders: {index + 1:,} ({rate:,.0f}/s)", flush=True)
    conn.execute(
        "SELECT setval(pg_get_serial_sequence('customer_order', 'id'), "
        "(SELECT max(id) FROM customer_order))"
    )
    with conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO counter (company_id, name, value) VALUES (%s, 'order', %s) "
            "ON CONFLICT (company_id, name) DO UPDATE SET value = EXCLUDED.value",
            list(seen.items()),
        )


def secondary_indexes(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """(name, definition) of the order tables' indexes that back no constraint."""
    return list(
        conn.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename IN "
            "('customer_order', 'order_line') AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conname = i.indexname)"
        )
    )


def main() -> int:
    db_url = services.database_url()
    started = time.monotonic()
    with psycopg.connect(db_url) as conn:
        companies = list(
            conn.execute(
                "SELECT id, business_type FROM company WHERE slug LIKE 'bench-%%' ORDER BY id"
            )
        )
        if not companies:
            print("No benchmark companies: run `python -m bench.seed` first.")
            return 2
        if conn.execute("SELECT EXISTS (SELECT 1 FROM customer_order)").fetchone()[0]:
            print("Benchmark orders are already there (drop the database to seed again).")
            return 0
        seed_flows(conn, companies)
        indexes = secondary_indexes(conn)
        for name, _definition in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        conn.commit()
        try:
            with psycopg.connect(db_url) as line_conn:
                for c in (conn, line_conn):  # no FK triggers during COPY
                    c.execute("SET session_replication_role = replica")
                seed_orders(conn, line_conn, [company_id for company_id, _type in companies])
                line_conn.commit()
            conn.execute("SET session_replication_role = DEFAULT")
            conn.commit()
        finally:
            print("  building order indexes ...", flush=True)
            conn.rollback()
            conn.execute("SET maintenance_work_mem = '512MB'")
            for _name, definition in indexes:
                conn.execute(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
            conn.commit()
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE customer_order")
        conn.execute("VACUUM ANALYZE order_line")
    print(f"Seeded {ORDERS:,} orders in {time.monotonic() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
