import re

from sqlalchemy import select

from bizkit.auth.models import Membership, User
from bizkit.core.models import AuditEntry
from bizkit.extensions import db
from tests.auth.test_two_step import switch_on
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


# -- an owner or admin resets a member's password -------------------------------------------


def _one_time_password(response) -> str:
    return re.search(r'<code class="secret">([^<]+)</code>', response.get_data(as_text=True)).group(
        1
    )


def _logged_in(app, user) -> BrowserlikeClient:
    client = BrowserlikeClient(app, app.test_client())
    assert client.login(user).headers["Location"].endswith("/dashboard")
    return client


def test_resetting_a_password_gives_a_one_time_one_and_ends_their_sessions(
    app, auth, company, make_user
):
    waiter = make_user(company, "staff", email="waiter@acme.example", name="Waiter")
    waiter_session = _logged_in(app, waiter)
    page = auth.get("/settings/users")
    assert f"/settings/users/{waiter.membership_id}/reset-password" in page.get_data(True)

    confirm = auth.get(f"/settings/users/{waiter.membership_id}/reset-password")
    assert confirm.status_code == 200
    text = text_of(confirm)
    assert "Reset the password of Waiter (waiter@acme.example)?" in text
    assert "All their sessions end at once." in text
    assert "other companies" not in text
    assert "Also switch off two-step sign-in" not in text  # theirs is off

    response = auth.post(f"/settings/users/{waiter.membership_id}/reset-password")
    assert response.status_code == 200
    assert "The password of waiter@acme.example was reset" in text_of(response)
    password = _one_time_password(response)
    assert "Give waiter@acme.example this one-time password." in text_of(response)
    assert password not in auth.get("/settings/users").get_data(as_text=True)

    # Their open session has ended; the old password no longer works; the new one does,
    # once, to choose their own.
    assert waiter_session.get("/dashboard").status_code == 302
    fresh = BrowserlikeClient(app, app.test_client())
    assert (
        fresh.post("/login", {"email": waiter.email, "password": waiter.password}).status_code
        == 422
    )
    login = fresh.post("/login", {"email": waiter.email, "password": password})
    assert login.headers["Location"].endswith("/account/password")
    with company_ctx(app, company.id):
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "user.password_reset")
        ).scalar_one()
        assert entry.entity_label == "waiter@acme.example"
        assert entry.changes["must_change_password"] == [False, True]


def test_an_admin_cannot_reset_an_owner_and_nobody_resets_themself(
    app, client, company, owner, make_user
):
    admin = make_user(company, "admin", email="admin@acme.example")
    other_admin = make_user(company, "admin", email="admin2@acme.example")
    client.login(admin)
    page = client.get("/settings/users").get_data(as_text=True)
    assert f"/settings/users/{owner.membership_id}/reset-password" not in page
    assert f"/settings/users/{admin.membership_id}/reset-password" not in page
    assert f"/settings/users/{other_admin.membership_id}/reset-password" in page

    refused = client.post(f"/settings/users/{owner.membership_id}/reset-password")
    assert refused.status_code == 422
    assert "Only an owner can reset an owner&#39;s password." in text_of(refused)
    themself = client.post(f"/settings/users/{admin.membership_id}/reset-password")
    assert themself.status_code == 422
    assert "Change your own password from your account menu." in text_of(themself)
    # Nothing changed: both still sign in with their passwords.
    for person in (owner, admin):
        other = BrowserlikeClient(app, app.test_client())
        assert other.login(person).headers["Location"].endswith("/dashboard")


def test_only_an_owner_may_also_switch_off_two_step_sign_in(app, client, company, owner, make_user):
    cook = make_user(company, "kitchen", email="cook@acme.example")
    admin = make_user(company, "admin", email="admin@acme.example")
    switch_on(app, company, cook)

    client.login(admin)
    confirm = client.get(f"/settings/users/{cook.membership_id}/reset-password")
    assert "Also switch off two-step sign-in" not in text_of(confirm)
    refused = client.post(
        f"/settings/users/{cook.membership_id}/reset-password", {"switch_off_two_step": "y"}
    )
    assert refused.status_code == 422
    assert "Only an owner can switch off someone&#39;s two-step sign-in." in text_of(refused)
    kept = BrowserlikeClient(app, app.test_client())
    assert kept.login(cook).headers["Location"].endswith("/login/verify")  # password unchanged

    # Without the tick, the reset keeps the second step on.
    response = client.post(f"/settings/users/{cook.membership_id}/reset-password")
    password = _one_time_password(response)
    newcomer = BrowserlikeClient(app, app.test_client())
    step = newcomer.post("/login", {"email": cook.email, "password": password})
    assert step.headers["Location"].endswith("/login/verify")

    # An owner may tick it: the password alone signs in then.
    owner_client = _logged_in(app, owner)
    confirm = owner_client.get(f"/settings/users/{cook.membership_id}/reset-password")
    assert "Also switch off two-step sign-in" in text_of(confirm)
    response = owner_client.post(
        f"/settings/users/{cook.membership_id}/reset-password", {"switch_off_two_step": "y"}
    )
    password = _one_time_password(response)
    last = BrowserlikeClient(app, app.test_client())
    login = last.post("/login", {"email": cook.email, "password": password})
    assert login.headers["Location"].endswith("/account/password")
    with company_ctx(app, company.id):
        user = db.session.get(User, cook.id)
        assert user.totp_secret is None and user.totp_enabled_at is None
        changes = (
            db.session.execute(
                select(AuditEntry.changes)
                .where(AuditEntry.action == "user.password_reset")
                .order_by(AuditEntry.id.desc())
            )
            .scalars()
            .first()
        )
        assert changes["two_step"] == [True, False]


def test_a_reset_warns_when_the_login_opens_other_companies_without_naming_them(
    auth, company, make_company, make_user
):
    other = make_company("Secret Side Business")
    shared = make_user(company, "staff", email="shared@example.com")
    make_user(other, "owner", email="shared@example.com")
    confirm = auth.get(f"/settings/users/{shared.membership_id}/reset-password")
    text = text_of(confirm)
    assert "This person also has access to other companies" in text
    assert "Secret Side Business" not in text
    # And the other company's members are not this company's to reset.
    with_other = make_user(other, "staff", email="elsewhere@example.com")
    assert auth.get(f"/settings/users/{with_other.membership_id}/reset-password").status_code == 404
    assert (
        auth.post(f"/settings/users/{with_other.membership_id}/reset-password").status_code == 404
    )


def test_staff_cannot_reset_passwords(client, company, make_user):
    staff = make_user(company, "staff")
    waiter = make_user(company, "staff")
    client.login(staff)
    assert client.post(f"/settings/users/{waiter.membership_id}/reset-password").status_code == 403
