"""The demo orders: both demo companies, every status of their flow reached by real
transitions (history and stock movements), catalog and free lines, idempotent."""

from sqlalchemy import func, select

from bizkit.core.models import Company
from bizkit.extensions import db
from bizkit.inventory.models import StockMovement
from bizkit.orders.models import Order, OrderLine
from bizkit.workflow import operations as workflow
from bizkit.workflow.models import StatusChange
from tests.conftest import company_ctx


def test_demo_orders_cover_every_status_with_real_history(app, rollback_db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["bizkit", "demo"]).exit_code == 0
    with app.app_context():
        companies = db.session.execute(
            select(Company.id, Company.slug).execution_options(all_companies=True)
        ).all()
    counts = {}
    for company_id, slug in companies:
        with company_ctx(app, company_id):
            flow = workflow.load_flow("order")
            statuses = set(db.session.execute(select(Order.status)).scalars())
            assert statuses == {s.code for s in flow.statuses}, slug
            counts[slug] = db.session.execute(select(func.count(Order.id))).scalar()
            assert 15 <= counts[slug] <= 25
            free = select(func.count()).where(OrderLine.variant_id.is_(None))
            assert db.session.execute(free).scalar() > 0
            walk_ins = select(func.count()).where(Order.customer_id.is_(None))
            assert db.session.execute(walk_ins).scalar() > 0
            moves = select(func.count()).where(StatusChange.from_code.is_not(None))
            assert db.session.execute(moves).scalar() > counts[slug]
            sales = select(func.count()).where(StockMovement.kind == "sale")
            assert db.session.execute(sales).scalar() > 0
    assert set(counts) == {"trattoria-demo", "spoke-chain-bikes"}
    assert runner.invoke(args=["bizkit", "demo"]).exit_code == 0  # again: nothing added
    for company_id, slug in companies:
        with company_ctx(app, company_id):
            assert db.session.execute(select(func.count(Order.id))).scalar() == counts[slug]
