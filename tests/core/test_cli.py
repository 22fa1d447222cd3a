from sqlalchemy import func, select

from bizkit.auth.models import Membership, User
from bizkit.core.models import Company
from bizkit.extensions import db
from tests.conftest import BrowserlikeClient, UserRef, company_ctx


def _counts(app):
    with company_ctx(app):
        companies = db.session.execute(select(func.count()).select_from(Company)).scalar()
        users = db.session.execute(select(func.count()).select_from(User)).scalar()
        memberships = db.session.execute(
            select(func.count()).select_from(Membership).execution_options(all_companies=True)
        ).scalar()
    return companies, users, memberships


def test_demo_creates_the_two_companies_and_is_idempotent(app, rollback_db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["bizkit", "demo"])
    assert result.exit_code == 0, result.output
    assert _counts(app) == (2, 5, 6)
    again = runner.invoke(args=["bizkit", "demo"])
    assert again.exit_code == 0
    assert _counts(app) == (2, 5, 6)
    skipped = runner.invoke(args=["bizkit", "demo", "--if-empty"])
    assert "not loaded" in skipped.output
    with company_ctx(app):
        shop = db.session.execute(
            select(Company).where(Company.slug == "spoke-chain-bikes")
        ).scalar_one()
        assert (shop.business_type, shop.locale, shop.currency, shop.timezone) == (
            "bike_shop",
            "cs",
            "CZK",
            "Europe/Prague",
        )


def test_demo_accountant_sees_both_companies_in_the_switcher(app, rollback_db):
    app.test_cli_runner().invoke(args=["bizkit", "demo"])
    client = BrowserlikeClient(app, app.test_client())
    client.login(UserRef(0, "books@demo.test", "demo-password"))
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Trattoria Demo" in html and "Spoke &amp; Chain Bikes" in html
    with company_ctx(app):
        shop_id = db.session.execute(
            select(Company.id).where(Company.slug == "spoke-chain-bikes")
        ).scalar_one()
    response = client.post("/switch-company", {"company_id": str(shop_id)})
    assert response.status_code == 302
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'data-testid="company-switcher">Spoke &amp; Chain Bikes<' in html
    assert "<h1>Spoke &amp; Chain Bikes</h1>" in html


def test_create_company_and_user_commands(app, rollback_db):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "bizkit",
            "create-company",
            "--name",
            "Pet Palace",
            "--business-type",
            "pet_store",
            "--currency",
            "PLN",
            "--locale",
            "pl",
            "--timezone",
            "Europe/Warsaw",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "pet-palace" in result.output
    result = runner.invoke(
        args=[
            "bizkit",
            "create-user",
            "--email",
            "Boss@PetPalace.example",
            "--name",
            "Boss",
            "--company",
            "pet-palace",
            "--one-time",
        ]
    )
    assert result.exit_code == 0, result.output
    password = result.output.strip().rsplit(" ", 1)[-1]
    client = BrowserlikeClient(app, app.test_client())
    response = client.post("/login", {"email": "boss@petpalace.example", "password": password})
    assert response.headers["Location"].endswith("/account/password")


def test_create_company_reports_bad_input(app, rollback_db):
    result = app.test_cli_runner().invoke(
        args=["bizkit", "create-company", "--name", "Bad", "--currency", "EURO"]
    )
    assert result.exit_code != 0
    assert "currency" in result.output
