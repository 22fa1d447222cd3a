"""Demo customers: realistic names with accents, several languages, tags, groups, credit."""

from __future__ import annotations

from sqlalchemy import select

from bizkit.core.models import Company
from bizkit.customers import operations as ops
from bizkit.customers.models import Customer
from bizkit.extensions import db

PEOPLE = [
    # name, e-mail, phone, locale, city, country, tags
    (
        "Antonín Dvořák",
        "antonin.dvorak@example.cz",
        "+420 777 123 456",
        "cs",
        "Praha",
        "CZ",
        "vip, opera",
    ),
    ("Božena Němcová", "bozena@example.cz", "+420 603 222 111", "cs", "Praha", "CZ", "regular"),
    ("Jiří Šťastný", "jiri.stastny@example.cz", "+420 731 444 555", "cs", "Brno", "CZ", ""),
    (
        "Zuzana Kováčová",
        "zuzana.kovacova@example.sk",
        "+421 905 123 456",
        "sk",
        "Bratislava",
        "SK",
        "regular",
    ),
    ("Ľubomír Hrušovský", "lubo@example.sk", "+421 911 222 333", "sk", "Košice", "SK", ""),
    ("Małgorzata Wójcik", "malgorzata@example.pl", "+48 601 234 567", "pl", "Kraków", "PL", "vip"),
    ("Łukasz Żółkiewski", "lukasz@example.pl", "+48 512 345 678", "pl", "Gdańsk", "PL", ""),
    (
        "João Conceição",
        "joao@example.com.br",
        "+55 11 91234 5678",
        "pt_BR",
        "São Paulo",
        "BR",
        "regular",
    ),
    (
        "Ana Luísa Araújo",
        "ana.araujo@example.com.br",
        "+55 21 99876 5432",
        "pt_BR",
        "Rio de Janeiro",
        "BR",
        "",
    ),
    ("José Ángel Muñoz", "jose.munoz@example.es", "+34 600 123 456", "es", "Sevilla", "ES", "vip"),
    (
        "María Peña Íñiguez",
        "maria.pena@example.es",
        "+34 611 222 333",
        "es",
        "Madrid",
        "ES",
        "regular",
    ),
    ("Giulia Ferraro", "giulia@example.it", "+39 347 123 4567", "en", "Roma", "IT", "regular"),
    ("Niccolò Bèrgamo", "niccolo@example.it", "+39 333 765 4321", "en", "Milano", "IT", ""),
    ("Chloë O'Brien", "chloe@example.ie", "+353 85 123 4567", "en", "Dublin", "IE", "newsletter"),
    ("Søren Kierkegård", "soren@example.dk", "+45 20 12 34 56", "en", "København", "DK", ""),
]

COMPANIES = [
    ("Café Slavia s.r.o.", "objednavky@slavia.example.cz", "CZ25596641", "Praha", "CZ"),
    ("Horská chata Ještěd", "info@jested.example.cz", None, "Liberec", "CZ"),
]


def seed_demo(company: Company) -> None:
    """Idempotent: customers are matched by e-mail."""
    existing = set(db.session.execute(select(Customer.email)).scalars())
    groups = {g.name: g for g in ops.groups()}
    for name in ("Regulars", "Wholesale"):
        if name not in groups:
            groups[name] = ops.create_group(None, name)
    for name, email, phone, locale, city, country, tags in PEOPLE:
        if email in existing:
            continue
        customer = ops.create_customer(
            None,
            company,
            {
                "name": name,
                "email": email,
                "phone": phone,
                "locale": locale,
                "billing_city": city,
                "billing_country": country,
                "tags": tags,
                "group_id": groups["Regulars"].id if "regular" in tags else None,
                "marketing_consent": "newsletter" in tags or "vip" in tags,
                "consent_source": "in_store",
            },
        )
        if "vip" in tags:
            ops.move_store_credit(None, customer, "grant", "20.00", "Welcome credit")
    for name, email, vat_id, city, country in COMPANIES:
        if email in existing:
            continue
        ops.create_customer(
            None,
            company,
            {
                "kind": "company",
                "name": name,
                "company_name": name,
                "email": email,
                "vat_id": vat_id,
                "billing_city": city,
                "billing_country": country,
                "group_id": groups["Wholesale"].id,
                "tags": "b2b",
            },
        )
    db.session.flush()
