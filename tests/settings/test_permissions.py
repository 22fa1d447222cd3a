"""Each role on each settings page: what it may open and what it may change."""

import pytest

from bizkit.core.permissions import ROLE_PERMISSIONS, ROLES, role_can

PAGES = {
    "/dashboard": "dashboard.view",
    "/settings/company": "settings.view",
    "/settings/users": "users.manage",
    "/settings/audit": "audit.view",
}

EXPECTED_ACCESS = {
    # role:        dashboard, company, users, audit
    "owner": (200, 200, 200, 200),
    "admin": (200, 200, 200, 200),
    "staff": (200, 403, 403, 403),
    "kitchen": (200, 403, 403, 403),
    "accountant": (200, 200, 403, 200),
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_exactly_its_settings_pages(client, company, make_user, role):
    user = make_user(company, role)
    client.login(user)
    statuses = tuple(client.get(path).status_code for path in PAGES)
    assert statuses == EXPECTED_ACCESS[role]


@pytest.mark.parametrize("role", ROLES)
def test_only_managers_may_change_the_company(client, company, make_user, role):
    user = make_user(company, role)
    client.login(user)
    response = client.post(
        "/settings/company",
        {
            "name": "Renamed",
            "business_type": "restaurant",
            "locale": "en",
            "timezone": "Europe/Rome",
            "currency": "EUR",
        },
    )
    assert response.status_code == (302 if role in ("owner", "admin") else 403)


@pytest.mark.parametrize("role", ROLES)
def test_only_user_managers_may_add_people(client, company, make_user, role):
    user = make_user(company, role)
    client.login(user)
    response = client.post(
        "/settings/users",
        {
            "email": f"added-by-{role}@acme.example",
            "name": "Added",
            "role": "staff",
        },
    )
    assert response.status_code == (200 if role in ("owner", "admin") else 403)


def test_403_page_explains_and_keeps_the_navigation(client, company, make_user):
    user = make_user(company, "kitchen")
    client.login(user)
    response = client.get("/settings/users")
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Your role does not allow this page" in html
    assert 'class="sidebar"' in html


def test_403_fragment_for_htmx(client, company, make_user):
    client.login(make_user(company, "kitchen"))
    response = client.get("/settings/users", headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert "<html" not in response.get_data(as_text=True)
    assert "Your role does not allow this page" in response.get_data(as_text=True)


def test_permission_table_is_consistent():
    assert set(ROLE_PERMISSIONS) == set(ROLES)
    assert role_can("kitchen", "orders.transition")
    assert not role_can("kitchen", "invoices.issue")
    assert role_can("accountant", "invoices.issue")
    assert not role_can(None, "dashboard.view")
    with pytest.raises(KeyError):
        role_can("owner", "no.such.permission")


def test_navigation_shows_only_what_the_role_may_open(client, company, make_user):
    client.login(make_user(company, "kitchen"))
    html = client.get("/dashboard").get_data(as_text=True)
    nav = html[html.index('class="sidebar"') : html.index("</nav>", html.index('class="sidebar"'))]
    assert "Dashboard" in nav and "Orders" in nav
    assert "Settings" not in nav and "Invoicing" not in nav
