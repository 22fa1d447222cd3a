"""Pages that only read run their statements without BEGIN / COMMIT (bizkit.core.reads),
and a view marked so cannot write."""

import secrets

import pytest
from sqlalchemy import create_engine, event, func, select, text, update

from bizkit.config import sqlalchemy_url
from bizkit.core.reads import WriteInReadOnlyView, reads_only
from bizkit.core.tenancy import company_scope
from bizkit.customers.models import Customer
from bizkit.extensions import db
from tests.conftest import BrowserlikeClient, UserRef


@pytest.fixture
def committed_owner(app, database_url):
    """A company, its owner and a customer, committed for real (no rolled-back
    transaction around the requests, as in production)."""
    from bizkit.auth import operations as auth_ops
    from bizkit.core.models import Company
    from bizkit.customers import operations as customers
    from bizkit.settings.operations import create_company

    email, password = f"reader-{secrets.token_hex(4)}@example.com", "correct horse battery"
    with app.app_context():
        company = create_company(None, f"Reads {secrets.token_hex(3)}", business_type="generic")
        with company_scope(company.id):
            user, _ = auth_ops.create_user(email, "Reader", password)
            auth_ops.add_member(None, user, "owner")
            customers.create_customer(
                None, db.session.get(Company, company.id), {"name": "Antonín Dvořák"}
            )
        ids = company.id, user.id
        db.session.commit()
        db.session.remove()
    yield ids, UserRef(ids[1], email, password)
    engine = create_engine(sqlalchemy_url(database_url))
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM company WHERE id = :id"), {"id": ids[0]})
        conn.execute(text("DELETE FROM user_account WHERE id = :id"), {"id": ids[1]})
    engine.dispose()


def _record_statements(app, seen):
    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement.split()[0].upper(), conn.connection.dbapi_connection.autocommit))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    return lambda: event.remove(engine, "before_cursor_execute", record)


def test_a_list_page_reads_without_a_transaction_and_a_write_still_has_one(
    app, committed_owner, monkeypatch
):
    (company_id, _user_id), owner = committed_owner
    monkeypatch.setitem(app.config, "BIZKIT_FRAGMENT_CACHE", False)  # the rows are read
    client = BrowserlikeClient(app, app.test_client())
    client.login(owner)
    client.get("/customers/")  # the signed-in user is kept by the process from now on

    seen = []
    stop = _record_statements(app, seen)
    try:
        page = client.get("/customers/")
        assert page.status_code == 200
        assert "Antonín Dvořák" in page.get_data(as_text=True)
        reads = list(seen)
        seen.clear()
        created = client.post("/customers/new", {"name": "Bedřich Smetana"})
        assert created.status_code == 302
        writes = list(seen)
    finally:
        stop()

    assert reads and all(kind == "SELECT" for kind, _ in reads)
    assert all(autocommit for _, autocommit in reads), reads
    # The connection went back to the pool in its usual mode: the write, maybe on the
    # same connection, runs in a transaction (INSERT and audit row commit together).
    assert any(kind == "INSERT" for kind, _ in writes)
    assert not any(autocommit for _, autocommit in writes), writes
    with app.app_context(), company_scope(company_id):
        names = set(db.session.execute(select(Customer.name)).scalars())
    assert names == {"Antonín Dvořák", "Bedřich Smetana"}


def test_a_reads_only_view_cannot_write(app, committed_owner):
    (company_id, _user_id), _owner = committed_owner

    @reads_only
    def adds_a_row():
        db.session.add(Customer(name="Should not exist"))
        db.session.flush()

    @reads_only
    def updates_rows():
        db.session.execute(update(Customer).values(name="Renamed"))

    for view in (adds_a_row, updates_rows):
        with app.test_request_context("/"), company_scope(company_id):
            with pytest.raises(WriteInReadOnlyView):
                view()
            db.session.rollback()
        with app.app_context(), company_scope(company_id):
            names = list(db.session.execute(select(Customer.name)).scalars())
            assert names == ["Antonín Dvořák"]
            assert db.session.execute(select(func.count(Customer.id))).scalar() == 1


def test_a_page_answered_from_kept_content_takes_no_connection(app, committed_owner):
    _ids, owner = committed_owner
    client = BrowserlikeClient(app, app.test_client())
    client.login(owner)
    client.get("/customers/")  # the user and the list's content are kept from now on
    with app.app_context():
        pool = db.engine.pool
    checkouts = []

    def checked_out(dbapi_connection, record, proxy):
        checkouts.append(record)

    seen = []
    stop = _record_statements(app, seen)
    event.listen(pool, "checkout", checked_out)
    try:
        page = client.get("/customers/")
    finally:
        event.remove(pool, "checkout", checked_out)
        stop()
    assert "Antonín Dvořák" in page.get_data(as_text=True)
    assert seen == [] and checkouts == []
