"""The workflow engine: status flows as data, transitions, history (used by orders, agenda)."""

from flask import Blueprint

bp = Blueprint("workflow", __name__, url_prefix="/settings/workflows")

from bizkit.settings.operations import COMPANY_SEEDS  # noqa: E402
from bizkit.workflow.operations import seed_flows  # noqa: E402

if seed_flows not in COMPANY_SEEDS:
    COMPANY_SEEDS.append(seed_flows)

from bizkit.workflow import views  # noqa: E402,F401
