"""Every customers route: which roles may use it, and another company's ids are 404."""

import io

import pytest

from bizkit.auth.models import User
from bizkit.core.permissions import ROLES, role_can
from bizkit.customers import csv_import
from bizkit.customers.models import CustomerImport
from bizkit.extensions import db
from tests.conftest import BrowserlikeClient, company_ctx

# (method, path template, permission, form data)
ROUTES = [
    ("GET", "/customers/", "customers.view", None),
    ("POST", "/customers/export", "customers.export", {"q": "target"}),
    ("GET", "/customers/new", "customers.edit", None),
    ("POST", "/customers/new", "customers.edit", {"name": "Created"}),
    ("GET", "/customers/{cid}", "customers.view", None),
    ("GET", "/customers/{cid}/edit", "customers.edit", None),
    ("POST", "/customers/{cid}/edit", "customers.edit", {"name": "Edited", "kind": "person"}),
    ("GET", "/customers/{cid}/fields/name", "customers.view", None),
    ("GET", "/customers/{cid}/fields/name/edit", "customers.edit", None),
    ("POST", "/customers/{cid}/fields/name", "customers.edit", {"name": "Inline"}),
    ("POST", "/customers/{cid}/notes", "customers.edit", {"note": "hello"}),
    (
        "POST",
        "/customers/{cid}/store-credit",
        "customers.edit",
        {"kind": "grant", "amount": "5", "reason": "r"},
    ),
    ("GET", "/customers/{cid}/gdpr-export", "customers.export", None),
    ("POST", "/customers/{cid}/erase", "customers.erase", {"confirm": "ERASE"}),
    ("GET", "/customers/groups", "customers.edit", None),
    ("GET", "/customers/import", "customers.import", None),
    ("GET", "/customers/import/{iid}", "customers.import", None),
    ("GET", "/customers/import/{iid}/progress", "customers.import", None),
]


@pytest.fixture
def ids(app, company, make_customer):
    cid = make_customer("Target Customer", email="target@example.com")
    with company_ctx(app, company.id):
        job = csv_import.store_upload(None, "x.csv", b"Name\nSomeone\n")
        iid = job.id
    return {"cid": cid, "iid": iid}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_its_customers_routes(client, company, make_user, ids, role):
    client.login(make_user(company, role))
    for method, template, permission, data in ROUTES:
        path = template.format(**ids)
        response = client.get(path) if method == "GET" else client.post(path, data)
        allowed = role_can(role, permission)
        if allowed:
            assert response.status_code in (200, 302), (role, method, path, response.status_code)
        else:
            assert response.status_code == 403, (role, method, path, response.status_code)


def test_another_companys_ids_are_404_on_every_route(app, auth, make_company, make_customer):
    other = make_company("Other Co")
    foreign = {"cid": make_customer("Foreign", target=other, email="f@example.com")}
    with company_ctx(app, other.id):
        foreign["iid"] = csv_import.store_upload(None, "y.csv", b"Name\nX\n").id
    for method, template, _permission, data in ROUTES:
        if "{" not in template:
            continue
        path = template.format(**foreign)
        response = auth.get(path) if method == "GET" else auth.post(path, data)
        assert response.status_code == 404, (method, path, response.status_code)
    with company_ctx(app, other.id):
        assert db.session.get(CustomerImport, foreign["iid"]).status == "uploaded"


def test_upload_with_the_file_field_works_for_staff(client, company, make_user):
    client.login(make_user(company, "staff"))
    response = client.post(
        "/customers/import",
        {"file": (io.BytesIO(b"Name\nA\n"), "a.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302


def test_exports_take_the_export_permission_and_stay_within_their_company(
    app, company, make_company, make_user
):
    """Progress and download of an export: 403 without customers.export; the user's own
    export of this company opens, and one of another company is a 404 even when the same
    person asked for it there."""
    from bizkit.customers import csv_export
    from bizkit.customers.operations import CustomerFilter

    other = make_company("Other Co")
    for role in ROLES:
        user = make_user(company, role)
        make_user(other, "owner", email=user.email)  # the same person, also in the other
        with company_ctx(app, other.id):
            foreign = csv_export.start(User(id=user.id), CustomerFilter())[0].id
        with company_ctx(app, company.id):
            ours = csv_export.start(User(id=user.id), CustomerFilter())[0].id
        client = BrowserlikeClient(app, app.test_client())
        client.login(user)
        allowed = role_can(role, "customers.export")
        for export_id, status in ((ours, 200), (foreign, 404)):
            path = f"/customers/exports/{export_id}"
            assert client.get(path).status_code == (status if allowed else 403), (role, path)
            download = client.get(path + "/download").status_code
            assert download == (404 if allowed else 403), (role, path)  # not written yet
