"""The e-mail preview: the HTML part in a sandboxed frame of its own, styled (its own
policy allows inline styles, nothing else), never scripts."""

from __future__ import annotations

import re


def iframe_of(html: str) -> str:
    [tag] = re.findall(r"<iframe[^>]*>", html)
    return tag


def test_the_preview_frames_the_message_from_its_own_url(auth):
    page = auth.get("/settings/notifications?event=order_ready&locale=cs")
    assert page.status_code == 200
    tag = iframe_of(page.get_data(as_text=True))
    assert "srcdoc" not in tag and "style=" not in tag  # the page's CSP would block both
    assert re.search(r"\bsandbox(?=[\s>])", tag) and "allow-scripts" not in tag
    assert 'height="640"' in tag
    src = re.search(r'src="([^"]+)"', tag).group(1).replace("&amp;", "&")
    assert src.startswith("/settings/notifications/preview/email?")
    framed = auth.get(src)
    assert framed.status_code == 200 and framed.mimetype == "text/html"
    body = framed.get_data(as_text=True)
    assert '<html lang="cs">' in body and "Acme Bistro" in body
    policy = framed.headers["Content-Security-Policy"]
    assert "style-src 'unsafe-inline'" in policy and "default-src 'none'" in policy
    assert "script-src" not in policy and "sandbox" in policy
    assert "frame-ancestors 'self'" in policy
    assert framed.headers["X-Frame-Options"] == "SAMEORIGIN"
    # The page itself keeps its strict policy.
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]


def test_the_htmx_preview_swap_points_at_the_chosen_message(auth):
    fragment = auth.get(
        "/settings/notifications/preview?event=order_ready&locale=pl&channel=email",
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    src = re.search(r'src="([^"]+)"', iframe_of(fragment)).group(1).replace("&amp;", "&")
    assert "event=order_ready" in src and "locale=pl" in src
    assert '<html lang="pl">' in auth.get(src).get_data(as_text=True)


def test_logged_out_visitors_get_no_preview(client):
    response = client.get("/settings/notifications/preview/email")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
