from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from bizkit.dashboard import views  # noqa: E402,F401
