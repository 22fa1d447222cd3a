from flask import Blueprint

bp = Blueprint("inventory", __name__, url_prefix="/inventory")

from bizkit.inventory import setup_views, stock_views, views  # noqa: E402,F401
from bizkit.inventory.operations import create_default_location  # noqa: E402
from bizkit.inventory.units import unit_label  # noqa: E402
from bizkit.settings.operations import COMPANY_SEEDS  # noqa: E402

bp.add_app_template_filter(unit_label, "unit")  # {{ product.unit|unit }}: "ks" in Czech

if create_default_location not in COMPANY_SEEDS:
    COMPANY_SEEDS.append(create_default_location)
