"""Only an owner may change an owner, also through "Add a person" with an old member's e-mail."""

from bizkit.auth.models import Membership
from bizkit.extensions import db
from tests.conftest import BrowserlikeClient, company_ctx, text_of


def test_an_admin_cannot_reactivate_and_demote_a_deactivated_owner_by_adding_them(
    app, auth, company, make_user
):
    second = make_user(company, "owner", email="second.owner@acme.example")
    admin = make_user(company, "admin", email="admin@acme.example")
    assert auth.post(f"/settings/users/{second.membership_id}/deactivate").status_code < 400

    admin_client = BrowserlikeClient(app, app.test_client())
    admin_client.login(admin)
    response = admin_client.post(
        "/settings/users", {"email": second.email, "name": "Second", "role": "admin"}
    )
    assert response.status_code == 422
    assert "Only an owner can make someone an owner, or change or remove an owner." in text_of(
        response
    )
    with company_ctx(app, company.id):
        membership = db.session.get(Membership, second.membership_id)
        assert (membership.role, membership.active) == ("owner", False)

    # An owner may bring the owner back in another role.
    again = auth.post("/settings/users", {"email": second.email, "name": "Second", "role": "admin"})
    assert again.status_code == 200
    with company_ctx(app, company.id):
        membership = db.session.get(Membership, second.membership_id)
        assert (membership.role, membership.active) == ("admin", True)
