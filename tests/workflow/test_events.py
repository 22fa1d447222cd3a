"""Board events: published after commit, one per move; a refused move drops only its own."""

import json

import pytest

from bizkit.core import events
from bizkit.core.errors import BusinessRuleError
from bizkit.workflow import operations as workflow
from tests.conftest import company_ctx
from tests.orders.conftest import load_order
from tests.workflow.conftest import user


def orders_listener(app, redis_client, company):
    """A pub/sub subscription to the company's order events, confirmed."""
    listener = redis_client.pubsub()
    with app.app_context():
        listener.subscribe(events.channel(company.id, "orders"))
    listener.get_message(timeout=1)  # the subscription confirmation
    return listener


def test_a_refused_move_keeps_the_events_of_the_moves_before_it(
    app, company, owner, make_item, make_order, redis_client
):
    bottle = make_item(company, "Last bottle", price="30.00", stock="1")
    first = make_order(company, (bottle, "1"))
    second = make_order(company, (bottle, "1"))
    listener = orders_listener(app, redis_client, company)
    with company_ctx(app, company.id):
        workflow.transition(load_order(first), "CONFIRMED", user(owner))
        with pytest.raises(BusinessRuleError):
            workflow.transition(load_order(second), "CONFIRMED", user(owner))
    message = listener.get_message(timeout=2)
    listener.close()
    assert message is not None, "the first order's event was lost with the refused move"
    payload = json.loads(message["data"])
    assert (payload["id"], payload["from"], payload["to"]) == (first, "PENDING", "CONFIRMED")


def test_events_wait_for_the_commit_not_a_savepoints_release(
    app, company, owner, make_order, redis_client
):
    """A savepoint released after a move (a later step of the same request) is not the
    commit: rolled back afterwards, the move never happened, and no board may hear of it."""
    from bizkit.extensions import db

    undone, done = make_order(company), make_order(company)
    listener = orders_listener(app, redis_client, company)
    with company_ctx(app, company.id):
        workflow.transition(load_order(undone), "CONFIRMED", user(owner))
        with db.session.begin_nested():
            pass  # released: SQLAlchemy's after_commit comes for it too
        db.session.rollback()
    with company_ctx(app, company.id):
        assert load_order(undone).status == "PENDING"
        workflow.transition(load_order(done), "CONFIRMED", user(owner))
    message = listener.get_message(timeout=2)
    listener.close()
    assert message is not None, "the committed move was not announced"
    assert json.loads(message["data"])["id"] == done


def test_installations_sharing_a_redis_server_keep_their_events_apart(app, database_url):
    """Pub/sub ignores Redis database numbers: the channel names the installation."""
    from sqlalchemy import make_url

    from bizkit import create_app
    from tests.conftest import app_config

    other_database = (
        make_url(database_url).set(database="another_installation").render_as_string(False)
    )
    other = create_app(app_config(other_database, app.config["REDIS_URL"]))
    named = create_app(
        app_config(database_url, app.config["REDIS_URL"], BIZKIT_EVENTS_NAMESPACE="shop-a")
    )
    with app.app_context():
        ours = events.channel(1, "orders")
        assert events.channel(1, "orders") == ours  # stable within an installation
        assert events.channel(2, "orders") != ours
    with other.app_context():
        assert events.channel(1, "orders") != ours
    with named.app_context():
        assert events.channel(1, "orders") == "bizkit:shop-a:events:1:orders"
