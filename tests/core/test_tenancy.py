"""Central tenant scoping: nothing of company B is visible while company A is current."""

import pytest
from sqlalchemy import select, update
from werkzeug.exceptions import NotFound

from bizkit.auth.models import Membership
from bizkit.core import audit, tenancy
from bizkit.core.models import AuditEntry, Company
from bizkit.core.session import TenantScopeError
from bizkit.extensions import db
from tests.conftest import company_ctx, text_of


@pytest.fixture
def two_companies(make_company, make_user):
    a = make_company("Alpha")
    b = make_company("Beta")
    a_owner = make_user(a, "owner", email="owner@alpha.example")
    b_owner = make_user(b, "owner", email="owner@beta.example")
    b_staff = make_user(b, "staff", email="staff@beta.example")
    return a, b, a_owner, b_owner, b_staff


def test_plain_select_returns_only_the_current_company(app, two_companies):
    a, b, a_owner, b_owner, b_staff = two_companies
    with company_ctx(app, a.id):
        rows = db.session.execute(select(Membership)).scalars().all()
        assert {m.company_id for m in rows} == {a.id}
        assert {m.user.email for m in rows} == {"owner@alpha.example"}
    with company_ctx(app, b.id):
        rows = db.session.execute(select(Membership)).scalars().all()
        assert {m.user.email for m in rows} == {"owner@beta.example", "staff@beta.example"}


def test_standard_lookup_of_another_companys_id_is_404(app, two_companies):
    a, b, a_owner, b_owner, b_staff = two_companies
    with company_ctx(app, a.id):
        assert tenancy.get_or_404(Membership, a_owner.membership_id).company_id == a.id
        with pytest.raises(NotFound):
            tenancy.get_or_404(Membership, b_staff.membership_id)
        with pytest.raises(NotFound):
            tenancy.get_or_404(Membership, "not-a-number")


def test_bulk_update_cannot_reach_another_company(app, two_companies):
    a, b, *_ = two_companies
    with company_ctx(app, a.id):
        db.session.execute(update(Membership).values(role="staff"))
    with company_ctx(app, b.id):
        roles = db.session.execute(select(Membership.role)).scalars().all()
        assert sorted(roles) == ["owner", "staff"]


def test_new_rows_get_the_current_company(app, two_companies):
    a, *_ = two_companies
    with company_ctx(app, a.id):
        company = db.session.get(Company, a.id)
        entry = audit.record(None, "test.action", company)
        db.session.flush()
        assert entry.company_id == a.id


def test_a_row_for_another_company_is_refused(app, two_companies):
    a, b, *_ = two_companies
    with pytest.raises(TenantScopeError), company_ctx(app, a.id):
        db.session.add(AuditEntry(company_id=b.id, action="x", entity_type="y"))
        db.session.flush()


def test_querying_tenant_data_without_a_company_fails_closed(app, two_companies):
    with company_ctx(app, None), pytest.raises(TenantScopeError):
        db.session.execute(select(Membership)).all()


def test_explicit_opt_out_sees_all_companies(app, two_companies):
    a, b, *_ = two_companies
    with company_ctx(app, None):
        stmt = select(Membership.company_id).execution_options(all_companies=True)
        assert {a.id, b.id} <= set(db.session.execute(stmt).scalars())


def test_http_routes_of_another_company_are_404(app, client, two_companies):
    a, b, a_owner, b_owner, b_staff = two_companies
    client.login(a_owner)
    for path in (
        f"/settings/users/{b_staff.membership_id}/role",
        f"/settings/users/{b_staff.membership_id}/deactivate",
        f"/settings/users/{b_staff.membership_id}/reactivate",
    ):
        response = client.post(path, {"role": "owner"})
        assert response.status_code == 404, path
    with company_ctx(app, b.id):
        staff = db.session.get(Membership, b_staff.membership_id)
        assert (staff.role, staff.active) == ("staff", True)
    page = text_of(client.get("/settings/users"))
    assert "owner@alpha.example" in page
    assert "beta.example" not in page


def test_switching_to_a_company_you_do_not_belong_to_is_refused(client, two_companies):
    a, b, a_owner, *_ = two_companies
    client.login(a_owner)
    response = client.post("/switch-company", {"company_id": str(b.id)})
    assert response.status_code == 404
    assert "Alpha" in text_of(client.get("/dashboard"))


def test_counting_through_select_from_is_scoped_too(app, two_companies):
    from sqlalchemy import func

    a, b, *_ = two_companies
    with company_ctx(app, a.id):
        count = db.session.execute(select(func.count()).select_from(Membership)).scalar()
        assert count == 1
        joined = db.session.execute(
            select(func.count()).select_from(Membership).join(Membership.user)
        ).scalar()
        assert joined == 1
        ids = db.session.execute(select(Membership.id)).scalars().all()
        assert len(ids) == 1


def test_last_owner_rule_counts_only_this_companys_owners(app, client, two_companies):
    a, b, a_owner, *_ = two_companies
    client.login(a_owner)
    response = client.post(f"/settings/users/{a_owner.membership_id}/deactivate")
    assert response.status_code == 422
    assert "The last owner cannot be removed." in text_of(response)
