"""The messages the benchmark orders' customers were sent, so the order page's messages
panel shows what a real one does: one sent e-mail for each status change whose
transition in the company's flow notifies the customer (a bike shop's quote sent and
bike ready, a restaurant's order ready, ...), to customers with an e-mail address.

    python -m bench.seed_messages     (`make bench-data` runs it after bench.seed_history)

One INSERT ... SELECT over the history (`bench/seed_history.py`); skipped when the
orders' messages are already there.
"""

from __future__ import annotations

import sys
import time

import psycopg

from bench import services

# The event each notifying status sends (bizkit.notifications.hooks.ORDER_EVENTS).
EVENT = """CASE sc.to_code WHEN 'CONFIRMED' THEN 'order_confirmed'
    WHEN 'READY' THEN 'order_ready' WHEN 'QUOTE_SENT' THEN 'quote_sent'
    WHEN 'READY_FOR_PICKUP' THEN 'ready_for_pickup' WHEN 'SHIPPED' THEN 'order_shipped'
    ELSE 'order_status' END"""

INSERT = f"""
INSERT INTO notification (company_id, event, channel, locale, recipient, recipient_name,
    customer_id, entity_type, entity_id, context, attachments, status, due_at, attempts,
    max_attempts, sent_at, subject, created_at, updated_at)
SELECT sc.company_id, {EVENT}, 'email', coalesce(c.locale, co.locale), c.email, c.name,
    c.id, 'order', o.id,
    jsonb_build_object('order_number', o.number, 'total', o.total::text,
                       'currency', o.currency, 'status', sc.to_code),
    '[]'::jsonb, 'sent', sc.created_at, 1, 5, sc.created_at + interval '3 seconds',
    'Order ' || o.number, sc.created_at, sc.created_at + interval '3 seconds'
FROM status_change sc
JOIN workflow_transition t
  ON t.company_id = sc.company_id AND t.entity_type = 'order'
 AND t.from_code = sc.from_code AND t.to_code = sc.to_code
 AND 'notify_customer' = ANY (t.side_effects)
JOIN customer_order o ON o.company_id = sc.company_id AND o.id = sc.entity_id
JOIN customer c ON c.company_id = o.company_id AND c.id = o.customer_id
JOIN company co ON co.id = sc.company_id
WHERE sc.entity_type = 'order' AND c.email IS NOT NULL
ORDER BY sc.id
"""


def main() -> int:
    db_url = services.database_url()
    started = time.monotonic()
    with psycopg.connect(db_url) as conn:
        if not conn.execute(
            "SELECT EXISTS (SELECT 1 FROM status_change WHERE entity_type = 'order')"
        ).fetchone()[0]:
            print("No order history: run `python -m bench.seed_history` first.")
            return 2
        if conn.execute(
            "SELECT EXISTS (SELECT 1 FROM notification WHERE entity_type = 'order')"
        ).fetchone()[0]:
            print("The orders' messages are already there (drop the database to seed again).")
            return 0
        # Consistent by construction (same company on every join): no foreign-key triggers.
        conn.execute("SET session_replication_role = replica")
        count = conn.execute(INSERT).rowcount
        conn.execute("SET session_replication_role = DEFAULT")
        conn.commit()
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE notification")
    print(f"Seeded {count:,} messages of the orders in {time.monotonic() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
