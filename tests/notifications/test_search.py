"""The message log's search folds accents and case as every list does, by an index."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bizkit.customers.models import Customer
from bizkit.extensions import db
from bizkit.notifications import operations as ops
from tests.conftest import company_ctx, count_queries, text_of

ORDER = {"order_number": 5, "total": "10.00", "currency": "EUR", "status": "READY"}


@pytest.fixture
def messages(app, company, make_customer):
    for name, email in (
        ("Stanisław Żółkiewski", "hetman@example.pl"),
        ("Jana Nováková", "jana@example.com"),
    ):
        customer_id = make_customer(name, email=email)
        with company_ctx(app, company.id):
            ops.notify_customer(None, db.session.get(Customer, customer_id), "order_ready", ORDER)


@pytest.mark.parametrize("query", ["zolkiewski", "ŻÓŁKIEWSKI", "stanislaw zolk", "HETMAN@"])
def test_the_search_ignores_accents_and_case(auth, messages, query):
    found = text_of(auth.get("/notifications/", query_string={"q": query}))
    assert "hetman@example.pl" in found and "jana@example.com" not in found


def test_the_search_finds_the_name_with_accents_typed_too(auth, messages):
    found = text_of(auth.get("/notifications/", query_string={"q": "nováková"}))
    assert "jana@example.com" in found and "hetman@example.pl" not in found
    assert "No messages match." in text_of(auth.get("/notifications/?q=100%25"))


def test_the_search_costs_no_more_queries_than_the_list(app, auth, messages):
    assert count_queries(app, auth, "/notifications/?q=zolkiewski") == count_queries(
        app, auth, "/notifications/"
    )


def test_the_search_can_use_its_index(app, company, messages):
    from bizkit.notifications.models import SEARCH_EXPRESSION

    # A constant expression; the term is bound.
    explain = f"EXPLAIN SELECT id FROM notification WHERE {SEARCH_EXPRESSION} LIKE "  # noqa: S608
    explain += "concat('%', bizkit_fold(:term), '%')"
    with company_ctx(app, company.id):
        # A handful of rows: any plan is cheap; take away the others to see this one.
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        db.session.execute(text("SET LOCAL enable_indexscan = off"))
        plan = "\n".join(r[0] for r in db.session.execute(text(explain), {"term": "zolkiewski"}))
    assert "ix_notification_company_search" in plan
