"""Which statements PostgreSQL may plan once (bizkit.core.plans): read off the connection's
own list of prepared statements after the pages ran more often than psycopg's threshold."""

from sqlalchemy import text

RUNS = 8  # psycopg prepares a statement at its 5th run on a connection


def prepared_statements(rollback_db) -> list[str]:
    """The statements prepared on the connection the test's requests share."""
    rows = rollback_db.execute(text("SELECT statement FROM pg_prepared_statements"))
    return [" ".join(statement.split()) for (statement,) in rows]


def test_an_order_page_is_planned_once_and_a_search_every_time(
    app, auth, company, make_order, rollback_db, monkeypatch
):
    monkeypatch.setitem(app.config, "BIZKIT_FRAGMENT_CACHE", False)  # each page reads
    order_id = make_order(company, ("Bread", "2", "1.50"))
    for _ in range(RUNS):
        assert auth.get(f"/orders/{order_id}").status_code == 200
        assert auth.get("/orders/?q=bread").status_code == 200
    prepared = prepared_statements(rollback_db)

    # The order by its key, its lines by their order, its history: plans that cannot
    # depend on how many orders the company has.
    assert any(
        s.startswith("SELECT customer_order.id") and "WHERE customer_order.id =" in s
        for s in prepared
    )
    assert any(s.startswith("SELECT order_line.order_id") for s in prepared)
    assert any("FROM status_change" in s for s in prepared)
    # A search is planned for its pattern and company each time: never prepared.
    assert not any("LIKE" in s for s in prepared)
    assert not any("ORDER BY customer_order.created_at DESC" in s for s in prepared)


def test_results_streamed_from_a_server_side_cursor_still_arrive(app, company, rollback_db):
    """A server-side cursor (stream_results, yield_per) is left to psycopg: its execute
    takes no `prepare`."""
    from sqlalchemy import select

    from bizkit.core.models import Company
    from bizkit.extensions import db

    with app.app_context():
        streamed = db.session.execute(
            select(Company.name).where(Company.id == company.id).execution_options(yield_per=10)
        ).scalars()
        assert list(streamed) == ["Acme Bistro"]


def _prepared_after_runs(flask_app) -> int:
    """How many statements one connection of `flask_app` prepared after running a
    plan-stable statement more often than psycopg's threshold."""
    from sqlalchemy import select

    from bizkit.core.models import Company
    from bizkit.core.plans import PLAN_STABLE
    from bizkit.extensions import db

    by_key = select(Company.name).where(Company.id == 1).execution_options(**{PLAN_STABLE: True})
    with flask_app.app_context(), db.engine.connect() as connection:
        for _ in range(RUNS):
            connection.execute(by_key)
        return connection.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()


def test_with_prepared_statements_off_nothing_is_prepared(app, database_url, services, monkeypatch):
    """BIZKIT_DB_PREPARED_STATEMENTS=0, for a pooler that cannot keep prepared
    statements: even a plan-stable statement run many times stays unprepared."""
    from bizkit import create_app
    from bizkit.extensions import db
    from tests.conftest import app_config

    assert _prepared_after_runs(app) >= 1  # by default psycopg prepares it

    monkeypatch.setenv("BIZKIT_DB_PREPARED_STATEMENTS", "0")
    unprepared = create_app(app_config(database_url, services["redis_url"]))
    try:
        assert _prepared_after_runs(unprepared) == 0
    finally:
        with unprepared.app_context():
            db.engine.dispose()
