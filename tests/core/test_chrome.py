"""The page chrome (top bar, menus, sidebar) is kept per reader and section
(bizkit/core/chrome.py): what it shows must still follow every change at once."""

from __future__ import annotations

import re

from sqlalchemy import update

from bizkit.auth.models import Membership, User
from bizkit.core.models import Company
from tests.conftest import company_ctx


def _chrome(html: str) -> str:
    return html.split('<main class="content"', 1)[0]


def test_company_rename_and_user_name_show_on_the_next_page(app, auth, company, owner):
    assert 'data-testid="company-switcher">Acme Bistro<' in auth.get("/customers/").text
    with company_ctx(app, company.id) as session:
        session.execute(update(Company).where(Company.id == company.id).values(name="Acme & Co"))
        session.execute(update(User).where(User.id == owner.id).values(name="Renamed Owner"))
    html = auth.get("/customers/").get_data(as_text=True)
    assert 'data-testid="company-switcher">Acme &amp; Co<' in html
    assert 'data-testid="user-menu">Renamed Owner<' in html


def test_menu_follows_the_role_and_the_section(app, client, make_user, company):
    staff = make_user(company, "admin", email="admin@acme.example")
    client.login(staff)
    customers = _chrome(client.get("/customers/").get_data(as_text=True))
    assert re.search(r'href="/customers/" class="is-active" aria-current="page"', customers)
    assert 'href="/settings/"' in customers
    orders = _chrome(client.get("/orders/").get_data(as_text=True))
    assert re.search(r'href="/orders/" class="is-active"', orders)
    assert not re.search(r'href="/customers/" class="is-active"', orders)

    with company_ctx(app, company.id) as session:
        session.execute(
            update(Membership).where(Membership.id == staff.membership_id).values(role="kitchen")
        )
    kitchen = _chrome(client.get("/orders/").get_data(as_text=True))
    assert 'href="/settings/"' not in kitchen
    assert 'href="/customers/"' not in kitchen


def test_forms_carry_this_session_token_and_this_page_address(app, auth, client):
    html = auth.get("/customers/?q=a%22b&tag=x").get_data(as_text=True)
    page_token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    chrome = _chrome(html)
    tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', chrome))
    assert tokens == {page_token}
    # The language menu brings the reader back to this very page, safely escaped.
    nexts = set(re.findall(r'name="next" value="([^"]+)"', chrome))
    assert nexts == {"/customers/?q=a%22b&amp;tag=x"}
    # A token from the chrome is accepted: switching the language works.
    answer = client.raw.post(
        "/language", data={"csrf_token": page_token, "locale": "cs", "next": "/customers/"}
    )
    assert answer.status_code == 302
    assert 'lang="cs"' in auth.get("/customers/").get_data(as_text=True)
