"""Flow editing rules through the operations: each accepted edit, and each refusal with
its message — after which nothing was written."""

import pytest
from sqlalchemy import select

from bizkit.core.errors import BusinessRuleError
from bizkit.core.models import AuditEntry
from bizkit.extensions import db
from bizkit.workflow import editing
from bizkit.workflow import operations as workflow
from bizkit.workflow.models import WorkflowStatus
from tests.conftest import company_ctx
from tests.orders.conftest import load_order
from tests.workflow.conftest import user


def status(code):
    return db.session.execute(
        select(WorkflowStatus).where(WorkflowStatus.code == code)
    ).scalar_one_or_none()


def move(from_code, to_code):
    return workflow.load_flow("order").move(from_code, to_code)


def snapshot():
    flow = workflow.load_flow("order")
    return (
        [
            (s.code, s.label, s.color, s.is_initial, s.is_terminal, s.position)
            for s in flow.statuses
        ],
        [(t.from_code, t.to_code, list(t.roles), list(t.side_effects)) for t in flow.transitions],
    )


def refused(call, match, field=None):
    before = snapshot()
    with pytest.raises(BusinessRuleError, match=match) as error:
        call()
    assert error.value.field == field
    assert snapshot() == before
    return error.value


def test_add_a_status_with_a_code_from_its_name(app, company, owner):
    with company_ctx(app, company.id):
        actor = user(owner)
        added = editing.add_status(actor, "order", label="Čeká na díly", color="#AABBCC")
        assert (added.code, added.label, added.color) == ("CEKA_NA_DILY", "Čeká na díly", "#aabbcc")
        assert added.position == len(workflow.load_flow("order").statuses) - 1
        again = editing.add_status(actor, "order", label="Ceka na dily!", color="#000000")
        assert again.code == "CEKA_NA_DILY_2"
        assert editing.add_status(actor, "order", label="2nd try", color="#000000").code == (
            "STATUS_2ND_TRY"
        )
        assert editing.code_for("配達中", set()) == "STATUS"
        entry = (
            db.session.execute(select(AuditEntry).where(AuditEntry.action == "workflow.status_add"))
            .scalars()
            .first()
        )
        assert entry.actor_id == owner.id


def test_status_names_and_colours_are_checked(app, company, owner):
    with company_ctx(app, company.id):
        actor = user(owner)
        add = editing.add_status
        refused(lambda: add(actor, "order", label="  ", color="#123456"), "Enter a name", "label")
        refused(lambda: add(actor, "order", label="x" * 81, color="#123456"), "At most", "label")
        refused(lambda: add(actor, "order", label="ready", color="#123456"), "already", "label")
        for bad in ("red", "#12345", "#12345g", "", "#1234567"):
            refused(
                lambda bad=bad: add(actor, "order", label="Later", color=bad), "colour", "color"
            )


def test_rename_recolour_and_back_to_the_translated_name(app, company, owner):
    with company_ctx(app, company.id):
        actor, ready = user(owner), status("READY")
        editing.update_status(actor, ready, label="On the pass", color="#ff0000", terminal=False)
        assert (ready.label, ready.color, workflow.status_label(ready)) == (
            "On the pass",
            "#ff0000",
            "On the pass",
        )
        editing.update_status(actor, ready, label="Ready", color="#ff0000", terminal=False)
        assert ready.label is None  # the preset name again, translated for each reader
        editing.update_status(actor, ready, label="", color="#ff0000", terminal=False)
        assert ready.label is None
        refused(
            lambda: editing.update_status(
                actor, ready, label="Pending", color="#ff0000", terminal=False
            ),
            "already",
            "label",
        )


def test_reorder_and_choose_the_starting_status(app, company, owner):
    with company_ctx(app, company.id):
        actor = user(owner)
        editing.move_status(actor, status("READY"), -1)
        codes = [s.code for s in workflow.load_flow("order").statuses]
        assert codes[:4] == ["PENDING", "CONFIRMED", "READY", "PREPARING"]
        editing.move_status(actor, status("PENDING"), -1)  # already first: nothing happens
        assert [s.position for s in workflow.load_flow("order").statuses] == list(range(7))
        editing.set_initial(actor, status("CONFIRMED"))
        flow = workflow.load_flow("order")
        assert [s.code for s in flow.statuses if s.is_initial] == ["CONFIRMED"]
        assert workflow.initial_status("order") == "CONFIRMED"
        refused(lambda: editing.set_initial(actor, status("CANCELLED")), "final status")


def test_deleting_a_status_that_holds_orders_or_starts_them_is_refused(
    app, company, owner, make_order
):
    order_id = make_order(company, ("Soup", "1", "4.00"))
    with company_ctx(app, company.id):
        actor = user(owner)
        workflow.transition(load_order(order_id), "CONFIRMED", None)
        error = refused(
            lambda: editing.delete_status(actor, status("CONFIRMED")), "still holds 1 order"
        )
        assert "Confirmed" in error.message
        refused(lambda: editing.delete_status(actor, status("PENDING")), "where new entries start")


def test_deleting_the_only_way_out_of_a_status_with_orders_is_refused(
    app, company, owner, make_order
):
    order_id = make_order(company, ("Soup", "1", "4.00"))
    with company_ctx(app, company.id):
        actor, order = user(owner), load_order(order_id)
        for code in ("CONFIRMED", "PREPARING", "READY"):
            workflow.transition(order, code, None)
        editing.remove_transition(actor, move("READY", "COMPLETED"))
        editing.remove_transition(actor, move("READY", "CANCELLED"))
        # READY's one way out now leads to DELIVERED: neither may go.
        refused(lambda: editing.delete_status(actor, status("DELIVERED")), "no way out")
        refused(lambda: editing.remove_transition(actor, move("READY", "DELIVERED")), "no way out")
        # Without orders waiting in it, the same edits are fine.
        workflow.transition(order, "DELIVERED", None)
        editing.delete_status(actor, status("COMPLETED"))
        editing.remove_transition(actor, move("PREPARING", "CANCELLED"))
        assert status("COMPLETED") is None
        assert move("READY", "COMPLETED") is None


def test_deleting_a_status_takes_its_moves_with_it(app, company, owner):
    with company_ctx(app, company.id):
        actor = user(owner)
        editing.delete_status(actor, status("READY"))
        flow = workflow.load_flow("order")
        assert "READY" not in flow.by_code
        assert not [t for t in flow.transitions if "READY" in (t.from_code, t.to_code)]
        assert [s.position for s in flow.statuses] == list(range(6))


def test_final_or_open_never_changes_under_orders(app, company, owner, make_order):
    order_id = make_order(company, ("Soup", "1", "4.00"))
    done_id = make_order(company, ("Tea", "1", "2.00"))
    with company_ctx(app, company.id):
        actor = user(owner)
        workflow.transition(load_order(order_id), "CONFIRMED", None)
        done = load_order(done_id)
        workflow.transition(done, "CANCELLED", None)
        confirmed, cancelled = status("CONFIRMED"), status("CANCELLED")

        def update(s, terminal):
            return lambda: editing.update_status(
                actor, s, label=workflow.status_label(s), color=s.color, terminal=terminal
            )

        refused(update(confirmed, True), "making it final would close", "terminal")
        refused(update(cancelled, False), "stays final", "terminal")
        refused(update(status("PENDING"), True), "starting status cannot be final", "terminal")
        refused(update(status("READY"), True), "Remove the moves", "terminal")
        added = editing.add_status(actor, "order", label="Archived", color="#000000", terminal=True)
        editing.update_status(actor, added, label="Archived", color="#000000", terminal=False)
        assert added.is_terminal is False


def test_moves_are_added_checked_and_their_rules_changed(app, company, owner):
    with company_ctx(app, company.id):
        actor = user(owner)
        add = editing.add_transition
        new = add(
            actor,
            "order",
            from_code="READY",
            to_code="PREPARING",
            roles=["kitchen", "staff"],
            side_effects=["notify_customer", "reserve_stock"],
        )
        assert (new.roles, new.side_effects) == (
            ["staff", "kitchen"],
            ["reserve_stock", "notify_customer"],
        )
        everyone = editing.transition_roles()
        args = {"roles": everyone, "side_effects": []}
        refused(
            lambda: add(actor, "order", from_code="X", to_code="READY", **args),
            "starts",
            "from_code",
        )
        refused(
            lambda: add(actor, "order", from_code="READY", to_code="", **args), "goes to", "to_code"
        )
        refused(
            lambda: add(actor, "order", from_code="READY", to_code="READY", **args),
            "different",
            "to_code",
        )
        refused(
            lambda: add(actor, "order", from_code="READY", to_code="PREPARING", **args),
            "already",
            "to_code",
        )
        refused(
            lambda: add(actor, "order", from_code="CANCELLED", to_code="PENDING", **args),
            "final",
            "from_code",
        )
        base = {"from_code": "PENDING", "to_code": "READY"}
        refused(
            lambda: add(actor, "order", **base, roles=[], side_effects=[]),
            "at least one role",
            "roles",
        )
        refused(
            lambda: add(actor, "order", **base, roles=["accountant"], side_effects=[]),
            "Unknown role",
            "roles",
        )
        refused(
            lambda: add(actor, "order", **base, roles=["boss"], side_effects=[]),
            "Unknown role",
            "roles",
        )
        refused(
            lambda: add(actor, "order", **base, roles=everyone, side_effects=["explode"]),
            "Unknown side",
            "side_effects",
        )
        refused(
            lambda: add(
                actor,
                "order",
                **base,
                roles=everyone,
                side_effects=["reserve_stock", "release_stock"],
            ),
            "both reserve and release",
            "side_effects",
        )
        all_roles = add(actor, "order", **base, roles=everyone, side_effects=[])
        assert all_roles.roles == []  # stored as "every role that may move orders"


def test_allow_and_forbid_a_role(app, company, owner, make_user, make_order):
    cook = make_user(company, "kitchen")
    order_id = make_order(company, ("Soup", "1", "4.00"))
    with company_ctx(app, company.id):
        actor, pending_confirmed = user(owner), move("PENDING", "CONFIRMED")
        assert "kitchen" not in editing.roles_of(pending_confirmed)
        editing.allow_role(actor, pending_confirmed, "kitchen")
        workflow.transition(load_order(order_id), "CONFIRMED", user(cook))
        preparing = move("CONFIRMED", "PREPARING")
        editing.forbid_role(actor, preparing, "kitchen")
        assert preparing.roles == ["owner", "admin", "staff"]
        with pytest.raises(BusinessRuleError, match="Your role"):
            workflow.transition(load_order(order_id), "PREPARING", user(cook))
        for role in ("owner", "admin"):
            editing.forbid_role(actor, preparing, role)
        refused(
            lambda: editing.forbid_role(actor, preparing, "staff"), "at least one role", "roles"
        )
        assert preparing.roles == ["staff"]
