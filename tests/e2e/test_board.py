"""The live order board in two real browsers against gunicorn (as the Procfile runs it):
a move in one shows in the other without reload, and a change made while a board's
stream was down shows once it reconnects."""

from __future__ import annotations

import os
import re

import psycopg
import pytest
import redis as redis_lib
from playwright.sync_api import expect
from sqlalchemy import select

from bizkit import create_app
from bizkit.core import tenancy
from bizkit.core.models import Company
from bizkit.extensions import db
from bizkit.orders import operations as ops
from bizkit.orders.models import Order
from bizkit.workflow import operations as workflow
from tests.conftest import _with_database, app_config
from tests.e2e.conftest import login, separate_redis_db

pytestmark = pytest.mark.e2e

CARD = '[data-testid=order-card][data-number="{number}"]'


@pytest.fixture(scope="module")
def backend(live_server, services):
    """The app on the live server's database and Redis, to make changes as the system."""
    database_url = _with_database(services["admin_url"], f"bizkit_e2e_{os.getpid()}")
    app = create_app(app_config(database_url, separate_redis_db(services["redis_url"])))
    app.config["E2E_DATABASE_URL"] = database_url
    return app


def new_order(app, *statuses: str) -> int:
    """A Trattoria order (table 7) moved along `statuses`; returns its number."""
    with app.app_context():
        company = db.session.execute(
            select(Company).where(Company.slug == "trattoria-demo")
        ).scalar_one()
        tenancy.activate(company.id)
        order = ops.create_order(None, table_label="7")
        ops.add_line(None, order, description="Pizza", quantity="1", unit_price="9.90")
        for status in statuses:
            workflow.transition(order, status, None)
        db.session.commit()
        number = order.number
        db.session.remove()
    return number


def move(app, number: int, status: str) -> None:
    with app.app_context():
        company = db.session.execute(
            select(Company).where(Company.slug == "trattoria-demo")
        ).scalar_one()
        tenancy.activate(company.id)
        order = db.session.execute(select(Order).where(Order.number == number)).scalar_one()
        workflow.transition(order, status, None)
        db.session.commit()
        db.session.remove()


@pytest.fixture
def open_board(browser, live_server):
    """Open separate browsers (own cookies) logged in, on the board, stream open."""
    contexts = []

    def opener(email: str):
        contexts.append(browser.new_context())
        return _open_board(contexts[-1], live_server, email)

    yield opener
    for context in contexts:
        context.close()


def _open_board(context, live_server, email: str):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, live_server, email)
    expect(page.locator("nav.sidebar")).to_be_visible()
    with page.expect_response(lambda r: r.url.endswith("/orders/board/stream")):
        page.goto(live_server + "/orders/board")
    page.evaluate("window.boardNotReloaded = true")
    return page, errors


def in_column(page, status: str, number: int):
    return page.locator(f"[data-status={status}] " + CARD.format(number=number))


def test_a_move_on_one_board_shows_on_the_other_without_reload(backend, open_board):
    number = new_order(backend)
    owner, owner_errors = open_board("owner@trattoria.demo")
    kitchen, kitchen_errors = open_board("kitchen@trattoria.demo")
    expect(in_column(kitchen, "PENDING", number)).to_be_visible()
    # The kitchen may not confirm an order; the owner may.
    expect(in_column(kitchen, "PENDING", number).get_by_role("button")).to_have_count(0)

    in_column(owner, "PENDING", number).get_by_role("button", name="Confirmed").click()
    expect(in_column(owner, "CONFIRMED", number)).to_be_visible()
    expect(in_column(kitchen, "CONFIRMED", number)).to_be_visible(timeout=2000)
    # The mover is told in words (the card could land beyond those a column shows).
    expect(owner.locator("#board-status")).to_have_text(f"Order {number} is now Confirmed.")

    in_column(kitchen, "CONFIRMED", number).get_by_role("button", name="Preparing").click()
    expect(in_column(owner, "PREPARING", number)).to_be_visible(timeout=2000)

    # Orders created elsewhere appear too.
    created = new_order(backend)
    expect(in_column(kitchen, "PENDING", created)).to_be_visible(timeout=2000)

    assert owner.evaluate("window.boardNotReloaded") is True
    assert kitchen.evaluate("window.boardNotReloaded") is True
    assert owner_errors == [] and kitchen_errors == []
    # The open streams hold no database transaction while they wait.
    with psycopg.connect(backend.config["E2E_DATABASE_URL"]) as conn:
        stuck = conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND state LIKE 'idle in transaction%%'"
        ).fetchone()[0]
    assert stuck == 0


def version_of(app, number: int) -> int:
    with app.app_context():
        company = db.session.execute(
            select(Company).where(Company.slug == "trattoria-demo")
        ).scalar_one()
        tenancy.activate(company.id)
        order = db.session.execute(select(Order).where(Order.number == number)).scalar_one()
        version = order.version
        db.session.remove()
    return version


def test_a_double_click_moves_once_and_the_movers_board_is_fetched_once(backend, open_board):
    """The move's answer deletes the card (its buttons cannot post the same version again,
    which would be a false conflict) and the board refetches it in its new column once:
    the stream's refresh cancels the delayed one "board-changed" asked for."""
    number = new_order(backend)
    owner, errors = open_board("owner@trattoria.demo")
    expect(in_column(owner, "PENDING", number)).to_be_visible()
    owner.wait_for_timeout(500)  # the refetch the stream's first event asks for is done
    fetches = []
    owner.on(
        "request",
        lambda r: fetches.append(r.url) if r.method == "GET" and "/orders/board" in r.url else None,
    )

    in_column(owner, "PENDING", number).get_by_role("button", name="Confirmed").dblclick()
    expect(in_column(owner, "CONFIRMED", number)).to_be_visible(timeout=3000)
    owner.wait_for_timeout(1500)  # past the 500 ms the fallback would wait

    assert version_of(backend, number) == 2  # moved once
    expect(owner.get_by_text("Someone else changed this order")).to_have_count(0)
    refetches = [url for url in fetches if "/stream" not in url]
    assert len(refetches) == 1, refetches
    assert errors == []


def test_the_movers_board_shows_its_own_move_while_its_stream_is_down(
    backend, open_board, services
):
    number = new_order(backend)
    owner, errors = open_board("owner@trattoria.demo")
    expect(in_column(owner, "PENDING", number)).to_be_visible()
    cut_stream(owner, services)

    in_column(owner, "PENDING", number).get_by_role("button", name="Confirmed").click()
    expect(in_column(owner, "CONFIRMED", number)).to_be_visible(timeout=3000)
    assert owner.evaluate("window.boardNotReloaded") is True
    owner.unroute("**/orders/board/stream")


def test_a_move_clicked_while_the_board_is_refetching_is_sent_and_lands(backend, open_board):
    """On a busy board a refetch is often on its way when someone clicks. The click must
    not wait behind it: queued, htmx would drop it once the refetch replaced the card."""
    number = new_order(backend)
    owner, errors = open_board("owner@trattoria.demo")
    expect(in_column(owner, "PENDING", number)).to_be_visible()
    owner.wait_for_timeout(500)  # the refetch the stream's first event asks for is done

    held = []  # the next refetch stays on its way until released
    refetch = re.compile(r"/orders/board(\?.*)?$")  # (it names the page's company)
    owner.route(
        refetch,
        lambda route: held.append(route) if route.request.method == "GET" else route.continue_(),
    )
    owner.evaluate("htmx.trigger('#board', 'sse:refresh')")
    for _ in range(50):
        if held:
            break
        owner.wait_for_timeout(50)
    assert held, "the refetch was not sent"

    with owner.expect_request(lambda r: r.method == "POST" and "/move" in r.url, timeout=3000):
        in_column(owner, "PENDING", number).get_by_role("button", name="Confirmed").click()
    held[0].continue_()
    owner.unroute(refetch)

    expect(in_column(owner, "CONFIRMED", number)).to_be_visible(timeout=3000)
    assert version_of(backend, number) == 2
    assert errors == []


def test_a_board_follows_a_company_switch_made_in_another_tab(open_board):
    board, errors = open_board("books@demo.test")  # an accountant of both demo companies
    switcher = board.locator("[data-testid=company-switcher]")
    expect(switcher).to_have_text("Trattoria Demo")
    expect(board.locator("[data-status=PENDING]")).to_be_visible()

    other_tab = board.context.new_page()
    other_tab.goto(board.url.replace("/orders/board", "/dashboard"))
    other_tab.click("[data-testid=company-switcher]")
    other_tab.get_by_role("button", name=re.compile("Spoke & Chain Bikes")).click()
    expect(other_tab.locator("h1")).to_have_text("Spoke & Chain Bikes")

    board.evaluate("htmx.trigger('#board', 'sse:refresh')")  # the next change on the board
    expect(switcher).to_have_text("Spoke & Chain Bikes")
    expect(board.locator("[data-status=QUOTE_REQUESTED]")).to_be_visible()
    expect(board.locator("[data-status=PENDING]")).to_have_count(0)
    assert board.evaluate("window.boardNotReloaded") is None  # the page reloaded
    assert errors == []


def cut_stream(page, services) -> None:
    """The page's board stream drops, and reconnecting fails until `page.unroute`."""
    page.route("**/orders/board/stream", lambda route: route.abort())
    kill_board_streams(services)
    page.wait_for_timeout(500)


def kill_board_streams(services) -> None:
    """Drop the live server's board subscriptions in Redis: each open stream ends (as when
    Redis restarts) and its browser has to reconnect."""
    redis = redis_lib.Redis.from_url(separate_redis_db(services["redis_url"]))
    database = redis.connection_pool.connection_kwargs.get("db", 0)
    for client in redis.client_list():
        # (the rq worker's own subscription goes too; it reconnects by itself)
        if int(client.get("sub", 0)) > 0 and int(client.get("db", -1)) == database:
            redis.client_kill_filter(_id=client["id"])


def test_a_change_made_while_the_stream_was_down_shows_after_reconnection(
    backend, open_board, services
):
    number = new_order(backend)
    kitchen, _errors = open_board("kitchen@trattoria.demo")
    expect(in_column(kitchen, "PENDING", number)).to_be_visible()

    # The stream drops, and reconnecting fails for a while (a proxy restarting).
    cut_stream(kitchen, services)
    move(backend, number, "CONFIRMED")  # published while this board does not listen
    kitchen.wait_for_timeout(2500)
    expect(in_column(kitchen, "PENDING", number)).to_be_visible()  # it could not know

    with kitchen.expect_response(lambda r: r.url.endswith("/orders/board/stream"), timeout=20000):
        kitchen.unroute("**/orders/board/stream")
    expect(in_column(kitchen, "CONFIRMED", number)).to_be_visible(timeout=3000)
    assert kitchen.evaluate("window.boardNotReloaded") is True
