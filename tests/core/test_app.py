import pytest

from bizkit import create_app
from bizkit.config import ConfigError, load_config, sqlalchemy_url
from bizkit.core.permissions import undeclared_views


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(
            {
                "BIZKIT_ENV": "production",
                "DATABASE_URL": "postgresql://x/y",
                "REDIS_URL": "redis://x",
            }
        )


def test_development_generates_and_keeps_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr("bizkit.config.INSTANCE_DIR", tmp_path)
    first = load_config(
        {"BIZKIT_ENV": "development", "DATABASE_URL": "postgresql://x/y", "REDIS_URL": "redis://x"}
    )
    second = load_config(
        {"BIZKIT_ENV": "development", "DATABASE_URL": "postgresql://x/y", "REDIS_URL": "redis://x"}
    )
    assert len(first["SECRET_KEY"]) >= 40
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_missing_database_url_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_config({"BIZKIT_ENV": "testing", "SECRET_KEY": "x", "REDIS_URL": "redis://x"})


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigError, match="BIZKIT_ENV"):
        load_config({"BIZKIT_ENV": "staging"})


def test_cookies_are_secure_in_production(monkeypatch):
    config = load_config(
        {
            "BIZKIT_ENV": "production",
            "SECRET_KEY": "s" * 40,
            "DATABASE_URL": "postgresql://x/y",
            "REDIS_URL": "redis://x",
        }
    )
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["BIZKIT_LOG_JSON"] is True


def test_database_url_uses_psycopg3():
    assert sqlalchemy_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert sqlalchemy_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_factory_builds_an_app_whose_every_view_declares_a_permission(app):
    assert undeclared_views(app) == []
    assert {"auth", "dashboard", "settings", "health"} <= set(app.blueprints)


def test_an_undeclared_view_stops_the_app(database_url, services):
    from tests.conftest import app_config

    app = create_app(app_config(database_url, services["redis_url"]))

    @app.route("/forgotten")
    def forgotten():
        return "oops"

    assert undeclared_views(app) == ["forgotten"]


def test_every_request_is_logged_once_with_its_request_id(client, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="bizkit.request")
    response = client.get("/healthz", headers={"X-Request-ID": "abcdef123456"})
    assert response.headers["X-Request-ID"] == "abcdef123456"
    lines = [r for r in caplog.records if r.name == "bizkit.request"]
    assert len(lines) == 1
    assert lines[0].fields["request_id"] == "abcdef123456"
    assert lines[0].fields["status"] == 200


def test_a_bad_incoming_request_id_is_replaced(client):
    response = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert response.headers["X-Request-ID"] != "<script>"
    assert len(response.headers["X-Request-ID"]) == 32


def test_json_log_lines(app):
    import json
    import logging

    from bizkit.core.logging import JsonFormatter

    record = logging.LogRecord("bizkit.request", logging.INFO, __file__, 1, "GET / 200", (), None)
    record.fields = {"request_id": "r1", "status": 200}
    payload = json.loads(JsonFormatter().format(record))
    assert payload["msg"] == "GET / 200"
    assert payload["request_id"] == "r1"
    assert payload["level"] == "info"


def test_query_count_is_logged_and_exposed_when_asked(app, auth):
    app.config["BIZKIT_EXPOSE_QUERY_COUNT"] = True
    try:
        response = auth.get("/dashboard")
    finally:
        app.config["BIZKIT_EXPOSE_QUERY_COUNT"] = False
    assert 1 <= int(response.headers["X-Query-Count"]) <= 8  # the per-page budget
    assert "X-Query-Count" not in auth.get("/dashboard").headers
