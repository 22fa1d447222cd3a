from flask import Blueprint

bp = Blueprint("settings", __name__, url_prefix="/settings")

from bizkit.settings import views  # noqa: E402,F401
