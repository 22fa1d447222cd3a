from bizkit.core.models import AuditEntry, Company
from bizkit.extensions import db
from tests.conftest import company_ctx, text_of

VALID = {
    "name": "Acme Bistro & Bar",
    "business_type": "restaurant",
    "locale": "en",
    "timezone": "Europe/Rome",
    "currency": "EUR",
    "vat_id": "IT 00743110157",
    "street": "Via Roma 1",
    "city": "Roma",
    "postal_code": "00100",
    "country": "it",
    "iban": "it60 x054 2811 1010 0000 0123 456",
}


def test_company_page_shows_the_profile(auth):
    response = auth.get("/settings/company")
    assert response.status_code == 200
    assert 'value="Acme Bistro"' in response.get_data(as_text=True)


def test_saving_the_profile_normalises_and_audits(app, auth, company, owner):
    response = auth.post("/settings/company", VALID)
    assert response.status_code == 302
    assert "Company settings saved." in text_of(auth.get("/settings/company"))
    with company_ctx(app, company.id):
        saved = db.session.get(Company, company.id)
        assert saved.name == "Acme Bistro & Bar"
        assert saved.iban == "IT60X0542811101000000123456"
        assert saved.vat_id == "IT00743110157"
        assert saved.country == "IT"
        entry = db.session.query(AuditEntry).filter_by(action="company.update").one()
        assert entry.actor_id == owner.id
        assert entry.changes["name"] == ["Acme Bistro", "Acme Bistro & Bar"]


def test_invalid_iban_is_shown_next_to_the_field_and_nothing_is_saved(app, auth, company):
    response = auth.post("/settings/company", {**VALID, "iban": "CZ00 1234", "name": "Changed"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="iban-error"' in html
    assert "This IBAN is not valid." in html
    with company_ctx(app, company.id):
        saved = db.session.get(Company, company.id)
        assert saved.name == "Acme Bistro"
        assert db.session.query(AuditEntry).filter_by(action="company.update").count() == 0


def test_invalid_vat_number_is_refused(auth):
    response = auth.post("/settings/company", {**VALID, "vat_id": "CZ12345678"})
    assert response.status_code == 422
    assert 'id="vat_id-error"' in response.get_data(as_text=True)


def test_unknown_choices_are_refused(auth):
    for field, value in (
        ("currency", "XXY"),
        ("timezone", "Mars/Base"),
        ("business_type", "casino"),
        ("locale", "fr"),
    ):
        response = auth.post("/settings/company", {**VALID, field: value})
        assert response.status_code == 422, field
        assert f'id="{field}-error"' in response.get_data(as_text=True), field


def test_empty_name_is_refused(auth):
    response = auth.post("/settings/company", {**VALID, "name": "  "})
    assert response.status_code == 422


def test_readonly_view_for_the_accountant(client, company, make_user):
    client.login(make_user(company, "accountant"))
    html = client.get("/settings/company").get_data(as_text=True)
    assert "<fieldset disabled>" in html
    assert "Only owners and administrators can change these settings." in html


def test_a_currency_with_three_decimals_cannot_be_chosen(app, auth, company):
    """Amounts are kept to two places: BHD (0.001) would be rounded wrongly everywhere."""
    import pytest

    from bizkit.core.errors import BusinessRuleError
    from bizkit.core.models import Company
    from bizkit.extensions import db
    from bizkit.settings import operations as ops
    from tests.conftest import company_ctx

    html = auth.get("/settings/company").get_data(as_text=True)
    assert '<option value="JPY">' in html and '<option value="CZK">' in html
    assert '<option value="BHD">' not in html and '<option value="KWD">' not in html
    response = auth.post("/settings/company", {**VALID, "currency": "BHD"})
    assert response.status_code == 422
    assert 'id="currency-error"' in response.get_data(as_text=True)
    with (
        company_ctx(app, company.id),
        pytest.raises(BusinessRuleError, match="BHD needs 3"),
    ):
        ops.update_company(None, db.session.get(Company, company.id), {"currency": "BHD"})


def test_a_company_already_in_bhd_keeps_it_and_can_save(app, auth, company):
    from sqlalchemy import update

    from bizkit.core.models import Company
    from bizkit.extensions import db
    from tests.conftest import company_ctx

    with company_ctx(app, company.id):
        db.session.execute(update(Company).where(Company.id == company.id).values(currency="BHD"))
    assert '<option selected value="BHD">' in auth.get("/settings/company").get_data(
        as_text=True
    ) or 'value="BHD" selected' in auth.get("/settings/company").get_data(as_text=True)
    response = auth.post("/settings/company", {**VALID, "name": "Renamed", "currency": "BHD"})
    assert response.status_code == 302
    with company_ctx(app, company.id):
        saved = db.session.get(Company, company.id)
        assert (saved.name, saved.currency) == ("Renamed", "BHD")
