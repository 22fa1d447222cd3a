import pytest

from bizkit.core.models import Company
from bizkit.customers import operations as ops
from bizkit.extensions import db
from tests.conftest import company_ctx


@pytest.fixture
def make_customer(app, company):
    """Create a customer of `company` (or another) through the operation; returns its id."""

    def factory(name="Jana Nováková", target=None, **values) -> int:
        target = target or company
        with company_ctx(app, target.id):
            record = db.session.get(Company, target.id)
            return ops.create_customer(None, record, {"name": name, **values}).id

    return factory
