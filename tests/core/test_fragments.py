"""Page content kept between requests (bizkit.core.fragments): used while its rows are
unchanged, rendered again the request after any committed write to them, whatever way
the write took; never shared across companies, roles or languages; never holding a
session's CSRF token; and refused when it reads a table it does not name."""

from __future__ import annotations

import pytest
from flask import render_template_string
from redis import Redis
from sqlalchemy import text, update

from bizkit.auth import identity
from bizkit.core import fragments
from bizkit.core.models import Company
from bizkit.customers import operations as ops
from bizkit.customers.models import Customer
from bizkit.extensions import db
from tests.conftest import BrowserlikeClient, company_ctx, recording_statements, text_of


def add_customer(app, company, name: str) -> int:
    with company_ctx(app, company.id):
        return ops.create_customer(None, db.session.get(Company, company.id), {"name": name}).id


def list_with_statements(app, client, url="/customers/"):
    with recording_statements(app) as statements:
        response = client.get(url)
    assert response.status_code == 200
    return response, [s for s in statements if "FROM customer" in s]


def test_the_list_is_kept_until_a_customer_changes(app, auth, company):
    customer_id = add_customer(app, company, "Antonín Dvořák")
    first, reads = list_with_statements(app, auth)
    assert "Antonín Dvořák" in text_of(first) and reads

    again, reads = list_with_statements(app, auth)
    assert reads == []  # the kept content, no query for the rows
    assert text_of(again) == text_of(first)

    with company_ctx(app, company.id):  # an ORM change, committed
        db.session.get(Customer, customer_id).name = "Leoš Janáček"
    renamed, reads = list_with_statements(app, auth)
    assert reads
    assert "Leoš Janáček" in text_of(renamed)
    assert "Dvořák" not in text_of(renamed)


@pytest.mark.parametrize(
    "how", ["core update", "text on the connection", "schema-qualified text", "new row"]
)
def test_every_kind_of_write_drops_the_kept_list(app, auth, company, how):
    customer_id = add_customer(app, company, "Bedřich Smetana")
    assert "Bedřich Smetana" in text_of(auth.get("/customers/"))
    with company_ctx(app, company.id) as session:
        if how == "core update":
            session.execute(
                update(Customer).where(Customer.id == customer_id).values(name="Josef Suk")
            )
        elif how == "text on the connection":
            session.connection().execute(
                text("UPDATE customer SET name = 'Josef Suk' WHERE id = :id"), {"id": customer_id}
            )
        elif how == "schema-qualified text":
            session.execute(
                text("UPDATE public.\"customer\" SET name = 'Josef Suk' WHERE id = :id"),
                {"id": customer_id},
            )
        else:
            ops.create_customer(None, session.get(Company, company.id), {"name": "Josef Suk"})
    assert "Josef Suk" in text_of(auth.get("/customers/"))


def test_a_rolled_back_write_keeps_the_list(app, auth, company, redis_client):
    add_customer(app, company, "Zdeněk Fibich")
    auth.get("/customers/")
    revisions = {key: redis_client.get(key) for key in redis_client.keys("bizkit:data-revision:*")}
    with app.app_context():
        from bizkit.core import tenancy

        tenancy.activate(company.id)
        ops.create_customer(None, db.session.get(Company, company.id), {"name": "Nobody"})
        db.session.flush()
        db.session.rollback()
        db.session.remove()
    after = {key: redis_client.get(key) for key in redis_client.keys("bizkit:data-revision:*")}
    assert after == revisions
    _response, reads = list_with_statements(app, auth)
    assert reads == []


def test_another_companys_writes_leave_the_list_kept(
    app, auth, company, make_company, redis_client
):
    other = make_company("Other Shop")  # a new company: every company's content renders again
    add_customer(app, company, "Alfons Mucha")
    auth.get("/customers/")
    add_customer(app, other, "Someone Else")  # the other company's revision only
    _response, reads = list_with_statements(app, auth)
    assert reads == []


def test_content_is_kept_per_role_and_per_language(app, auth, company, make_user):
    add_customer(app, company, "Ema Destinnová")
    assert "New customer" in text_of(auth.get("/customers/"))
    viewer = make_user(company, "accountant", email="books@acme.example", locale="cs")
    staff = BrowserlikeClient(app, app.test_client())
    staff.login(viewer)
    page = text_of(staff.get("/customers/"))
    assert "Ema Destinnová" in page
    assert "New customer" not in page and "Nový zákazník" not in page  # an accountant cannot add
    assert "Zákazníci" in page  # Czech, not the owner's English content
    assert "New customer" in text_of(auth.get("/customers/"))  # the owner's, still


def test_each_session_gets_its_own_csrf_token_in_kept_content(app, auth, company, make_user):
    add_customer(app, company, "Karel Čapek")
    other_owner = make_user(company, "owner", email="second@acme.example")
    second = BrowserlikeClient(app, app.test_client())
    second.login(other_owner)

    def export_token(client) -> str:
        html = client.get("/customers/").get_data(as_text=True)
        form = html[html.index('data-testid="export-form"') :]
        return form[form.index('name="csrf_token" value="') :].split('"')[3]

    first, other = export_token(auth), export_token(second)
    assert first != other
    assert "fragment-csrf" not in first
    # each token is accepted for its own session: the export starts
    response = second.post("/customers/export", {"q": "", "csrf_token": other}, csrf=False)
    assert response.status_code in (200, 302)


def test_without_redis_the_list_is_rendered_every_time(app, auth, company, monkeypatch):
    add_customer(app, company, "Jan Neruda")
    gone = Redis(port=1, socket_timeout=0.2, socket_connect_timeout=0.2)
    monkeypatch.setitem(app.extensions, "bizkit_quick_redis", gone)
    monkeypatch.setattr(fragments, "_redis_down_until", 0.0)
    monkeypatch.setattr(identity, "_redis_down_until", 0.0)  # it shares the connection
    for _ in range(2):
        response, reads = list_with_statements(app, auth)
        assert "Jan Neruda" in text_of(response)
        assert reads


def test_a_fragment_that_reads_a_table_it_does_not_name_is_refused(app, company):
    with app.test_request_context("/"), company_ctx(app, company.id) as session:

        def render():
            session.execute(text("SELECT count(*) FROM customer")).scalar()
            return render_template_string("<p>{{ 1 }}</p>")

        with pytest.raises(fragments.FragmentCheckError, match="customer"):
            fragments.fragment("test", ["tax_rate"], render)
        assert str(fragments.fragment("test", ["customer"], render)) == "<p>1</p>"


def test_a_fragment_with_the_sessions_own_token_is_refused(app, company):
    from flask_wtf import FlaskForm

    with app.test_request_context("/"), company_ctx(app, company.id):

        def render():
            return render_template_string("{{ form.csrf_token }}", form=FlaskForm())

        with pytest.raises(fragments.FragmentCheckError, match="CSRF"):
            fragments.fragment("test", [], render)


def test_a_kept_page_asks_redis_once(app, auth, company, monkeypatch):
    """The revisions a page read last time come with the signed-in user's generation, in
    the same MGET: a page from kept content costs one Redis round trip, no SQL."""
    add_customer(app, company, "Josef Mánes")
    commands = []

    class Counting(Redis):
        def execute_command(self, *args, **options):
            commands.append(args[0])
            return super().execute_command(*args, **options)

    monkeypatch.setitem(
        app.extensions, "bizkit_quick_redis", Counting.from_url(app.config["REDIS_URL"])
    )
    auth.get("/customers/")  # renders, and learns which revisions the page reads
    commands.clear()
    response, reads = list_with_statements(app, auth)
    assert "Josef Mánes" in text_of(response) and reads == []
    assert commands == ["MGET"]


def test_a_renamed_company_shows_in_kept_content_at_once(app, auth, company):
    """The dashboard's heading is the company's name: the company's row is part of every
    kept page, with the generation the request's company was read under."""
    assert "Acme Bistro" in text_of(auth.get("/dashboard"))
    with company_ctx(app, company.id):
        db.session.get(Company, company.id).name = "Acme Trattoria"
    page = text_of(auth.get("/dashboard"))
    assert "Acme Trattoria" in page and "Acme Bistro" not in page
