"""The benchmark orders' status history and payments, so an order page shows what a real
one does: a status change for each step of its flow up to its status (from its creation),
and one payment for each paid order (the completed ones).

    python -m bench.seed_history     (`make bench-data` runs it after bench.seed_orders)

Reads the orders through a server-side cursor and COPYs the rows on two more connections
with foreign-key triggers off (the rows are consistent by construction); skipped when the
history is already there, so a database seeded before this step gets it on its own.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import timedelta

import psycopg

from bench import services
from bench.seed_orders import flow_statuses

METHODS = ("card", "card", "cash", "transfer", "online")
STEP = timedelta(minutes=7)


def seed(db_url: str) -> int:
    """COPY the history and the payments of every order; returns the orders done."""
    rng = random.Random(17)
    done = 0
    with (
        psycopg.connect(db_url) as read_conn,
        psycopg.connect(db_url) as history_conn,
        psycopg.connect(db_url) as payment_conn,
    ):
        flows = flow_statuses(read_conn)
        for conn in (history_conn, payment_conn):
            conn.execute("SET session_replication_role = replica")
        with (
            read_conn.cursor(name="bench_orders") as source,
            history_conn.cursor() as history_cursor,
            payment_conn.cursor() as payment_cursor,
            history_cursor.copy(
                "COPY status_change (company_id, entity_type, entity_id, from_code, to_code, "
                "created_at) FROM STDIN"
            ) as history,
            payment_cursor.copy(
                "COPY payment (company_id, order_id, kind, method, amount, change_given, "
                "refunded_total, created_at) FROM STDIN"
            ) as payments,
        ):
            source.itersize = 20_000
            source.execute(
                "SELECT id, company_id, status, created_at, paid_total FROM customer_order"
            )
            started = time.monotonic()
            for order_id, company, status, created, paid in source:
                open_codes, _closed = flows[company]
                if status in open_codes:
                    path = open_codes[: open_codes.index(status) + 1]
                else:  # closed: through every open status, then completed or cancelled
                    path = [*open_codes, status]
                previous = None
                for step, code in enumerate(path):
                    history.write_row(
                        (company, "order", order_id, previous, code, created + STEP * step)
                    )
                    previous = code
                if paid > 0:
                    payments.write_row(
                        (company, order_id, "payment", rng.choice(METHODS), paid, 0, 0,
                         created + STEP * len(path))
                    )  # fmt: skip
                done += 1
                if done % 200_000 == 0:
                    rate = done / (time.monotonic() - started)
                    print(f"  history and payments: {done:,} orders ({rate:,.0f}/s)", flush=True)
        for conn in (history_conn, payment_conn):
            conn.execute("SET session_replication_role = DEFAULT")
            conn.commit()
    return done


def main() -> int:
    db_url = services.database_url()
    started = time.monotonic()
    with psycopg.connect(db_url) as conn:
        if not conn.execute("SELECT EXISTS (SELECT 1 FROM customer_order)").fetchone()[0]:
            print("No benchmark orders: run `python -m bench.seed_orders` first.")
            return 2
        # (the bench's move scenario leaves history of its own orders: ask the first one)
        if conn.execute(
            "SELECT EXISTS (SELECT 1 FROM status_change WHERE entity_type = 'order' AND "
            "entity_id = (SELECT min(id) FROM customer_order))"
        ).fetchone()[0]:
            print("The orders' history is already there (drop the database to seed again).")
            return 0
    done = seed(db_url)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE status_change")
        conn.execute("VACUUM ANALYZE payment")
    print(
        f"Seeded the history and payments of {done:,} orders in {time.monotonic() - started:.0f} s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
