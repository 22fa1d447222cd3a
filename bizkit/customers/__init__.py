from flask import Blueprint

bp = Blueprint("customers", __name__, url_prefix="/customers")

from bizkit.customers import views, views_credit, views_export, views_import  # noqa: E402,F401
