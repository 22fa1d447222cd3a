"""BizKit: one backoffice for many small businesses."""

from __future__ import annotations

from flask import Flask, g
from flask_login import current_user

from bizkit.config import LOCALES, PROJECT_ROOT, load_config


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, CLI, error handlers."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(load_config(overrides))

    from bizkit.core.logging import configure_logging, count_queries

    configure_logging(app)
    count_queries(app)
    from bizkit.core.params import register_params

    register_params(app)  # before the blueprints: it bounds their `<int:>` ids
    _init_extensions(app)
    _register_blueprints(app)
    _register_request_hooks(app)

    from bizkit.cli import register_cli

    register_cli(app)

    from bizkit.core.permissions import undeclared_views

    missing = undeclared_views(app)
    if missing:
        raise RuntimeError(f"views without a declared permission: {', '.join(missing)}")
    return app


def _init_extensions(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    # Import every model module so metadata (and Alembic) sees all tables.
    import bizkit.auth.models
    import bizkit.core.models
    import bizkit.customers.models
    import bizkit.inventory.models
    import bizkit.notifications.models
    import bizkit.orders.models
    import bizkit.workflow.models  # noqa: F401
    from bizkit.core.i18n import install_translations, select_locale, select_timezone
    from bizkit.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    from bizkit.core.plans import plan_unstable_statements_each_time

    with app.app_context():
        plan_unstable_statements_each_time(db.engine)
    if app.config["BIZKIT_DB_PING"]:
        from bizkit.core.pool import ping_idle_connections

        with app.app_context():
            ping_idle_connections(db.engine, app.config["BIZKIT_DB_PING_IDLE_SECONDS"])
    from bizkit.core.tenant_keys import include_object

    migrate.init_app(
        app,
        db,
        directory=str(PROJECT_ROOT / "migrations"),
        compare_type=True,
        include_object=include_object,  # the tenant twins of the foreign keys (0013)
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    install_translations(app, babel)
    csrf.init_app(app)
    from bizkit.core import fragments

    # A placeholder inside kept fragments, filled in with the session's token per request.
    # (Flask-WTF sets it as a global and in a context processor; this one runs after.)
    app.jinja_env.globals["csrf_token"] = fragments.csrf_token
    kept_csrf = {"csrf_token": fragments.csrf_token}
    app.context_processor(lambda: kept_csrf)
    limiter.init_app(app)
    # Every rate limit is a decorator on its view (login), which checks it when the view
    # runs; there are no application-wide limits, so the extension's own check before
    # every request only cost time (about 0.3 ms a request here).
    manager = limiter.limit_manager
    if not manager.default_limits and not manager.application_limits:
        app.before_request_funcs[None].remove(limiter._check_request_limit)


def _register_blueprints(app: Flask) -> None:
    from bizkit.auth import bp as auth_bp
    from bizkit.core.health import bp as health_bp
    from bizkit.customers import bp as customers_bp
    from bizkit.dashboard import bp as dashboard_bp
    from bizkit.inventory import bp as inventory_bp
    from bizkit.notifications import bp as notifications_bp
    from bizkit.notifications import settings_bp as notification_settings_bp
    from bizkit.orders import bp as orders_bp
    from bizkit.settings import bp as settings_bp
    from bizkit.workflow import bp as workflow_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(settings_bp)
    app.register_blueprint(customers_bp)
    app.register_blueprint(inventory_bp)
    app.register_blueprint(workflow_bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(notification_settings_bp)


def _register_request_hooks(app: Flask) -> None:
    from flask_babel import get_locale

    from bizkit.auth.current import register_current_tenant
    from bizkit.core.chrome import page_chrome
    from bizkit.core.errors import register_error_handlers
    from bizkit.core.htmx import register_vary
    from bizkit.core.i18n import LOCALE_NAMES, register_filters
    from bizkit.core.permissions import ROLE_LABELS, can
    from bizkit.core.security import register_security_headers
    from bizkit.core.urls import url_for_id
    from bizkit.extensions import db

    register_current_tenant(app)
    register_error_handlers(app)
    register_security_headers(app)
    register_vary(app)
    register_filters(app)
    app.jinja_env.globals["url_for_id"] = url_for_id
    app.jinja_env.globals["page_chrome"] = page_chrome

    from bizkit.core import events, jobs
    from bizkit.core.reads import CONNECTED
    from bizkit.notifications import outbox

    # What operations queue for after the commit (live events, jobs, messages to send).
    AFTER_COMMIT_WORK = (events.PENDING_KEY, jobs.PENDING_KEY, outbox.PENDING_KEY)

    @app.after_request
    def _commit_or_rollback(response):
        """The request's one commit: operations only flush; any error status rolls back.
        A request that sent no SQL and changed no row (a page from what the process
        keeps) has nothing to end."""
        session = db.session()
        if not (
            session.info.get(CONNECTED)
            or session.new
            or session.dirty
            or session.deleted
            or any(session.info.get(key) for key in AFTER_COMMIT_WORK)
        ):
            return response
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    locale_choices = [(code, LOCALE_NAMES[code]) for code in LOCALES]

    @app.context_processor
    def _template_globals():
        return {
            "can": can,
            "current_company": g.get("company"),
            "current_membership": g.get("membership"),
            "memberships": g.get("memberships", []),
            "current_locale": str(get_locale()),
            "locales": locale_choices,
            "locale_names": LOCALE_NAMES,
            "role_labels": ROLE_LABELS,
            "user": current_user,
            "available_endpoints": app.view_functions,
        }
