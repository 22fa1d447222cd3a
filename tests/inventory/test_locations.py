"""Every company starts with a default stock location; pages that show stock never write."""

from sqlalchemy import func, select

from bizkit.extensions import db
from bizkit.inventory.models import StockLocation
from tests.conftest import company_ctx


def test_a_new_company_has_its_default_location(app, company):
    with company_ctx(app, company.id):
        locations = db.session.execute(select(StockLocation)).scalars().all()
        assert [(loc.name, loc.is_default) for loc in locations] == [("Main store", True)]


def test_viewing_stock_pages_writes_nothing(app, client, company, make_user):
    client.login(make_user(company, "kitchen"))
    for path in ("/inventory/", "/inventory/variants", "/inventory/low-stock"):
        assert client.get(path).status_code == 200, path
    with company_ctx(app, company.id):
        count = db.session.execute(select(func.count()).select_from(StockLocation)).scalar()
        assert count == 1
