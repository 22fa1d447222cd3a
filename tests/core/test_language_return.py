"""The language menu returns to a page a GET can fetch, also on a page that answered a POST."""

import re


def _language_next(html: str) -> set[str]:
    chrome = html.split('<main class="content"', 1)[0]
    return set(re.findall(r'name="next" value="([^"]+)"', chrome))


def test_switching_language_after_a_refused_post_returns_to_the_page_it_came_from(auth, owner):
    refused = auth.post(
        f"/settings/users/{owner.membership_id}/role",
        {"role": "nonsense"},
        headers={"Referer": "http://localhost/settings/users?x=1"},
    )
    assert refused.status_code == 422
    assert _language_next(refused.get_data(as_text=True)) == {"/settings/users?x=1"}

    answer = auth.post("/language", {"locale": "cs", "next": "/settings/users?x=1"})
    assert answer.headers["Location"] == "/settings/users?x=1"
    assert auth.get(answer.headers["Location"]).status_code == 200


def test_without_a_referrer_of_this_site_it_returns_to_the_dashboard(auth, owner):
    for headers in ({}, {"Referer": "https://evil.example/settings/users"}):
        refused = auth.post(
            f"/settings/users/{owner.membership_id}/role", {"role": "nonsense"}, headers=headers
        )
        assert _language_next(refused.get_data(as_text=True)) == {"/dashboard"}


def test_a_post_only_address_sent_as_next_becomes_the_dashboard(auth, owner):
    # As the pages without the chrome (login, errors) send their own address.
    answer = auth.post(
        "/language", {"locale": "es", "next": f"/settings/users/{owner.membership_id}/role"}
    )
    assert answer.status_code == 302 and answer.headers["Location"] == "/dashboard"
    assert 'lang="es"' in auth.get("/dashboard").get_data(as_text=True)
