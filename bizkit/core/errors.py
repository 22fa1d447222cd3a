"""Error responses negotiated by who asks: a page, an htmx fragment, or problem+json."""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, g, jsonify, render_template, request, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from bizkit.core.htmx import is_htmx
from bizkit.extensions import db, limiter

log = logging.getLogger("bizkit.errors")

TITLES = {
    400: _l("Bad request"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    422: _l("Please check your input"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong"),
    503: _l("Service unavailable"),
}

MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("Your role does not allow this page. Ask an owner or administrator for access."),
    404: _l("There is nothing here. The link may be old, or the record belongs elsewhere."),
    405: _l("This address does not accept that kind of request."),
    422: _l("Some of the data you sent is not valid."),
    429: _l("Too many attempts. Please wait and try again."),
    500: _l("We could not finish this. Nothing was saved. Please try again in a moment."),
    503: _l("A service BizKit needs is not answering. Please try again shortly."),
}


# Flask-WTF's reasons for a token that was BizKit's but belongs to an earlier session
# secret (rotated on a company switch, a login or a logout).
OUT_OF_DATE_REASONS = frozenset(
    {"The CSRF tokens do not match.", "The CSRF session token is missing."}
)


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes["text/html"]


def error_response(status: int, message: str | None = None, headers: dict | None = None):
    title = str(TITLES.get(status, TITLES[500]))
    detail = message or str(MESSAGES.get(status, MESSAGES[500]))
    headers = dict(headers or {})
    if wants_json():
        body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
        response = jsonify(body)
        response.status_code = status
        response.mimetype = "application/problem+json"
        response.headers.update(headers)
        return response
    if is_htmx():
        # htmx is configured (base.html) to swap error responses; send them to the error region.
        headers.setdefault("HX-Retarget", "#htmx-error")
        headers.setdefault("HX-Reswap", "innerHTML")
        template = "errors/_error.html"
    else:
        template = "errors/error.html"
    html = render_template(template, status=status, title=title, detail=detail)
    return html, status, headers


def _names_another_company() -> bool:
    """An htmx request from a page that names the company it was rendered for (the
    order board's hx-vals) while another one is current now: reloading follows the switch."""
    from bizkit.auth.current import SESSION_COMPANY

    shown = request.values.get("company", "")
    current = session.get(SESSION_COMPANY)
    return is_htmx() and bool(shown) and current is not None and shown != str(current)


def _retry_after_seconds() -> int:
    current = limiter.current_limit
    if current is not None and current.reset_at:
        return max(1, math.ceil(current.reset_at - time.time()))
    return 60


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        db.session.rollback()
        if _names_another_company():
            return "", 200, {"HX-Refresh": "true"}  # as the order board does (orders.board)
        if error.description in OUT_OF_DATE_REASONS:
            # The page carries a token of an earlier session secret: rendered before a
            # company switch, a logout or a login (bizkit.auth.views.rotate_csrf).
            return error_response(
                400,
                _(
                    "This page is out of date: you switched company or signed in again in "
                    "another tab. Reload the page and try again."
                ),
            )
        return error_response(
            400,
            _("The form had expired or was not sent from BizKit. Reload the page and try again."),
        )

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(error):
        db.session.rollback()
        seconds = _retry_after_seconds()
        minutes = max(1, math.ceil(seconds / 60))
        message = ngettext(
            "Too many failed attempts. Try again in %(num)d minute.",
            "Too many failed attempts. Try again in %(num)d minutes.",
            minutes,
        )
        return error_response(429, message, {"Retry-After": str(seconds)})

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        db.session.rollback()
        status = error.code or 500
        message = None
        if (
            status in (400, 422)
            and error.description
            and error.description != getattr(type(error), "description", None)
        ):
            message = error.description
        return error_response(status, message)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        db.session.rollback()
        log.exception("unhandled error", extra={"fields": {"request_id": g.get("request_id")}})
        return error_response(500)


class BusinessRuleError(Exception):
    """An operation refused the change; `message` is translated and shown to the user.

    `field` names the form field the message belongs next to (None: the whole form).
    """

    def __init__(self, message: str, field: str | None = None, status: int = 422):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


def attach_to_form(form, error: BusinessRuleError) -> None:
    """Show an operation's refusal next to its field, or as a form-level error."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)
