"""Demo data: two companies and their people. Idempotent: running it twice changes nothing.

Every module adds its demo records through a `seed_demo(company, users)` step here.
"""

from __future__ import annotations

from sqlalchemy import select

from bizkit.auth import operations as auth_ops
from bizkit.auth.models import Membership, User
from bizkit.core.models import Company
from bizkit.core.tenancy import company_scope
from bizkit.customers.demo import seed_demo as seed_customers
from bizkit.extensions import db
from bizkit.inventory.demo import seed_demo as seed_inventory
from bizkit.orders.demo import seed_demo as seed_orders
from bizkit.settings.operations import create_company

DEMO_PASSWORD = "demo-password"  # noqa: S105 (published demo logins)

COMPANIES = [
    {
        "name": "Trattoria Demo",
        "slug": "trattoria-demo",
        "business_type": "restaurant",
        "locale": "en",
        "currency": "EUR",
        "timezone": "Europe/Rome",
        "vat_id": "IT00743110157",
        "street": "Via dei Mille 12",
        "city": "Roma",
        "postal_code": "00185",
        "country": "IT",
        "iban": "IT60X0542811101000000123456",
    },
    {
        "name": "Spoke & Chain Bikes",
        "slug": "spoke-chain-bikes",
        "business_type": "bike_shop",
        "locale": "cs",
        "currency": "CZK",
        "timezone": "Europe/Prague",
        "vat_id": "CZ25596641",
        "street": "Cyklistická 7",
        "city": "Praha",
        "postal_code": "110 00",
        "country": "CZ",
        "iban": "CZ6508000000192000145399",
    },
]

USERS = [
    ("owner@trattoria.demo", "Giulia Rossi", [("trattoria-demo", "owner")]),
    ("staff@trattoria.demo", "Marco Bianchi", [("trattoria-demo", "staff")]),
    ("kitchen@trattoria.demo", "Luca Ferrari", [("trattoria-demo", "kitchen")]),
    ("owner@spoke.demo", "Jan Dvořák", [("spoke-chain-bikes", "owner")]),
    (
        "books@demo.test",
        "Eva Nováková",
        [("trattoria-demo", "accountant"), ("spoke-chain-bikes", "accountant")],
    ),
]

DEMO_LOGINS = [email for email, _name, _roles in USERS]


def _company(spec: dict) -> Company:
    existing = db.session.execute(select(Company).where(Company.slug == spec["slug"])).scalar()
    if existing is not None:
        return existing
    fields = {k: v for k, v in spec.items() if k not in ("name", "slug")}
    return create_company(None, spec["name"], spec["slug"], **fields)


def load_demo() -> str:
    companies = {spec["slug"]: _company(spec) for spec in COMPANIES}
    for email, name, roles in USERS:
        user = auth_ops.find_user_by_email(email)
        if user is None:
            user, _password = auth_ops.create_user(email, name, DEMO_PASSWORD)
        for slug, role in roles:
            company = companies[slug]
            with company_scope(company.id):
                has = db.session.execute(
                    select(Membership.id).where(Membership.user_id == user.id)
                ).first()
                if not has:
                    auth_ops.add_member(None, user, role)
    for company in companies.values():
        with company_scope(company.id):
            seed_customers(company)
            seed_inventory(company, company.business_type)
            seed_orders(company)
    db.session.flush()
    users = db.session.execute(select(User).order_by(User.id)).scalars().all()
    return f"Demo ready: {len(companies)} companies, {len(users)} users (password {DEMO_PASSWORD})."


def database_is_empty() -> bool:
    return db.session.execute(select(Company.id).limit(1)).first() is None
