"""The database itself refuses a row that points at another company's row: every
foreign key between two tenant tables has a twin on (company_id, key) (migration 0013,
bizkit/core/tenant_keys.py)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bizkit.core.session import TenantMixin
from bizkit.core.tenant_keys import twin_name
from bizkit.customers.models import Customer, CustomerGroup
from bizkit.extensions import db
from tests.conftest import company_ctx

TWIN = re.compile(
    r"FOREIGN KEY \(company_id, (\w+)\) REFERENCES (\w+)\(company_id, id\)(?: ON DELETE (.+))?"
)


def test_every_foreign_key_between_tenant_tables_has_its_twin_with_its_action(app):
    """The twin must do what its key does on delete: PostgreSQL runs the two keys'
    triggers in the order of their internal names, and a twin that only checked could run
    before its key's CASCADE or SET NULL and refuse the delete."""
    tenant_tables = {
        mapper.local_table.name
        for mapper in db.Model.registry.mappers
        if issubclass(mapper.class_, TenantMixin)
    }
    expected = set()
    for table in db.metadata.tables.values():
        if table.name not in tenant_tables:
            continue
        for key in table.foreign_key_constraints:
            if "company_id" in key.columns:
                continue  # already within the company (the workflow's keys)
            if key.referred_table.name in tenant_tables:
                (column,) = key.columns
                action = key.ondelete
                if action == "SET NULL":
                    action = f"SET NULL ({column.name})"  # never company_id
                expected.add((table.name, column.name, key.referred_table.name, action))
    assert len(expected) >= 26
    with app.app_context(), db.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid)"
                " FROM pg_constraint WHERE contype = 'f' AND conname LIKE 'fkt\\_%'"
            )
        ).all()
    found = set()
    for name, table, definition in rows:
        column, parent, action = TWIN.fullmatch(definition).groups()
        assert name == twin_name(table, column)
        found.add((table, column, parent, action))
    assert found == expected


def test_the_database_refuses_a_link_to_another_companys_row(app, make_company):
    ours, theirs = make_company("Ours"), make_company("Theirs")
    with company_ctx(app, theirs.id) as session:
        group = CustomerGroup(name="Wholesale")
        session.add(group)
        session.flush()
        group_id = group.id

    refused = pytest.raises(IntegrityError, match="fkt_customer_group_id")
    with refused, company_ctx(app, ours.id) as session:
        session.add(Customer(name="Jana Nováková", group_id=group_id))
        session.flush()

    with company_ctx(app, theirs.id) as session:  # within the group's own company: fine
        customer = Customer(name="Jana Nováková", group_id=group_id)
        session.add(customer)
        session.flush()
        assert customer.group.name == "Wholesale"


def test_deletes_that_cascade_or_clear_a_key_still_work(app, make_company):
    company = make_company("Ours")
    with company_ctx(app, company.id) as session:
        group = CustomerGroup(name="Wholesale")
        session.add(group)
        session.flush()
        customer = Customer(name="Jana Nováková", group_id=group.id)
        session.add(customer)
        session.flush()
        session.delete(group)  # ON DELETE SET NULL (group_id): company_id stays
        session.flush()
        session.expire(customer)
        assert customer.group_id is None and customer.company_id == company.id
