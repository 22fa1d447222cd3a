from flask import Blueprint

bp = Blueprint("inventory", __name__, url_prefix="/inventory")

from bizkit.inventory import setup_views, stock_views, views  # noqa: E402,F401
