"""A move by id (`workflow.transition_by_id`, the board's one-click move): the move's
statement checks what SQL can and returns the row, so the order is not read first. It
must do exactly what `transition()` of the loaded order does, and refuse exactly as it
does: same history line, audit entry, side effects, messages and status codes."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select, update
from werkzeug.exceptions import NotFound

from bizkit.core.errors import BusinessRuleError
from bizkit.core.models import AuditEntry
from bizkit.extensions import db
from bizkit.inventory.models import Variant
from bizkit.orders.models import Order
from bizkit.workflow import editing
from bizkit.workflow import operations as workflow
from bizkit.workflow.models import StatusChange
from tests.conftest import company_ctx
from tests.orders.conftest import load_order
from tests.workflow.conftest import user


def _written(order_id: int):
    """What moves left about the order: its row, history and the moves' audit entries."""
    order = db.session.execute(
        select(Order.status, Order.version).where(Order.id == order_id)
    ).one()
    history = db.session.execute(
        select(StatusChange.from_code, StatusChange.to_code, StatusChange.actor_id)
        .where(StatusChange.entity_id == order_id)
        .order_by(StatusChange.id)
    ).all()
    audit = db.session.execute(
        select(AuditEntry.action, AuditEntry.entity_type, AuditEntry.actor_id, AuditEntry.changes)
        .where(AuditEntry.entity_id == order_id, AuditEntry.action == "order.transition")
        .order_by(AuditEntry.id)
    ).all()
    return tuple(order), history, audit


def _move_labels(order_id: int) -> list[str]:
    return list(
        db.session.execute(
            select(AuditEntry.entity_label)
            .where(AuditEntry.entity_id == order_id, AuditEntry.action == "order.transition")
            .order_by(AuditEntry.id)
        ).scalars()
    )


def test_a_move_by_id_writes_what_a_move_of_the_loaded_order_writes(
    app, company, make_user, make_item, make_order
):
    staff = make_user(company, "staff")
    wine = make_item(company, "Wine", price="40.00", stock="10")
    loaded_id = make_order(company, (wine, "2"))
    by_id = make_order(company, (wine, "2"))
    with company_ctx(app, company.id):
        workflow.transition(load_order(loaded_id), "CONFIRMED", user(staff))
        order, change = workflow.transition_by_id(
            Order, by_id, "CONFIRMED", user(staff), expected_version=1
        )
        # The entity as the ORM would have loaded it, after the move.
        assert (order.id, order.status, order.version) == (by_id, "CONFIRMED", 2)
        assert (change.from_code, change.to_code, change.actor_id) == (
            "PENDING",
            "CONFIRMED",
            staff.id,
        )
        assert change.id is not None and change.created_at is not None
    with company_ctx(app, company.id):
        assert _written(by_id) == _written(loaded_id)
        assert _written(by_id)[1][-1] == ("PENDING", "CONFIRMED", staff.id)
        assert _written(by_id)[2][-1].changes == {"status": ["PENDING", "CONFIRMED"]}
        moved = load_order(by_id)
        assert moved.updated_at >= moved.created_at
        # The flow's side effect ran: both orders hold their two bottles.
        variant = db.session.get(Variant, wine.variant_id)
        assert (variant.on_hand, variant.reserved) == (10, 4)
        # Labelled as the order's other audit entries are: by its number.
        for order_id in (loaded_id, by_id):
            assert _move_labels(order_id) == [f"Order {load_order(order_id).number}"]


def test_a_moves_audit_label_is_in_the_language_of_who_moved_it(app, company, make_order):
    order_id = make_order(company, ("Bread", "1", "1.00"))
    with company_ctx(app, company.id), force_locale("cs"):
        order, _change = workflow.transition_by_id(
            Order, order_id, "CONFIRMED", None, expected_version=1
        )
        workflow.transition(order, "PREPARING", None)
    with company_ctx(app, company.id):
        number = load_order(order_id).number
        assert _move_labels(order_id) == [f"Objednávka {number}"] * 2


def test_an_order_the_session_already_holds_is_the_one_moved(app, company, make_order):
    order_id = make_order(company, ("Bread", "1", "1.00"))
    with company_ctx(app, company.id):
        held = load_order(order_id)
        order, _change = workflow.transition_by_id(
            Order, order_id, "CONFIRMED", None, expected_version=1
        )
        assert order is held
        assert (held.status, held.version) == ("CONFIRMED", 2)


def _refusal(call):
    try:
        call()
    except BusinessRuleError as error:
        return type(error), error.status, error.message
    raise AssertionError("the move was not refused")


@pytest.mark.parametrize(
    ("setup", "to_code", "version", "role"),
    [
        pytest.param([], "CONFIRMED", 0, "owner", id="stale version"),
        pytest.param([], "NO_SUCH_STATUS", 1, "owner", id="no such status"),
        pytest.param([], "READY", 1, "owner", id="not a move of the flow"),
        pytest.param(["CANCELLED"], "CONFIRMED", 2, "owner", id="final status"),
        pytest.param(["CONFIRMED"], "CANCELLED", 2, "kitchen", id="not for the role"),
        pytest.param(["CONFIRMED"], "PREPARING", 2, "accountant", id="no transition right"),
    ],
)
def test_a_refused_move_by_id_says_what_transition_says_and_changes_nothing(
    app, company, make_user, make_order, setup, to_code, version, role
):
    actor_ref = make_user(company, role)
    order_id = make_order(company, ("Bread", "1", "1.00"))
    with company_ctx(app, company.id):
        for step in setup:
            workflow.transition(load_order(order_id), step, None)
    with company_ctx(app, company.id):
        before = _written(order_id)
        actor = user(actor_ref)
        by_id = _refusal(
            lambda: workflow.transition_by_id(
                Order, order_id, to_code, actor, expected_version=version
            )
        )
        assert _written(order_id) == before
        db.session.rollback()  # as the board does after a refusal
        loaded = _refusal(
            lambda: workflow.transition(
                load_order(order_id), to_code, actor, expected_version=version
            )
        )
        assert by_id == loaded
        assert _written(order_id) == before


def test_another_companys_order_is_not_found_and_not_moved(app, company, make_company, make_order):
    other = make_company("Other Bistro", business_type="restaurant")
    theirs = make_order(other, ("Bread", "1", "1.00"))
    with company_ctx(app, company.id):
        with pytest.raises(NotFound):
            workflow.transition_by_id(Order, theirs, "CONFIRMED", None, expected_version=1)
        with pytest.raises(NotFound):  # an id no row can have never reaches SQL
            workflow.transition_by_id(Order, 2**63, "CONFIRMED", None, expected_version=1)
    with company_ctx(app, other.id):
        assert _written(theirs)[0] == ("PENDING", 1)
        count = select(func.count()).where(StatusChange.entity_id == theirs)
        assert db.session.execute(count).scalar() == 1


def test_a_role_allowed_the_target_only_from_elsewhere_is_refused_by_the_order_it_sees(
    app, company, make_user, make_order
):
    """The statement's statuses are those the role may move from (here Preparing, after
    an edit); an order in another status is refused with the role's message."""
    owner, kitchen = make_user(company, "owner"), make_user(company, "kitchen")
    order_id = make_order(company, ("Bread", "1", "1.00"))
    with company_ctx(app, company.id):
        flow = workflow.load_flow("order")
        move = flow.move("PREPARING", "CANCELLED")
        editing.update_transition(
            user(owner), move, roles=[*move.roles, "kitchen"], side_effects=move.side_effects
        )
        workflow.transition(load_order(order_id), "CONFIRMED", None)
    with company_ctx(app, company.id):
        assert workflow.current_flow("order").sources("CANCELLED", "kitchen") == ("PREPARING",)
        before = _written(order_id)
        with pytest.raises(BusinessRuleError, match="Your role may not") as error:
            workflow.transition_by_id(
                Order, order_id, "CANCELLED", user(kitchen), expected_version=2
            )
        assert error.value.status == 403
        assert _written(order_id) == before


def test_a_refused_side_effect_leaves_the_held_order_as_the_database_has_it(
    app, company, make_item, make_order
):
    wine = make_item(company, "Rare wine", price="40.00", stock="1")
    order_id = make_order(company, (wine, "3"))
    with company_ctx(app, company.id):
        held = load_order(order_id)
        with pytest.raises(BusinessRuleError):
            workflow.transition_by_id(Order, order_id, "CONFIRMED", None, expected_version=1)
        db.session.rollback()  # as the board does
        assert (held.status, held.version) == ("PENDING", 1)
        assert _written(order_id)[1] == [(None, "PENDING", None)]


@pytest.mark.parametrize("savepoint", [True, False])
def test_a_refused_side_effect_puts_the_loaded_order_back_as_it_was(
    app, company, make_item, make_order, savepoint
):
    wine = make_item(company, "Rare wine", price="40.00", stock="1")
    order_id = make_order(company, (wine, "3"))
    with company_ctx(app, company.id):
        # Last changed long ago (the tests' one transaction gives every now() one value).
        long_ago = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        db.session.execute(update(Order).where(Order.id == order_id).values(updated_at=long_ago))
        order = load_order(order_id)
        seen = (order.status, order.version, order.updated_at)
        assert seen == ("PENDING", 1, long_ago)
        with pytest.raises(BusinessRuleError):
            workflow.transition(order, "CONFIRMED", None, savepoint=savepoint)
        # Without a savepoint the caller rolls back; the object is put back already.
        assert (order.status, order.version, order.updated_at) == seen


@pytest.mark.parametrize(
    ("label_format", "expected"),
    [
        ("Nr. %(number)s (100%%)", "Nr. {number} (100%)"),
        ("Order", "Order"),  # a translation that leaves the number out
    ],
)
def test_a_moves_audit_label_follows_the_format_as_python_renders_it(
    app, company, make_order, monkeypatch, label_format, expected
):
    monkeypatch.setitem(workflow.AUDIT_LABELS, "order", (label_format, "number"))
    order_id = make_order(company, ("Bread", "1", "1.00"))
    with company_ctx(app, company.id):
        workflow.transition_by_id(Order, order_id, "CONFIRMED", None, expected_version=1)
    with company_ctx(app, company.id):
        number = load_order(order_id).number
        assert _move_labels(order_id) == [expected.format(number=number)]
        assert _move_labels(order_id) == [label_format % {"number": number}]
