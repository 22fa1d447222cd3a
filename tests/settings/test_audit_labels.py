"""The audit log speaks the reader's language: every action the code records has a label,
the filters offer labelled choices, and values are shown as a person reads them."""

import ast
import datetime as dt
import pathlib

import bizkit
from bizkit.core import audit, audit_labels
from bizkit.core.models import Company
from bizkit.customers.models import CREDIT_KINDS
from bizkit.extensions import db
from bizkit.inventory.models import MOVEMENT_KINDS
from bizkit.orders.models import GIFT_MOVEMENT_KINDS
from tests.conftest import company_ctx, text_of

# Codes built from a kind (f"stock.{kind}"), and the kinds each can take.
KIND_ACTIONS = {
    "f'store_credit.{kind}'": ("store_credit.", CREDIT_KINDS),
    "f'stock.{kind}'": ("stock.", MOVEMENT_KINDS),
    "f'gift_voucher.{kind}'": ("gift_voucher.", GIFT_MOVEMENT_KINDS),
    "f'{entity_type}.transition'": ("", ("order.transition",)),
}


def _recorded_actions() -> set[str]:
    """Every action code passed to `audit.record(actor, action, ...)` in the code."""
    codes: set[str] = set()
    root = pathlib.Path(bizkit.__file__).parent
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "record"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "audit"
            ):
                continue
            action = node.args[1]
            if isinstance(action, ast.Constant):
                codes.add(action.value)
            elif isinstance(action, ast.IfExp):
                codes.update((action.body.value, action.orelse.value))
            else:
                source = ast.unparse(action)
                assert source in KIND_ACTIONS, f"{path}: a new kind of action code: {source}"
                prefix, kinds = KIND_ACTIONS[source]
                codes.update(prefix + kind for kind in kinds)
    return codes


def test_every_recorded_action_has_a_label_and_an_area():
    recorded = _recorded_actions()
    assert len(recorded) > 50
    assert sorted(recorded - set(audit_labels.ACTIONS)) == []
    prefixes = [p for _label, area in audit_labels.AREAS.values() for p in area]
    for code in recorded:
        assert sum(code.startswith(prefix) for prefix in prefixes) == 1, code


def _entry(app, company, action, changes, days_ago=0):
    with company_ctx(app, company.id):
        target = db.session.get(Company, company.id)
        entry = audit.record(None, action, target, changes)
        db.session.flush()
        entry.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)


def test_the_log_shows_labels_in_the_readers_language(app, auth, company):
    _entry(app, company, "order.payment", {"amount": [None, "1234.50"], "active": [False, True]})
    _entry(app, company, "customer.update", {"vat_id": ["25596641", "CZ25596641"]})
    page = text_of(auth.get("/settings/audit", headers={"Accept-Language": "en"}))
    assert "Payment taken" in page and "order.payment" not in page
    assert "Customer details changed" in page
    assert "Amount" in page and "1,234.5" in page
    assert "Active" in page and "No → Yes" in page.replace("\n", " ").replace("  ", " ")
    # A VAT number is text, not a number to group.
    assert "25596641" in page and "25,596,641" not in page
    # The code is still there for whoever needs it (a tooltip).
    html = auth.get("/settings/audit").get_data(as_text=True)
    assert 'title="order.payment"' in html


def test_the_filters_offer_areas_and_actions_by_label(app, auth, company):
    _entry(app, company, "membership.role", {"role": ["staff", "admin"]})
    _entry(app, company, "user.create", {})
    _entry(app, company, "order.refund", {})
    html = auth.get("/settings/audit").get_data(as_text=True)
    assert '<option value="area:users">' in html and "Everything: Users" in html
    assert '<option value="order.refund">Payment refunded</option>' in html
    assert '<option value="Customer">Customer</option>' in html

    users = _rows(auth, "/settings/audit?action=area:users")
    assert "role changed" in users and "Login created" in users
    assert "Payment refunded" not in users
    one = _rows(auth, "/settings/audit?action=order.refund")
    assert "Payment refunded" in one and "Login created" not in one
    # A prefix typed into the address still filters, as before.
    assert "Payment refunded" in _rows(auth, "/settings/audit?action=order.")


def _rows(auth, url) -> str:
    """The text of the table's rows only (the filters' options name every action)."""
    response = auth.get(url)
    html = response.get_data(as_text=True)
    response.set_data(html[html.index('id="audit-table"') :])
    return text_of(response)


def test_dates_at_the_ends_of_the_calendar_filter_instead_of_failing(app, auth, company):
    _entry(app, company, "order.refund", {})
    for query in ("since=0001-01-01", "until=9999-12-31", "since=0001-01-01&until=9999-12-31"):
        response = auth.get(f"/settings/audit?{query}")
        assert response.status_code == 200, query
        assert "Payment refunded" in text_of(response)


def test_a_czech_reader_sees_czech_labels_and_numbers(app, client, company, make_user):
    from flask_babel import force_locale, gettext

    _entry(app, company, "order.payment", {"amount": [None, "2.500"]})
    client.login(make_user(company, "owner", locale="cs"))
    with client.app.test_request_context(), force_locale("cs"):
        label, field = gettext("Payment taken"), gettext("Amount")
    assert label != "Payment taken"
    page = _rows(client, "/settings/audit")
    assert label in page and field in page
