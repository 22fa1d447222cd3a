"""Who is signed in is kept per process (bizkit.auth.identity) and never outlives a change.

"Another process" is played by putting back, after a change, what this process kept
before it: a second gunicorn worker still holds exactly that, and only the generation
in Redis tells it the entry is old.
"""

import socket

from redis import Redis
from sqlalchemy import select, text, update

from bizkit.auth import identity
from bizkit.auth.models import Membership, User
from bizkit.core import tenancy
from bizkit.core.models import Company
from bizkit.extensions import db
from bizkit.workflow.models import WorkflowStatus
from tests.conftest import company_ctx, recording_statements, text_of


def get_with_statements(app, client, url):
    """The response to `url` and the SQL statements the request sent."""
    with recording_statements(app) as statements:
        response = client.get(url)
    return response, statements


def reads_user(statements) -> bool:
    return any("FROM user_account" in statement for statement in statements)


def kept_by_another_process(app, client, url="/dashboard") -> dict:
    """Open a page (so this process keeps the user) and copy what it keeps."""
    assert client.get(url).status_code == 200
    kept = dict(identity._entries)
    assert kept, "the page kept nothing"
    return kept


def test_the_next_page_reads_no_user_row_and_still_shows_who_is_signed_in(app, auth):
    first, statements = get_with_statements(app, auth, "/dashboard")
    assert first.status_code == 200 and reads_user(statements)  # the login changed the user

    again, statements = get_with_statements(app, auth, "/dashboard")
    assert again.status_code == 200
    assert not reads_user(statements)
    assert not any("FROM membership" in statement for statement in statements)
    page = text_of(again)
    assert "Test User" in page and "Acme Bistro" in page


def test_a_company_renamed_in_another_process_shows_on_the_next_page(app, company, auth):
    kept = kept_by_another_process(app, auth)
    with company_ctx(app, company.id):
        db.session.get(Company, company.id).name = "Acme Trattoria"
    identity._entries.update(kept)

    page = text_of(auth.get("/dashboard"))
    assert "Acme Trattoria" in page and "Acme Bistro" not in page


def test_a_role_lowered_in_another_process_holds_on_the_next_request(
    app, company, make_user, client
):
    admin = make_user(company, "admin")
    client.login(admin)
    kept = kept_by_another_process(app, client, "/settings/users")
    with company_ctx(app, company.id):
        db.session.get(Membership, admin.membership_id).role = "staff"
    identity._entries.update(kept)

    assert client.get("/settings/users").status_code == 403


def test_a_user_deactivated_in_another_process_is_signed_out(app, company, auth, owner):
    kept = kept_by_another_process(app, auth)
    with company_ctx(app, company.id):
        db.session.execute(
            update(User).where(User.id == owner.id).values(active=False)
        )  # an ORM bulk UPDATE, not a flush of a loaded user
    identity._entries.update(kept)

    response = auth.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_workflow_edit_reaches_the_company_another_process_keeps(app, company, auth):
    """The flow edit bumps the company's workflow_revision with a Core UPDATE; the board of
    another process must not go on with the flow it cached under the old revision."""
    kept = kept_by_another_process(app, auth, "/orders/board")
    with company_ctx(app, company.id):
        status = db.session.execute(
            select(WorkflowStatus).where(
                WorkflowStatus.entity_type == "order", WorkflowStatus.code == "PREPARING"
            )
        ).scalar_one()
        status.label = "On the stove"
    identity._entries.update(kept)

    assert "On the stove" in text_of(auth.get("/orders/board"))


def test_a_change_made_with_sql_by_hand_shows_within_max_age(app, company, auth, monkeypatch):
    kept_by_another_process(app, auth)
    with company_ctx(app, company.id):
        db.session.execute(
            text("UPDATE company SET name = 'Renamed by hand' WHERE id = :id"), {"id": company.id}
        )
    # Nothing told the processes: what they keep is used until it is MAX_AGE old ...
    assert "Renamed by hand" not in text_of(auth.get("/dashboard"))
    # ... and read again after that.
    monkeypatch.setattr(identity, "MAX_AGE", 0.0)
    assert "Renamed by hand" in text_of(auth.get("/dashboard"))


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_without_redis_every_page_reads_the_user_from_the_database(app, auth, monkeypatch):
    kept_by_another_process(app, auth)
    gone = Redis(port=_closed_port(), socket_timeout=0.2, socket_connect_timeout=0.2)
    monkeypatch.setitem(app.extensions, "bizkit_quick_redis", gone)
    monkeypatch.setattr(identity, "_redis_down_until", 0.0)

    for _ in range(2):  # the first finds Redis gone, the second does not ask it again
        response, statements = get_with_statements(app, auth, "/dashboard")
        assert response.status_code == 200
        assert reads_user(statements)
        assert "Acme Bistro" in text_of(response)
    with app.app_context():
        assert identity.current_generation() is None  # left alone for RETRY_SECONDS


def generation(app) -> str:
    with app.app_context():
        return identity.current_generation()


def test_a_change_committed_after_a_savepoint_rolled_back_is_still_published(app, company, owner):
    before = generation(app)
    with company_ctx(app, company.id):
        db.session.get(Membership, owner.membership_id).role = "staff"
        db.session.flush()
        try:
            with db.session.begin_nested():
                raise LookupError("refused, as a failed step would be")
        except LookupError:
            pass
    assert generation(app) != before


def test_the_generation_changes_at_the_commit_not_when_a_savepoint_is_released(app, company, owner):
    before = generation(app)
    with company_ctx(app, company.id):
        with db.session.begin_nested():
            db.session.get(Membership, owner.membership_id).role = "staff"
        # Released, not committed: a process reading now must still see `before`, or it
        # could keep the old role under the new generation.
        assert generation(app) == before
    assert generation(app) != before


def test_a_whole_transaction_rolled_back_publishes_nothing(app, company, owner):
    before = generation(app)
    with app.app_context():
        tenancy.activate(company.id)
        db.session.get(Membership, owner.membership_id).role = "staff"
        db.session.flush()
        db.session.rollback()
        db.session.commit()  # nothing left to commit: the mark went with the rollback
        db.session.remove()
    assert generation(app) == before


def test_a_core_update_of_the_company_table_through_the_session_is_published(app, company):
    before = generation(app)
    with company_ctx(app, company.id):
        db.session.execute(
            update(Company.__table__)
            .where(Company.__table__.c.id == company.id)
            .values(name="Acme Osteria")
        )
    assert generation(app) != before
