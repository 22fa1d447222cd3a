"""Fill the benchmark database: 100 companies, 1,000,000 customers (a third in one large
company), and the catalog variants when the inventory module is present. Uses COPY.

    python -m bench.seed            (what `make bench-data` runs)
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
import unicodedata

import psycopg

from bench import services

COMPANIES = 100
CUSTOMERS = 1_000_000
LARGE_SHARE = 1 / 3
BENCH_LOGIN = "bench@bench.test"
BENCH_PASSWORD = "bench-password"

FIRST = [
    "Antonín",
    "Božena",
    "Jiří",
    "Zuzana",
    "Ľubomír",
    "Małgorzata",
    "Łukasz",
    "João",
    "Ana",
    "José",
    "María",
    "Giulia",
    "Niccolò",
    "Chloë",
    "Søren",
    "Jan",
    "Eva",
    "Petr",
    "Lucía",
    "Tomáš",
    "Kateřina",
    "Paweł",
    "Agnieszka",
    "Conceição",
    "Iñaki",
    "Renée",
    "Zoë",
    "Jürgen",
    "Ondřej",
    "Šárka",
    "Žofie",
    "Miloš",
    "Helena",
    "Pedro",
    "Camila",
]
LAST = [
    "Dvořák",
    "Němcová",
    "Šťastný",
    "Kováčová",
    "Hrušovský",
    "Wójcik",
    "Żółkiewski",
    "Araújo",
    "Muñoz",
    "Peña",
    "Ferraro",
    "Bèrgamo",
    "O'Brien",
    "Kierkegård",
    "Novák",
    "Svobodová",
    "Procházka",
    "Černý",
    "García",
    "Fernández",
    "Kowalski",
    "Nowak",
    "Silva",
    "Santos",
    "Rossi",
    "Müller",
    "Schröder",
    "Horváth",
    "Veselý",
    "Krejčí",
]
CITIES = [
    ("Praha", "CZ", "+420"),
    ("Brno", "CZ", "+420"),
    ("Bratislava", "SK", "+421"),
    ("Kraków", "PL", "+48"),
    ("São Paulo", "BR", "+55"),
    ("Sevilla", "ES", "+34"),
    ("Roma", "IT", "+39"),
    ("Dublin", "IE", "+353"),
]
TAGS = ["{}", "{}", "{}", "{vip}", "{regular}", "{b2b}", "{newsletter}"]


def ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch == ".")


def migrate(env: dict) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], env=env, check=True
    )


def seed_companies(conn: psycopg.Connection) -> list[int]:
    conn.execute(
        "INSERT INTO company (name, slug, business_type, locale, timezone, currency) "
        "SELECT 'Bench company ' || n, 'bench-' || n, "
        "(ARRAY['restaurant','bike_shop','clinic','pet_store','events','generic'])"
        "[1 + n %% 6], 'en', 'Europe/Prague', 'EUR' FROM generate_series(1, %s) n",
        (COMPANIES,),
    )
    return [
        row[0]
        for row in conn.execute("SELECT id FROM company WHERE slug LIKE 'bench-%%' ORDER BY id")
    ]


def seed_login(conn: psycopg.Connection, large_company: int) -> None:
    from werkzeug.security import generate_password_hash

    user_id = conn.execute(
        "INSERT INTO user_account (email, password_hash, name, active, must_change_password) "
        "VALUES (%s, %s, 'Bench Owner', true, false) RETURNING id",
        (BENCH_LOGIN, generate_password_hash(BENCH_PASSWORD, method="scrypt")),
    ).fetchone()[0]
    conn.execute(
        "INSERT INTO membership (company_id, user_id, role, active) VALUES (%s, %s, 'owner', true)",
        (large_company, user_id),
    )


def customer_rows(company_ids: list[int], rng: random.Random):
    large = company_ids[0]
    large_count = int(CUSTOMERS * LARGE_SHARE)
    others = company_ids[1:]
    for n in range(CUSTOMERS):
        company = large if n < large_count else others[n % len(others)]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, country, prefix = rng.choice(CITIES)
        name = f"{first} {last}"
        email = f"{ascii_slug(first)}.{ascii_slug(last)}.{n}@example.com"
        phone = f"{prefix}{rng.randrange(600_000_000, 799_999_999)}"
        created = f"2025-{1 + n % 12:02d}-{1 + n % 28:02d} 10:{n % 60:02d}:00+00"
        yield (
            company,
            "person",
            name,
            email,
            phone,
            city,
            country,
            rng.choice(TAGS),
            n % 3 == 0,
            "0",
            created,
            created,
        )


def seed_customers(conn: psycopg.Connection, company_ids: list[int]) -> None:
    heavy = {
        "ix_customer_company_search": (
            "CREATE INDEX ix_customer_company_search ON customer "
            "USING gin (company_id, search_text gin_trgm_ops)"
        ),
        "ix_customer_company_tags": (
            "CREATE INDEX ix_customer_company_tags ON customer USING gin (company_id, tags)"
        ),
    }
    for name in heavy:
        conn.execute(f"DROP INDEX IF EXISTS {name}")
    rng = random.Random(42)
    columns = (
        "company_id, kind, name, email, phone, billing_city, billing_country, tags, "
        "marketing_consent, store_credit_balance, created_at, updated_at"
    )
    started = time.monotonic()
    with conn.cursor() as cursor, cursor.copy(f"COPY customer ({columns}) FROM STDIN") as copy:
        for index, row in enumerate(customer_rows(company_ids, rng), start=1):
            copy.write_row(row)
            if index % 100_000 == 0:
                rate = index / (time.monotonic() - started)
                print(f"  customers: {index:,} ({rate:,.0f}/s)", flush=True)
    print("  building search indexes ...", flush=True)
    conn.execute("SET maintenance_work_mem = '512MB'")
    for sql in heavy.values():
        conn.execute(sql)


def main() -> int:
    db_url = services.database_url()
    redis, redis_server = services.redis_url()
    env = services.app_env(db_url, redis)
    try:
        with psycopg.connect(db_url, autocommit=True) as conn:
            already = conn.execute("SELECT to_regclass('public.company') IS NOT NULL").fetchone()[0]
            if (
                already
                and conn.execute(
                    "SELECT count(*) FROM company WHERE slug LIKE 'bench-%%'"
                ).fetchone()[0]
            ):
                # The data stays; the schema follows the code (new migrations apply to it).
                migrate(env)
                conn.execute("VACUUM ANALYZE")
                print("Benchmark data is already there (drop the database to seed again).")
                return 0
        migrate(env)
        started = time.monotonic()
        with psycopg.connect(db_url) as conn:
            company_ids = seed_companies(conn)
            seed_login(conn, company_ids[0])
            seed_customers(conn, company_ids)
            try:
                from bench.seed_inventory import seed_inventory
            except ImportError:
                seed_inventory = None
            if seed_inventory is not None:
                seed_inventory(conn, company_ids)
            conn.commit()
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        print(
            f"Seeded in {time.monotonic() - started:.0f} s: {COMPANIES} companies, "
            f"{CUSTOMERS:,} customers. Login {BENCH_LOGIN} / {BENCH_PASSWORD}."
        )
    finally:
        if redis_server is not None:
            redis_server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
