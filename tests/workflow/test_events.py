"""Board events: published after commit, one per move; a refused move drops only its own."""

import json

import pytest

from bizkit.core import events
from bizkit.core.errors import BusinessRuleError
from bizkit.workflow import operations as workflow
from tests.conftest import company_ctx
from tests.orders.conftest import load_order
from tests.workflow.conftest import user


def test_a_refused_move_keeps_the_events_of_the_moves_before_it(
    app, company, owner, make_item, make_order, redis_client
):
    bottle = make_item(company, "Last bottle", price="30.00", stock="1")
    first = make_order(company, (bottle, "1"))
    second = make_order(company, (bottle, "1"))
    listener = redis_client.pubsub()
    listener.subscribe(events.channel(company.id, "orders"))
    listener.get_message(timeout=1)  # the subscription confirmation
    with company_ctx(app, company.id):
        workflow.transition(load_order(first), "CONFIRMED", user(owner))
        with pytest.raises(BusinessRuleError):
            workflow.transition(load_order(second), "CONFIRMED", user(owner))
    message = listener.get_message(timeout=2)
    listener.close()
    assert message is not None, "the first order's event was lost with the refused move"
    payload = json.loads(message["data"])
    assert (payload["id"], payload["from"], payload["to"]) == (first, "PENDING", "CONFIRMED")
