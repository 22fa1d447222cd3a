"""Liveness and readiness probes for load balancers and process managers."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from bizkit.core.permissions import public
from bizkit.extensions import db, redis_connection

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@public
def healthz():
    return jsonify(status="ok")


@bp.route("/readyz")
@public
def readyz():
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["postgres"] = "ok"
    except Exception as error:  # any failure means "not ready"
        db.session.rollback()
        checks["postgres"] = f"error: {type(error).__name__}"
    try:
        redis_connection().ping()
        checks["redis"] = "ok"
    except Exception as error:
        checks["redis"] = f"error: {type(error).__name__}"
    ready = all(v == "ok" for v in checks.values())
    response = jsonify(status="ok" if ready else "unavailable", checks=checks)
    response.status_code = 200 if ready else 503
    return response
