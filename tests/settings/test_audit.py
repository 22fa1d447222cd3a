import datetime as dt

from bizkit.core import audit
from bizkit.core.models import AuditEntry, Company
from bizkit.extensions import db
from tests.conftest import company_ctx, text_of


def _entries(app, company, count, action="thing.update", days_ago=0):
    with company_ctx(app, company.id):
        target = db.session.get(Company, company.id)
        for n in range(count):
            entry = audit.record(None, action, target, {"n": [n, n + 1]})
            db.session.flush()
            entry.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)


def test_audit_page_lists_changes_with_who_and_what(auth, company):
    auth.post(
        "/settings/company",
        {
            "name": "Renamed Bistro",
            "business_type": "restaurant",
            "locale": "en",
            "timezone": "Europe/Rome",
            "currency": "EUR",
        },
    )
    page = text_of(auth.get("/settings/audit"))
    assert "Company details changed" in page
    assert "Acme Bistro" in page and "Renamed Bistro" in page
    assert "Test User" in page


def test_audit_filters_by_action_and_date(app, auth, company):
    _entries(app, company, 2, action="old.thing", days_ago=10)
    _entries(app, company, 3, action="new.thing")
    page = text_of(auth.get("/settings/audit?action=new."))
    assert page.count("new.thing") == 3 and "old.thing" not in page
    since = (dt.date.today() - dt.timedelta(days=3)).isoformat()
    page = text_of(auth.get(f"/settings/audit?since={since}"))
    assert "new.thing" in page and "old.thing" not in page


def test_audit_pages_with_a_cursor_without_gaps_or_repeats(app, auth, company):
    _entries(app, company, 120)
    first = auth.get("/settings/audit?action=thing.")
    html = first.get_data(as_text=True)
    assert html.count('class="audit-row"') == 50
    seen = html.count('class="audit-row"')
    import re

    cursor = re.search(r'href="[^"]*cursor=([^"&]+)', html).group(1)
    while cursor:
        more = auth.get(
            f"/settings/audit?action=thing.&cursor={cursor}", headers={"HX-Request": "true"}
        )
        part = more.get_data(as_text=True)
        assert "<html" not in part
        seen += part.count('class="audit-row"')
        match = re.search(r'href="[^"]*cursor=([^"&]+)', part)
        cursor = match.group(1) if match else None
    assert seen == 120


def test_audit_log_of_another_company_is_invisible(app, auth, make_company):
    other = make_company("Other")
    _entries(app, other, 2, action="secret.thing")
    assert "secret.thing" not in text_of(auth.get("/settings/audit"))
    with company_ctx(app, other.id):
        assert db.session.query(AuditEntry).filter_by(action="secret.thing").count() == 2
