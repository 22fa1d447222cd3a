"""The flow editor as people see it: the page, edits through it, refusals next to the
field (422, nothing written), who may open it, and other companies' ids (404)."""

import pytest
from sqlalchemy import select

from bizkit.core.permissions import ROLES, role_can
from bizkit.extensions import db
from bizkit.workflow.models import WorkflowStatus, WorkflowTransition
from tests.conftest import company_ctx, count_queries, text_of

FLOW = "/settings/workflows/order"
HTMX = {"HX-Request": "true"}


def _ids(app, company):
    with company_ctx(app, company.id):
        ready = db.session.execute(
            select(WorkflowStatus).where(WorkflowStatus.code == "READY")
        ).scalar_one()
        move = db.session.execute(
            select(WorkflowTransition).where(
                WorkflowTransition.from_code == "PREPARING", WorkflowTransition.to_code == "READY"
            )
        ).scalar_one()
        return {"sid": ready.id, "tid": move.id}


def _statuses(app, company):
    with company_ctx(app, company.id):
        rows = db.session.execute(
            select(WorkflowStatus.code, WorkflowStatus.label, WorkflowStatus.color).order_by(
                WorkflowStatus.position
            )
        )
        return [tuple(r) for r in rows]


ROUTES = [
    ("GET", "/settings/workflows/", None),
    ("GET", FLOW, None),
    ("POST", FLOW + "/statuses", {"label": "Waiting", "color": "#123456"}),
    ("GET", FLOW + "/statuses/{sid}", None),
    ("POST", FLOW + "/statuses/{sid}", {"label": "Up", "color": "#123456"}),
    ("POST", FLOW + "/statuses/{sid}/move", {"direction": "up"}),
    ("POST", FLOW + "/statuses/{sid}/initial", {}),
    ("POST", FLOW + "/statuses/{sid}/delete", {}),
    ("POST", FLOW + "/transitions", {"from_code": "READY", "to_code": "PENDING", "roles": "staff"}),
    ("GET", FLOW + "/transitions/{tid}", None),
    ("POST", FLOW + "/transitions/{tid}", {"roles": "staff"}),
    ("POST", FLOW + "/transitions/{tid}/delete", {}),
]


@pytest.mark.parametrize("role", ROLES)
def test_only_owners_and_admins_reach_the_editor(app, client, company, make_user, role):
    client.login(make_user(company, role))
    ids = _ids(app, company)
    for method, template, data in ROUTES:
        path = template.format(**ids)
        response = client.get(path) if method == "GET" else client.post(path, data)
        if role_can(role, "workflows.manage"):
            # 422: the start status may not be deleted (it became the start just before)
            assert response.status_code in (200, 302, 422), (role, path, response.status_code)
        else:
            assert response.status_code == 403, (role, path, response.status_code)
    assert role_can(role, "workflows.manage") == (role in ("owner", "admin"))


def test_another_companys_statuses_and_moves_are_404(app, auth, company, make_company):
    other = make_company("Other Bikes", business_type="bike_shop")
    with company_ctx(app, other.id):
        status = db.session.execute(select(WorkflowStatus)).scalars().first()
        move = db.session.execute(select(WorkflowTransition)).scalars().first()
        foreign = {"sid": status.id, "tid": move.id}
    before = _statuses(app, other)
    for method, template, data in ROUTES:
        if "{" not in template:
            continue
        path = template.format(**foreign)
        response = auth.get(path) if method == "GET" else auth.post(path, data)
        assert response.status_code == 404, (method, path, response.status_code)
    assert _statuses(app, other) == before
    assert auth.get("/settings/workflows/appointment").status_code == 404
    assert auth.get("/settings/workflows/invoice").status_code == 404
    mine = _ids(app, company)
    assert auth.get(f"/settings/workflows/appointment/statuses/{mine['sid']}").status_code == 404


def test_the_restaurant_flow_in_board_order_with_its_moves(auth):
    response = auth.get(FLOW)
    assert response.status_code == 200
    page = text_of(response)
    positions = [page.index(name) for name in ("Pending", "Confirmed", "Preparing", "Ready")]
    assert positions == sorted(positions)
    assert "Reserve stock" in page and "Release reserved stock" in page
    assert "Kitchen / workshop" in page
    html = response.get_data(as_text=True)
    assert 'style="' not in html and 'fill="#d97706"' in html  # colours as SVG fill
    assert auth.get("/settings/workflows/").headers["Location"].endswith(FLOW)


def test_adding_a_status_through_the_page(app, auth, company):
    response = auth.post(FLOW + "/statuses", {"label": "Waiting for parts", "color": "#AA00FF"})
    assert response.status_code == 302
    assert ("WAITING_FOR_PARTS", "Waiting for parts", "#aa00ff") in _statuses(app, company)
    assert "Waiting for parts" in text_of(auth.get(FLOW))


def test_a_bad_status_shows_the_message_next_to_the_field_and_writes_nothing(app, auth, company):
    before = _statuses(app, company)
    response = auth.post(FLOW + "/statuses", {"label": "Ready", "color": "#123456"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="label-error"' in html and "There is already a status called" in html
    response = auth.post(FLOW + "/statuses", {"label": "Fine", "color": "blue"}, headers=HTMX)
    assert response.status_code == 422
    assert 'id="color-error"' in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True)  # the editor region only
    assert _statuses(app, company) == before


def test_refusals_of_buttons_come_back_on_the_editor(app, auth, company, make_order):
    ids = _ids(app, company)
    with company_ctx(app, company.id):
        pending_id = db.session.execute(
            select(WorkflowStatus.id).where(WorkflowStatus.is_initial.is_(True))
        ).scalar_one()
    response = auth.post(f"{FLOW}/statuses/{pending_id}/delete", {}, headers=HTMX)
    assert response.status_code == 422
    assert "where new entries start" in text_of(response)
    response = auth.post(f"{FLOW}/statuses/{ids['sid']}/delete", {}, headers=HTMX)
    assert response.status_code == 200
    assert "Status “Ready” deleted." in text_of(response)
    assert "READY" not in [code for code, *_ in _statuses(app, company)]


def test_editing_a_move_and_its_refusal(app, auth, company):
    ids = _ids(app, company)
    url = f"{FLOW}/transitions/{ids['tid']}"
    page = auth.get(url)
    assert page.status_code == 200 and "Who may make this move" in text_of(page)
    response = auth.post(url, {"side_effects": "notify_customer"})
    assert response.status_code == 422
    assert "Allow at least one role" in text_of(response)
    response = auth.post(url, {"roles": ["staff", "kitchen"], "side_effects": "notify_customer"})
    assert response.status_code == 302
    with company_ctx(app, company.id):
        move = db.session.get(WorkflowTransition, ids["tid"])
        assert (move.roles, move.side_effects) == (["staff", "kitchen"], ["notify_customer"])


def test_renaming_refused_as_final_shows_next_to_the_checkbox(app, auth, company, make_order):
    order_id = make_order(company, ("Soup", "1", "4.00"))
    assert order_id
    with company_ctx(app, company.id):
        pending_id = db.session.execute(
            select(WorkflowStatus.id).where(WorkflowStatus.code == "PENDING")
        ).scalar_one()
    response = auth.post(
        f"{FLOW}/statuses/{pending_id}", {"label": "Waiting", "color": "#123456", "terminal": "y"}
    )
    assert response.status_code == 422
    assert 'id="terminal-error"' in response.get_data(as_text=True)
    assert ("PENDING", None, "#64748b") in _statuses(app, company)


def test_the_editor_query_count_does_not_grow_with_the_flow(app, auth, company):
    few = count_queries(app, auth, FLOW)
    for n in range(8):
        auth.post(FLOW + "/statuses", {"label": f"Extra {n}", "color": "#123456"})
        auth.post(
            FLOW + "/transitions",
            {"from_code": "READY", "to_code": f"EXTRA_{n}", "roles": "staff"},
        )
    assert len(_statuses(app, company)) == 15
    many = count_queries(app, auth, FLOW)
    assert few == many <= 8


def test_order_pages_follow_a_flow_edit_at_once(app, auth, company, make_order):
    """Processes keep each company's flow; any edit bumps the company's revision, so the
    next order page, board and move use the edited flow."""
    from bizkit.core.models import Company

    order_id = make_order(company)
    auth.get("/orders/board")  # the flow is now kept by this process
    assert "Waiting for the chef" not in text_of(auth.get(f"/orders/{order_id}"))
    with company_ctx(app, company.id):
        before = db.session.get(Company, company.id).workflow_revision
    pending = _ids_of(app, company, "PENDING")
    renamed = auth.post(
        f"{FLOW}/statuses/{pending}", {"label": "Waiting for the chef", "color": "#123456"}
    )
    assert renamed.status_code in (200, 302)
    with company_ctx(app, company.id):
        assert db.session.get(Company, company.id).workflow_revision > before
    assert "Waiting for the chef" in text_of(auth.get(f"/orders/{order_id}"))
    assert "Waiting for the chef" in text_of(auth.get("/orders/board"))
    # a move the edit allows is allowed at once (PENDING → READY did not exist)
    added = auth.post(
        FLOW + "/transitions", {"from_code": "PENDING", "to_code": "READY", "roles": "owner"}
    )
    assert added.status_code in (200, 302)
    moved = auth.post(
        f"/orders/{order_id}/transition", {"to": "READY", "version": "1"}, headers=HTMX
    )
    assert moved.status_code == 200, text_of(moved)


def _ids_of(app, company, code):
    with company_ctx(app, company.id):
        return db.session.execute(
            select(WorkflowStatus.id).where(WorkflowStatus.code == code)
        ).scalar_one()


def test_the_final_flag_says_what_it_does_to_reserved_stock(auth):
    page = text_of(auth.get(FLOW))
    assert "An order entering a final status keeps no stock reserved" in page
