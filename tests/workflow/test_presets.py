"""Every preset flow as a company of that business type lives it: each allowed move works
from a real path out of the starting status, refused moves change nothing, roles are held
to their limits, and final statuses never move again."""

from __future__ import annotations

from collections import deque

import pytest
from sqlalchemy import func, select

from bizkit.core.errors import BusinessRuleError
from bizkit.core.permissions import role_can
from bizkit.extensions import db
from bizkit.inventory.models import Variant
from bizkit.workflow import operations as workflow
from bizkit.workflow.models import StatusChange
from bizkit.workflow.presets import ORDER_PRESETS
from tests.conftest import company_ctx
from tests.orders.conftest import load_order
from tests.workflow.conftest import user

MOVES = [
    pytest.param(business, move, id=f"{business}:{move.from_code}->{move.to_code}")
    for business, preset in ORDER_PRESETS.items()
    for move in preset.transitions
]


def path_to(preset, code: str) -> list[str]:
    """The shortest list of statuses leading from the starting status to `code`."""
    start = next(s.code for s in preset.statuses if s.initial)
    paths = {start: []}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        for move in preset.transitions:
            if move.from_code == here and move.to_code not in paths:
                paths[move.to_code] = [*paths[here], move.to_code]
                queue.append(move.to_code)
    return paths[code]


def _snapshot(order, variant_id):
    variant = db.session.get(Variant, variant_id)
    db.session.refresh(variant)
    history = db.session.execute(
        select(func.count()).where(StatusChange.entity_id == order.id)
    ).scalar()
    return (order.status, order.version, history, variant.on_hand, variant.reserved)


@pytest.fixture
def business_company(make_company, make_user, make_item):
    def factory(business: str):
        company = make_company(f"A {business}", business_type=business)
        owner = make_user(company, "owner")
        item = make_item(company, "Part", price="10.00", stock="50")
        return company, owner, item

    return factory


@pytest.mark.parametrize(("business", "move"), MOVES)
def test_every_allowed_move_works_from_a_real_path(
    app, business_company, make_order, business, move
):
    preset = ORDER_PRESETS[business]
    company, owner, item = business_company(business)
    order_id = make_order(company, (item, "2"), ("Labour", "1", "30.00"))
    with company_ctx(app, company.id):
        order = load_order(order_id)
        for code in path_to(preset, move.from_code):
            workflow.transition(order, code, None)
        version = order.version
        change = workflow.transition(order, move.to_code, user(owner), note="walked")
        assert (order.status, order.version) == (move.to_code, version + 1)
        assert (change.from_code, change.to_code, change.note) == (
            move.from_code,
            move.to_code,
            "walked",
        )
        variant = db.session.get(Variant, item.variant_id)
        assert variant.reserved >= 0 and variant.on_hand - variant.reserved >= 0
        stock_state = order.lines[0].stock_state
        if move.to_code == "CANCELLED":  # whatever the order held is back on the shelf
            assert stock_state in ("none", "released")
            assert (variant.on_hand, variant.reserved) == (50, 0)
        if "deduct_stock" in move.side_effects:
            assert stock_state == "deducted" and variant.on_hand == 48
        if "reserve_stock" in move.side_effects:
            assert stock_state == "reserved" and variant.reserved == 2


@pytest.mark.parametrize("business", ORDER_PRESETS)
def test_moves_the_flow_does_not_allow_are_refused_and_change_nothing(
    app, business_company, make_order, business
):
    preset = ORDER_PRESETS[business]
    company, owner, item = business_company(business)
    open_codes = [s.code for s in preset.statuses if not s.terminal]
    all_codes = [s.code for s in preset.statuses]
    for code in open_codes:
        order_id = make_order(company, (item, "1"))
        with company_ctx(app, company.id):
            order = load_order(order_id)
            for step in path_to(preset, code):
                workflow.transition(order, step, None)
            allowed = {m.to_code for m in preset.transitions if m.from_code == code}
            refused = [c for c in all_codes if c not in allowed and c != code][:3]
            assert refused, f"{business}: {code} should refuse something"
            before = _snapshot(order, item.variant_id)
            for target in [*refused, code, "NO_SUCH_STATUS"]:
                with pytest.raises(BusinessRuleError) as error:
                    workflow.transition(order, target, user(owner))
                assert error.value.status == 422 and error.value.message
                assert _snapshot(order, item.variant_id) == before


@pytest.mark.parametrize("business", ORDER_PRESETS)
def test_each_role_may_make_exactly_the_moves_the_flow_gives_it(
    app, business_company, make_user, make_order, business
):
    preset = ORDER_PRESETS[business]
    company, _owner, item = business_company(business)
    members = {role: make_user(company, role) for role in ("staff", "kitchen", "accountant")}
    for move in preset.transitions:
        may = {
            role: role_can(role, "orders.transition") and (not move.roles or role in move.roles)
            for role in members
        }
        order_id = make_order(company, (item, "1"))
        with company_ctx(app, company.id):
            order = load_order(order_id)
            for step in path_to(preset, move.from_code):
                workflow.transition(order, step, None)
            before = _snapshot(order, item.variant_id)
            for role in [r for r in members if not may[r]]:
                with pytest.raises(BusinessRuleError, match="Your role") as error:
                    workflow.transition(order, move.to_code, user(members[role]))
                assert error.value.status == 403
                assert _snapshot(order, item.variant_id) == before, (move, role)
            allowed = [r for r in members if may[r]]
            if allowed:
                workflow.transition(order, move.to_code, user(members[allowed[-1]]))
                assert order.status == move.to_code
        assert not may["accountant"]
        assert may["staff"] == (not move.roles or "staff" in move.roles)


def test_the_presets_give_the_kitchen_work_and_the_accountant_none():
    for business, preset in ORDER_PRESETS.items():
        kitchen = [m for m in preset.transitions if not m.roles or "kitchen" in m.roles]
        assert kitchen, f"{business}: the kitchen / workshop can advance nothing"
        assert not any("accountant" in m.roles for m in preset.transitions), business
        assert not any("kitchen" in m.roles for m in preset.transitions if m.to_code == "CANCELLED")


@pytest.mark.parametrize("business", ORDER_PRESETS)
def test_final_statuses_refuse_every_move(app, business_company, make_order, business):
    preset = ORDER_PRESETS[business]
    company, owner, item = business_company(business)
    for final in [s.code for s in preset.statuses if s.terminal]:
        order_id = make_order(company, (item, "1"))
        with company_ctx(app, company.id):
            order = load_order(order_id)
            for step in path_to(preset, final):
                workflow.transition(order, step, None)
            before = _snapshot(order, item.variant_id)
            flow = workflow.load_flow("order")
            assert flow.moves_from(final, None) == []
            for target in [s.code for s in preset.statuses if s.code != final]:
                with pytest.raises(BusinessRuleError, match="final status"):
                    workflow.transition(order, target, user(owner))
                with pytest.raises(BusinessRuleError, match="final status"):
                    workflow.transition(order, target, None)  # not even the system
            assert _snapshot(order, item.variant_id) == before
