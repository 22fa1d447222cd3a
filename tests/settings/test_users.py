import re

from sqlalchemy import select

from bizkit.auth.models import Membership, User
from bizkit.core.models import AuditEntry
from bizkit.extensions import db
from tests.conftest import BrowserlikeClient, company_ctx, text_of


def test_users_page_lists_the_members(auth, company, make_user):
    make_user(company, "kitchen", email="cook@acme.example", name="Cook")
    page = text_of(auth.get("/settings/users"))
    assert "owner@acme.example" in page and "cook@acme.example" in page


def test_adding_a_person_shows_a_one_time_password_once(app, auth, company):
    response = auth.post(
        "/settings/users",
        {"email": "New.Waiter@Acme.example", "name": "New Waiter", "role": "staff"},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    password = re.search(r'<code class="secret">([^<]+)</code>', html).group(1)
    assert len(password) >= 10
    assert password not in auth.get("/settings/users").get_data(as_text=True)
    # The new person logs in with it and must choose their own password.
    newcomer = BrowserlikeClient(app, app.test_client())
    response = newcomer.post("/login", {"email": "new.waiter@acme.example", "password": password})
    assert response.headers["Location"].endswith("/account/password")
    with company_ctx(app, company.id):
        user = db.session.execute(
            select(User).where(User.email == "new.waiter@acme.example")
        ).scalar_one()
        assert user.must_change_password
        assert password not in user.password_hash
        actions = set(db.session.execute(select(AuditEntry.action)).scalars())
        assert {"user.create", "membership.add"} <= actions


def test_adding_an_existing_login_from_another_company_reuses_it(
    app, auth, make_company, make_user
):
    other = make_company("Other Shop")
    person = make_user(other, "owner", email="shared@example.com")
    response = auth.post(
        "/settings/users", {"email": "shared@example.com", "name": "Shared", "role": "accountant"}
    )
    assert response.status_code == 200
    assert 'class="secret"' not in response.get_data(as_text=True)
    with company_ctx(app):
        assert (
            db.session.execute(
                select(Membership.company_id)
                .where(Membership.user_id == person.id)
                .execution_options(all_companies=True)
            )
            .scalars()
            .all()
            .__len__()
            == 2
        )


def test_adding_a_member_twice_is_refused_next_to_the_email(auth, owner):
    response = auth.post(
        "/settings/users", {"email": owner.email, "name": "Again", "role": "staff"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="email-error"' in html
    assert "already a member" in html


def test_invalid_email_is_refused(auth):
    response = auth.post("/settings/users", {"email": "not-an-email", "name": "X", "role": "staff"})
    assert response.status_code == 422
    assert 'id="email-error"' in response.get_data(as_text=True)


def test_changing_a_role_is_audited(app, auth, company, make_user):
    cook = make_user(company, "staff", email="cook@acme.example")
    response = auth.post(f"/settings/users/{cook.membership_id}/role", {"role": "kitchen"})
    assert response.status_code == 302
    with company_ctx(app, company.id):
        assert db.session.get(Membership, cook.membership_id).role == "kitchen"
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "membership.role")
        ).scalar_one()
        assert entry.changes == {"role": ["staff", "kitchen"]}


def test_the_last_owner_cannot_be_demoted_or_removed(app, auth, company, owner):
    response = auth.post(f"/settings/users/{owner.membership_id}/role", {"role": "admin"})
    assert response.status_code == 422
    assert "at least one owner" in text_of(response)
    response = auth.post(f"/settings/users/{owner.membership_id}/deactivate")
    assert response.status_code == 422
    assert "The last owner cannot be removed." in text_of(response)
    with company_ctx(app, company.id):
        membership = db.session.get(Membership, owner.membership_id)
        assert (membership.role, membership.active) == ("owner", True)


def test_with_two_owners_one_may_go(app, auth, company, make_user):
    second = make_user(company, "owner", email="second@acme.example")
    assert auth.post(f"/settings/users/{second.membership_id}/deactivate").status_code == 302
    with company_ctx(app, company.id):
        assert db.session.get(Membership, second.membership_id).active is False


def test_a_deactivated_member_loses_access_and_can_come_back(app, auth, company, make_user):
    waiter = make_user(company, "staff", email="waiter@acme.example")
    assert auth.post(f"/settings/users/{waiter.membership_id}/deactivate").status_code == 302
    other = BrowserlikeClient(app, app.test_client())
    response = other.post("/login", {"email": waiter.email, "password": waiter.password})
    assert response.status_code == 422
    assert auth.post(f"/settings/users/{waiter.membership_id}/reactivate").status_code == 302
    assert (
        other.post("/login", {"email": waiter.email, "password": waiter.password}).status_code
        == 302
    )


def test_an_admin_cannot_make_an_owner(app, client, company, make_user):
    admin = make_user(company, "admin", email="admin@acme.example")
    staff = make_user(company, "staff", email="staff@acme.example")
    client.login(admin)
    response = client.post(f"/settings/users/{staff.membership_id}/role", {"role": "owner"})
    assert response.status_code == 422
    assert "Only an owner can make someone an owner" in text_of(response)


def test_an_admin_cannot_invite_an_owner_or_touch_owners(app, client, company, owner, make_user):
    admin = make_user(company, "admin", email="admin@acme.example")
    second_owner = make_user(company, "owner", email="second@acme.example")
    client.login(admin)
    response = client.post(
        "/settings/users", {"email": "sock.puppet@acme.example", "name": "Puppet", "role": "owner"}
    )
    assert response.status_code == 422
    assert "Only an owner can make someone an owner" in text_of(response)
    assert (
        client.post(
            f"/settings/users/{second_owner.membership_id}/role", {"role": "staff"}
        ).status_code
        == 422
    )
    assert (
        client.post(f"/settings/users/{second_owner.membership_id}/deactivate").status_code == 422
    )
    with company_ctx(app, company.id):
        owners = (
            db.session.execute(
                select(Membership).where(Membership.role == "owner", Membership.active.is_(True))
            )
            .scalars()
            .all()
        )
        assert len(owners) == 2
        assert (
            db.session.execute(select(User).where(User.email == "sock.puppet@acme.example")).first()
            is None
        )


def test_an_admin_reactivating_an_owner_is_told_why_not(app, auth, client, company, make_user):
    second_owner = make_user(company, "owner", email="second@acme.example")
    assert auth.post(f"/settings/users/{second_owner.membership_id}/deactivate").status_code == 302
    admin = make_user(company, "admin", email="admin@acme.example")
    client.login(admin)

    response = client.post(f"/settings/users/{second_owner.membership_id}/reactivate")

    assert response.status_code == 422
    assert "owner" in text_of(response).lower()
    with company_ctx(app, company.id):
        assert db.session.get(Membership, second_owner.membership_id).active is False
