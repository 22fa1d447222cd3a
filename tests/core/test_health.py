from bizkit import create_app
from tests.conftest import app_config


def test_healthz_answers_while_the_process_lives(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_when_postgres_and_redis_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"postgres": "ok", "redis": "ok"}


def test_readyz_is_503_naming_redis_when_redis_is_unreachable(database_url):
    # Port 1 on loopback: nothing listens, so connecting is refused at once.
    app = create_app(app_config(database_url, "redis://127.0.0.1:1/0"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["postgres"] == "ok"
    assert body["checks"]["redis"].startswith("error")


def test_readyz_is_503_naming_postgres_when_the_database_is_gone(services):
    url = "postgresql://postgres@127.0.0.1:1/none"
    app = create_app(app_config(url, services["redis_url"]))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["postgres"].startswith("error")
    assert response.get_json()["checks"]["redis"] == "ok"


def test_unknown_url_is_a_404_page_and_json_for_api_clients(client):
    page = client.get("/no/such/page")
    assert page.status_code == 404
    assert "There is nothing here" in page.get_data(as_text=True)
    api = client.get("/api/v1/nothing")
    assert api.status_code == 404
    assert api.mimetype == "application/problem+json"
    assert api.get_json()["title"] == "Not found"
