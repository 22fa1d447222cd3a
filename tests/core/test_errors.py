"""Error responses: a page, an htmx fragment, or problem+json; a crash saves nothing."""

import pytest
from flask import abort
from sqlalchemy import select

from bizkit import create_app
from bizkit.core.models import Company
from bizkit.core.permissions import public
from bizkit.extensions import db
from tests.conftest import app_config, company_ctx


@pytest.fixture
def crashing_app(database_url, services, rollback_db):
    app = create_app(app_config(database_url, services["redis_url"]))

    @app.route("/boom", methods=["POST"])
    @public
    def boom():
        db.session.add(Company(name="Half written", slug="half-written"))
        db.session.flush()
        raise RuntimeError("something broke")

    @app.route("/unprocessable")
    @public
    def unprocessable():
        abort(422)

    app.config["WTF_CSRF_ENABLED"] = False
    # db.session is one scoped session for every app: rollback_db already bound it
    # to the test's transaction, so this app's requests join it too.
    return app


def test_a_crash_is_a_500_page_and_nothing_is_saved(crashing_app):
    response = crashing_app.test_client().post("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html and "Nothing was saved" in html
    assert "RuntimeError" not in html and "Traceback" not in html
    with company_ctx(crashing_app):
        assert (
            db.session.execute(select(Company).where(Company.slug == "half-written")).first()
            is None
        )


def test_a_crash_in_htmx_is_a_fragment(crashing_app):
    response = crashing_app.test_client().post("/boom", headers={"HX-Request": "true"})
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "<html" not in html and "Something went wrong" in html
    assert response.headers["HX-Retarget"] == "#htmx-error"


def test_a_crash_for_an_api_client_is_problem_json(crashing_app):
    response = crashing_app.test_client().post("/boom", headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["title"] == "Something went wrong"


def test_422_page_and_fragment(crashing_app):
    client = crashing_app.test_client()
    page = client.get("/unprocessable")
    assert page.status_code == 422
    assert "Please check your input" in page.get_data(as_text=True)
    fragment = client.get("/unprocessable", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)


def test_404_fragment_for_htmx(client):
    response = client.get("/nowhere", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert "<html" not in response.get_data(as_text=True)
    assert "There is nothing here" in response.get_data(as_text=True)


def test_405_is_a_page_not_a_crash(client):
    response = client.raw.put("/login")
    assert response.status_code in (400, 405)


def test_history_restore_gets_the_whole_page(auth):
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    html = auth.get("/settings/audit", headers=headers).get_data(as_text=True)
    assert "<html" in html
    fragment = auth.get("/settings/audit", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment
