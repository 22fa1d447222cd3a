"""The live order board: columns and cards, one-click moves per role, conflicts, constant
queries, and the Server-Sent Events stream fed by real Redis pub/sub."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from bizkit.auth.models import User
from bizkit.extensions import db
from bizkit.orders import operations as ops
from bizkit.workflow import operations as workflow
from tests.conftest import BrowserlikeClient, company_ctx, count_queries, text_of
from tests.orders.conftest import load_order

# -- helpers ------------------------------------------------------------------------------


def place(app, company, order_id: int, *statuses: str) -> None:
    """Move an order along its flow as the system would."""
    with company_ctx(app, company.id):
        order = load_order(order_id)
        for status in statuses:
            workflow.transition(order, status, None)


def columns(response) -> dict[str, dict[int, list[str]]]:
    """{status code: {order number: [button labels]}} as the board shows them."""
    html = response.get_data(as_text=True)
    board = {}
    for section in re.split(r'(?=<section class="board-column")', html)[1:]:
        code = re.search(r'data-status="([A-Z_]+)"', section).group(1)
        cards = {}
        for card in re.findall(r'<li class="board-card.*?</li>', section, flags=re.S):
            number = int(re.search(r'data-number="(\d+)"', card).group(1))
            buttons = re.findall(r"<button[^>]*>\s*(.*?)\s*</button>", card, flags=re.S)
            cards[number] = buttons
        board[code] = cards
    return board


@pytest.fixture
def restaurant_orders(app, company, make_order):
    """#1 pending (walk-in, table 4), #2 confirmed (take-away), #3 delivered (closed)."""
    first = make_order(company, ("Pizza", "2", "9.90"), table_label="4")
    second = make_order(company, ("Tiramisu", "1", "5.00"), takeaway=True)
    third = make_order(company, ("Water", "1", "2.00"))
    place(app, company, second, "CONFIRMED")
    place(app, company, third, "CONFIRMED", "PREPARING", "READY", "DELIVERED")
    return {"pending": first, "confirmed": second, "delivered": third}


# -- the page -----------------------------------------------------------------------------


def test_open_orders_appear_in_their_status_columns_and_closed_ones_do_not(auth, restaurant_orders):
    response = auth.get("/orders/board")
    assert response.status_code == 200
    board = columns(response)
    assert list(board) == ["PENDING", "CONFIRMED", "PREPARING", "READY"]
    assert list(board["PENDING"]) == [1]
    assert list(board["CONFIRMED"]) == [2]
    assert board["PREPARING"] == {} and board["READY"] == {}
    text = text_of(response)
    assert "Table 4" in text and "Take-away" in text
    assert "2 lines" not in text and "1 line" in text
    assert "€19.80" in text  # 2 × 9.90
    assert "Delivered" not in text  # terminal statuses are not columns
    assert "sse.min.js" in response.get_data(as_text=True)


def test_a_cards_age_reads_in_each_readers_language(app, company, make_user, make_order):
    """The age texts are kept by the process, per language: a Polish reader after an
    English one must not get the English text."""
    order_id = make_order(company, ("Pizza", "1", "9.90"))
    with company_ctx(app, company.id):
        load_order(order_id).created_at = datetime.now(UTC) - timedelta(hours=3, minutes=1)
    for locale, age in (("en", "3 hr"), ("pl", "3 godz."), ("en", "3 hr")):
        reader = BrowserlikeClient(app, app.test_client())
        reader.login(make_user(company, "staff", locale=locale))
        html = reader.get("/orders/board").get_data(as_text=True)
        assert f'<span class="board-card__age muted">{age}</span>' in html, locale


def test_a_board_page_of_another_company_reloads_instead_of_mixing_companies(
    app, auth, company, make_user, restaurant_orders
):
    """After a company switch in another tab, the open board's refetch (and a click on it)
    would show or act on the other company while its stream listens to the first one:
    the server asks the page to reload, which follows the switch."""
    page = auth.get("/orders/board").get_data(as_text=True)
    assert f"hx-vals='{{\"company\": {company.id}}}'" in page
    htmx = {"HX-Request": "true"}
    same = auth.get(f"/orders/board?company={company.id}", headers=htmx)
    assert same.status_code == 200 and "HX-Refresh" not in same.headers
    assert "board-column" in same.get_data(as_text=True)

    other = auth.get(f"/orders/board?company={company.id + 1000}", headers=htmx)
    assert other.status_code == 200 and other.headers["HX-Refresh"] == "true"
    assert other.get_data(as_text=True) == ""
    move = auth.post(
        f"/orders/board/{restaurant_orders['pending']}/move",
        {"to": "CONFIRMED", "version": "1", "company": str(company.id + 1000)},
        headers=htmx,
    )
    assert move.headers["HX-Refresh"] == "true"
    with company_ctx(app, company.id):
        assert load_order(restaurant_orders["pending"]).status == "PENDING"  # not moved
    # Also when the role in the company now current may not move orders (an accountant):
    # the reload comes before the permission check, whose 403 htmx would not show.
    reader = BrowserlikeClient(app, app.test_client())
    reader.login(make_user(company, "accountant"))
    refused_here = reader.post(
        f"/orders/board/{restaurant_orders['pending']}/move",
        {"to": "CONFIRMED", "version": "1", "company": str(company.id + 1000)},
        headers=htmx,
    )
    assert refused_here.headers.get("HX-Refresh") == "true", refused_here.status_code


def test_the_sse_extension_is_loaded_only_on_the_board(auth):
    assert "sse.min.js" not in auth.get("/dashboard").get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "pending_buttons", "confirmed_buttons"),
    [
        ("owner", ["Confirmed", "Cancelled"], ["Preparing", "Cancelled"]),
        ("staff", ["Confirmed", "Cancelled"], ["Preparing", "Cancelled"]),
        ("kitchen", [], ["Preparing"]),
        ("accountant", [], []),
    ],
)
def test_each_card_offers_only_the_moves_the_role_may_make(
    client, company, make_user, restaurant_orders, role, pending_buttons, confirmed_buttons
):
    client.login(make_user(company, role))
    board = columns(client.get("/orders/board"))
    assert board["PENDING"][1] == pending_buttons
    assert board["CONFIRMED"][2] == confirmed_buttons


def test_a_click_moves_the_card_without_rendering_the_board_and_the_board_refetches(
    app, auth, company, restaurant_orders
):
    order_id = restaurant_orders["pending"]
    page = auth.get("/orders/board").get_data(as_text=True)
    response = auth.post(
        f"/orders/board/{order_id}/move",
        {"to": "CONFIRMED", "version": "1"},
        headers={"HX-Request": "true"},
    )
    # No board in the answer: htmx deletes the moved card (its buttons may not be clicked
    # again with the version just used) and the page hears "board-changed", fired on the
    # body so it is heard even when a refetch already replaced the card's form.
    assert response.status_code == 200
    # The answer is one line said out of band, no board.
    assert "board-column" not in response.text and 'hx-swap-oob="true"' in response.text
    assert text_of(response) == "Order 1 is now Confirmed."
    assert response.headers["HX-Retarget"] == f"#order-card-{order_id}"
    assert response.headers["HX-Reswap"] == "delete"
    assert json.loads(response.headers["HX-Trigger"]) == {"board-changed": {"target": "body"}}
    assert f'id="order-card-{order_id}"' in page  # what HX-Retarget names
    assert "board-changed from:body" in page  # the board refetches itself on it
    # The refetch shows the card in its new column.
    board = columns(auth.get("/orders/board", headers={"HX-Request": "true"}))
    assert board["PENDING"] == {} and sorted(board["CONFIRMED"]) == [1, 2]
    with company_ctx(app, company.id):
        assert load_order(order_id).status == "CONFIRMED"


def test_a_stale_click_is_a_conflict_shown_on_the_card_and_changes_nothing(
    app, auth, company, restaurant_orders
):
    order_id = restaurant_orders["confirmed"]  # version 2 after its move to CONFIRMED
    place(app, company, order_id, "PREPARING")  # someone else moved it meanwhile
    response = auth.post(
        f"/orders/board/{order_id}/move",
        {"to": "CANCELLED", "version": "2"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409
    assert "HX-Retarget" not in response.headers  # the board body, for #board as the form says
    assert "<html" not in response.get_data(as_text=True)
    assert "Someone else changed this order a moment ago" in text_of(response)
    assert 2 in columns(response)["PREPARING"]  # the card, refreshed, in its real column
    assert f'name="notice" value="{order_id}"' in response.get_data(as_text=True)
    with company_ctx(app, company.id):
        assert load_order(order_id).status == "PREPARING"
    # A refetch that carries the notice back (as the page does) keeps the message ...
    again = auth.get(f"/orders/board?notice={order_id}", headers={"HX-Request": "true"})
    assert "Someone else changed this order" in text_of(again)
    # ... and a plain one does not.
    assert "Someone else changed" not in text_of(auth.get("/orders/board"))


def test_a_successful_click_on_a_card_with_a_conflict_message_takes_the_message_away(
    app, auth, company, restaurant_orders
):
    """The message's `notice` input is inside the card HX-Retarget deletes, so the board's
    next refetch no longer sends it back (the re-rendered board used to drop it)."""
    order_id = restaurant_orders["confirmed"]
    place(app, company, order_id, "PREPARING")
    url, htmx = f"/orders/board/{order_id}/move", {"HX-Request": "true"}
    assert auth.post(url, {"to": "CANCELLED", "version": "2"}, headers=htmx).status_code == 409
    shown = auth.get(f"/orders/board?notice={order_id}", headers={"HX-Request": "true"})
    card = re.search(rf'<li [^>]*id="order-card-{order_id}".*?</li>', shown.text, flags=re.S)
    assert f'name="notice" value="{order_id}"' in card.group(0)
    response = auth.post(url, {"to": "READY", "version": "3", "notice": order_id}, headers=htmx)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == f"#order-card-{order_id}"
    # What happened, in words, out of band (the card may land among a column's "+N more").
    assert 'id="board-status"' in response.text and 'hx-swap-oob="true"' in response.text
    assert text_of(response) == "Order 2 is now Ready."
    refetched = auth.get("/orders/board", headers={"HX-Request": "true"})
    assert 2 in columns(refetched)["READY"]
    assert "Someone else changed" not in text_of(refetched)


def test_a_move_the_role_may_not_make_is_refused_with_a_message(
    app, client, company, make_user, restaurant_orders
):
    client.login(make_user(company, "kitchen"))
    response = client.post(
        f"/orders/board/{restaurant_orders['pending']}/move",
        {"to": "CONFIRMED", "version": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 403
    assert "Your role may not move this" in text_of(response)
    with company_ctx(app, company.id):
        assert load_order(restaurant_orders["pending"]).status == "PENDING"


def test_a_refused_side_effect_leaves_the_card_where_it_was(
    app, auth, company, make_item, make_order
):
    """Confirming reserves stock; not enough stock refuses the move and nothing shows moved."""
    wine = make_item(company, "Rare wine", price="40.00", stock="1")
    order_id = make_order(company, (wine, "3"))
    response = auth.post(
        f"/orders/board/{order_id}/move",
        {"to": "CONFIRMED", "version": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert list(columns(response)["PENDING"]) == [1]
    assert "board-card--notice" in response.get_data(as_text=True)
    with company_ctx(app, company.id):
        assert load_order(order_id).status == "PENDING"


def test_another_companys_order_is_not_found(auth, make_company, make_order):
    other = make_company("Elsewhere", business_type="restaurant")
    foreign = make_order(other, ("Soup", "1", "4.00"))
    response = auth.post(f"/orders/board/{foreign}/move", {"to": "CONFIRMED", "version": "1"})
    assert response.status_code == 404
    assert columns(auth.get("/orders/board"))["PENDING"] == {}


def test_queries_do_not_grow_with_the_cards(app, auth, company, make_order):
    ids = [make_order(company, ("Bread", "1", "1.00"), ("Oil", "1", "2.00")) for _ in range(3)]
    place(app, company, ids[0], "CONFIRMED")
    auth.get("/orders/board")  # the process keeps the flow from here on
    few = count_queries(app, auth, "/orders/board")
    for n in range(27):
        order_id = make_order(company, ("Bread", "1", "1.00"))
        if n % 3 == 0:
            place(app, company, order_id, "CONFIRMED", "PREPARING")
    many = count_queries(app, auth, "/orders/board")
    response = auth.get("/orders/board")
    shown = {code: len(cards) for code, cards in columns(response).items()}
    assert shown == {"PENDING": 12, "CONFIRMED": 1, "PREPARING": 9, "READY": 0}  # 12 a column
    assert "+8 more" in text_of(response)
    assert few == many
    assert many <= 8


def test_a_full_column_shows_the_oldest_cards_and_how_many_more(
    app, auth, company, make_order, monkeypatch
):
    from bizkit.orders import board_data

    monkeypatch.setattr(board_data, "CARDS_PER_COLUMN", 2)
    monkeypatch.setattr(board_data.load_board, "__defaults__", (2,))
    for _ in range(5):
        make_order(company, ("Bread", "1", "1.00"))
    response = auth.get("/orders/board")
    assert list(columns(response)["PENDING"]) == [1, 2]
    assert "+3 more" in text_of(response)


# -- login and permissions ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/orders/board", "/orders/board/stream"])
def test_board_and_stream_need_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_board_routes_declare_their_permissions(app):
    """Every role holds orders.view today; the declaration is what keeps it that way."""
    declared = {
        endpoint: app.view_functions[endpoint].bizkit_permission
        for endpoint in ("orders.board", "orders.board_stream", "orders.board_move")
    }
    assert declared == {
        "orders.board": "orders.view",
        "orders.board_stream": "orders.view",
        "orders.board_move": "orders.transition",
    }


def test_moving_needs_the_transition_permission(client, company, make_user, restaurant_orders):
    client.login(make_user(company, "accountant"))
    response = client.post(
        f"/orders/board/{restaurant_orders['pending']}/move", {"to": "CONFIRMED", "version": "1"}
    )
    assert response.status_code == 403


# -- the stream ---------------------------------------------------------------------------


@pytest.fixture
def fast_stream(app):
    """Heartbeats every 0.3 s, so a quiet stream still hands back control to the test."""
    saved = {k: app.config.get(k) for k in ("BOARD_HEARTBEAT_SECONDS", "BOARD_STREAM_SECONDS")}
    app.config.update(BOARD_HEARTBEAT_SECONDS=0.3, BOARD_STREAM_SECONDS=30.0)
    yield
    for key, value in saved.items():
        if value is None:
            app.config.pop(key, None)
        else:
            app.config[key] = value


class Stream:
    """An open /orders/board/stream read event by event through the test client."""

    def __init__(self, client):
        self.response = client.raw.get("/orders/board/stream", buffered=False)
        assert self.response.status_code == 200
        assert self.response.mimetype == "text/event-stream"
        self.chunks = iter(self.response.response)

    def next_event(self, within: float = 2.0) -> str | None:
        """The next `event:` name, or None if only heartbeats came for `within` seconds."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            chunk = next(self.chunks)
            chunk = chunk.decode() if isinstance(chunk, bytes) else chunk
            if chunk.startswith(":"):
                continue
            match = re.search(r"^event: (\w+)$", chunk, flags=re.M)
            self.last_data = re.search(r"^data: (.*)$", chunk, flags=re.M).group(1)
            return match.group(1)
        return None

    def close(self):
        self.response.close()


@pytest.fixture
def stream(auth, fast_stream):
    opened = []

    def open_stream():
        opened.append(Stream(auth))
        return opened[-1]

    yield open_stream
    for s in opened:
        s.close()


def _owner(owner):
    return db.session.get(User, owner.id)


def test_the_stream_starts_with_a_refresh_then_announces_committed_moves(
    app, company, owner, restaurant_orders, stream
):
    board = stream()
    assert board.next_event() == "refresh"  # (re)connected: refetch first
    assert board.next_event(within=0.5) is None  # nothing happened
    with company_ctx(app, company.id):
        workflow.transition(load_order(restaurant_orders["pending"]), "CONFIRMED", _owner(owner))
    assert board.next_event() == "refresh"
    assert str(restaurant_orders["pending"]) in board.last_data


def test_new_orders_and_line_changes_are_announced_too(app, company, make_order, stream):
    board = stream()
    assert board.next_event() == "refresh"
    order_id = make_order(company, ("Soup", "1", "4.00"))
    assert board.next_event() == "refresh"
    with company_ctx(app, company.id):
        order = load_order(order_id)
        ops.update_line(None, order, order.lines[0], quantity="2")
    assert board.next_event() == "refresh"
    assert str(order_id) in board.last_data


def test_a_rolled_back_move_is_never_announced(app, company, restaurant_orders, stream):
    board = stream()
    assert board.next_event() == "refresh"
    with app.app_context():
        from bizkit.core import tenancy

        tenancy.activate(company.id)
        workflow.transition(load_order(restaurant_orders["pending"]), "CONFIRMED", None)
        db.session.rollback()
        db.session.remove()
    assert board.next_event(within=1.0) is None
    with company_ctx(app, company.id):
        assert load_order(restaurant_orders["pending"]).status == "PENDING"


def test_another_companys_moves_are_not_sent(app, make_company, make_order, stream):
    other = make_company("Elsewhere", business_type="restaurant")
    foreign = make_order(other, ("Soup", "1", "4.00"))
    board = stream()
    assert board.next_event() == "refresh"
    place(app, other, foreign, "CONFIRMED")
    assert board.next_event(within=1.0) is None


def test_a_closed_stream_leaves_no_subscription_behind(app, company, stream, redis_client):
    """Counted with CLIENT LIST on this test run's Redis database: channels are global to
    the server, and other checkouts' tests may subscribe to a company 1 of their own."""
    before = _subscribed_clients(redis_client)
    board = stream()
    assert board.next_event() == "refresh"
    streaming = _subscribed_clients(redis_client) - before
    assert len(streaming) == 1
    board.close()
    assert not streaming & _subscribed_clients(redis_client)


def _subscribed_clients(redis_client) -> set[str]:
    """Ids of the Redis connections subscribed to something, on this run's database."""
    database = redis_client.connection_pool.connection_kwargs.get("db", 0)
    return {
        client["id"]
        for client in redis_client.client_list()
        if int(client.get("sub", 0)) > 0 and int(client.get("db", -1)) == database
    }


def test_a_lost_redis_subscription_makes_the_board_refetch(app, company, stream, redis_client):
    """Whatever was published while the subscription was down is lost: the board must
    refetch, whether the stream resubscribes by itself or ends for the browser to retry."""
    board = stream()
    assert board.next_event() == "refresh"
    for client_id in _subscribed_clients(redis_client):
        redis_client.client_kill_filter(_id=client_id)
    try:
        assert board.next_event() == "refresh"
        assert "reconnected" in board.last_data
    except StopIteration:
        pass  # the stream ended: the browser reconnects, and every connection starts with one


def move_statements(app, auth, order_id, version, to) -> list[str]:
    """The SQL a move sends, as "<verb> <table>" (the test's own SAVEPOINT and RELEASE,
    which join the request to the rolled-back test transaction, left out)."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = auth.post(
            f"/orders/board/{order_id}/move",
            {"to": to, "version": str(version)},
            headers={"HX-Request": "true"},
        )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    assert statements[0].startswith("SAVEPOINT") and statements[-1].startswith("RELEASE")
    return [_verb_and_table(s) for s in statements[1:-1]]


def _verb_and_table(statement: str) -> str:
    verb = statement.split()[0]
    if verb == "WITH":  # data-modifying CTEs: every write, in order
        writes = re.findall(r"\b(UPDATE|INSERT INTO|DELETE FROM)\s+(\w+)", statement)
        return "WITH " + ", ".join(f"{w.split()[0]} {table}" for w, table in writes)
    table = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", statement)
    return f"{verb} {table.group(1)}" if table else verb


def test_a_move_costs_the_same_few_queries_however_full_the_board(
    app, auth, company, make_order, restaurant_orders
):
    # The same move (no side effects) twice, with a few cards and with many.
    second = make_order(company, ("Bread", "1", "1.00"))
    place(app, company, second, "CONFIRMED")
    auth.get("/orders/board")  # the process keeps the flow from here on
    few = move_statements(app, auth, restaurant_orders["confirmed"], 2, "PREPARING")
    for _ in range(20):
        make_order(company, ("Bread", "1", "1.00"))
    many = move_statements(app, auth, second, 2, "PREPARING")
    assert few == many
    assert len(many) == 1


def test_a_move_sends_only_the_queries_it_needs(app, auth, company, make_order):
    """Pinned: the benchmark's move (a new order confirmed, which reserves its stock).
    Before the move stopped rendering the board it sent 11 (the board's query, and a
    savepoint the view's rollback makes redundant), 8 before the process kept the
    company's flow (two queries, now only after a flow edit), and 6 before it kept the
    signed-in user (bizkit.auth.identity); a new one must say why. The second UPDATE
    (since 0015): the order remembers that its stock is held, so a line added later is
    reserved too, even on an order that had no stocked line (bizkit.orders.stock). The
    move, its history line and its audit entry are one statement since 2026-12-03 (three
    before, each through the ORM's flush), which also returns the order, so the order is
    no longer read before it (workflow.transition_by_id)."""
    order_id = make_order(company)
    auth.get("/orders/board")  # the process keeps the flow from here on
    assert move_statements(app, auth, order_id, 1, "CONFIRMED") == [
        # the move if nobody moved it meanwhile (version), its history, its audit entry
        "WITH UPDATE customer_order, INSERT status_change, INSERT audit_entry",
        "SELECT order_line",  # reserve_stock: the lines (none here)
        "UPDATE customer_order",  # reserve_stock: the order's stock_state (at commit)
    ]


def test_reserving_stock_reads_variants_products_and_location_once(
    app, auth, company, make_item, make_order
):
    wine = make_item(company, "Wine", price="40.00", stock="10")
    beer = make_item(company, "Beer", price="4.00", stock="10")
    order_id = make_order(company, (wine, "1"), (beer, "2"), ("Bread", "1", "1.00"))
    statements = move_statements(app, auth, order_id, 1, "CONFIRMED")
    reads = [s for s in statements if s.startswith("SELECT")]
    assert reads.count("SELECT variant") == 1  # both lines' variants, with their products
    assert "SELECT product" not in reads
    assert reads.count("SELECT stock_location") == 1
    assert statements.count("INSERT stock_movement") == 2


def test_without_javascript_a_move_posts_the_form_and_returns_to_the_board(
    app, auth, company, restaurant_orders
):
    response = auth.post(
        f"/orders/board/{restaurant_orders['pending']}/move", {"to": "CONFIRMED", "version": "1"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/orders/board")
    assert sorted(columns(auth.get("/orders/board"))["CONFIRMED"]) == [1, 2]


def test_the_notices_the_board_sends_back_come_from_an_element_always_on_the_page(
    app, auth, company, restaurant_orders
):
    """hx-include names the empty form #board-notices outside the swapped body, which each
    card's notice input belongs to: a selector for the inputs themselves matched nothing
    on a board without notices, and htmx logged a console error at every refetch."""
    page = auth.get("/orders/board").get_data(as_text=True)
    include = re.search(r'id="board"[^>]*hx-include="([^"]+)"', page, flags=re.S).group(1)
    assert include == "#board-notices"
    before_board = page.split('id="board"', 1)[0]
    assert '<form id="board-notices" hidden></form>' in before_board  # never swapped away
    order_id = restaurant_orders["confirmed"]
    place(app, company, order_id, "PREPARING")
    conflict = auth.post(
        f"/orders/board/{order_id}/move",
        {"to": "CANCELLED", "version": "2"},
        headers={"HX-Request": "true"},
    )
    assert (
        f'<input type="hidden" name="notice" value="{order_id}" form="board-notices">'
        in conflict.get_data(as_text=True)
    )


def test_a_boards_kept_content_is_gone_before_the_move_is_announced(
    app, auth, company, restaurant_orders, redis_client, monkeypatch
):
    """A board told of a move by the stream fetches itself at once: the move's event goes
    out only with or after the replacement of the revisions that keep the board's content
    (bizkit.core.fragments), so the refetch never finds the card in its old column. Both
    go in one pipeline, the revisions first: Redis runs a connection's commands in order,
    so no subscriber hears the event before the new revisions are there."""
    from bizkit.core import events, fragments

    order_id = restaurant_orders["pending"]
    with app.app_context():
        channel = events.channel(company.id, "orders")
    auth.get("/orders/board", headers={"HX-Request": "true"})  # kept from now on
    boards_at_announcement = []
    real_send = fragments._send

    def send_then_refetch(redis, tokens, messages):
        assert list(tokens) and channel in [name for name, _message in messages]
        real_send(redis, tokens, messages)
        with app.app_context():  # the board's own request, apart from the move's
            board = auth.get("/orders/board", headers={"HX-Request": "true"})
        boards_at_announcement.append(columns(board))

    monkeypatch.setattr(fragments, "_send", send_then_refetch)
    response = auth.post(
        f"/orders/board/{order_id}/move",
        {"to": "CONFIRMED", "version": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert boards_at_announcement, "the move was not announced"
    board = boards_at_announcement[0]
    assert board["PENDING"] == {} and sorted(board["CONFIRMED"]) == [1, 2]
