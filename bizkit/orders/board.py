"""The live order board: columns per open status, one-click moves, live updates over SSE.

`/orders/board` renders the page (or, for htmx, only its body); the page's
`/orders/board/stream` tells it when to refetch that body. A move posts the order's
version, so a card moved by someone else meanwhile gets a conflict message instead
of a second move. Cards that showed a conflict send `notice=<id>` with every later
refetch, so the message survives the refresh an event triggers a moment later (each
card's notice input belongs to the page's empty `#board-notices` form, which the board's
`hx-include` names: it is always on the page, so htmx never reports a selector that
matched nothing; templates/orders/board.html).

A successful move answers htmx without rendering the board (rendering it is most of
what a move would cost, and the board refetches itself anyway): an empty 200 that
deletes the moved card (`HX-Retarget` its `<li>`, `HX-Reswap: delete`) and fires
`board-changed` (`HX-Trigger`). Deleting the card takes its buttons away at once, so a
second click cannot post the version the first one just used (a false conflict), and
takes its conflict notice with it, as the re-rendered board used to. The card comes
back in its new column with the refetch: the stream's `refresh`, which follows every
committed move within `live.board_events`' coalescing window, or, when the stream is
down, `board-changed` after a short delay. The board's `hx-trigger` lets whichever
comes first cancel the other's pending delay, so the mover's board is fetched once per
move, not twice (templates/orders/board.html). A refused move still renders the board
with the message on the card (rare; the view must render there anyway).

A move is sent the moment it is clicked, whatever the board is fetching. (Queued behind
a refetch, htmx would drop it once the refetch swapped its card for a new one: a click
on a busy board lost without a word.) A refetch that was already on its way may show
the card in its old column for that moment; the refetch the move causes follows it.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

from babel.dates import format_timedelta
from flask import Response, current_app, g, redirect, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.routing import BuildError

from bizkit.core import events
from bizkit.core.errors import BusinessRuleError
from bizkit.core.htmx import is_htmx, render, render_kept
from bizkit.core.params import parse_count, parse_id
from bizkit.core.permissions import requires
from bizkit.core.reads import reads_only
from bizkit.extensions import db, redis_connection
from bizkit.orders import bp, live
from bizkit.orders.board_data import load_board
from bizkit.orders.models import Order
from bizkit.workflow.operations import ConflictError, current_flow, transition_by_id

MAX_NOTICES = 50
# A successful htmx move: delete the card (HX-Retarget names it), let the board refetch.
# The event names body as its target: the card's form may already be gone (a refetch
# swapped the board while the move was in flight), and an event fired on a detached
# element reaches no listener.
MOVED_HEADERS = {"HX-Reswap": "delete", "HX-Trigger": '{"board-changed": {"target": "body"}}'}


def _notices() -> dict[int, str]:
    """Conflict messages the board still shows, as sent back by the page."""
    ids = [i for v in request.values.getlist("notice")[:MAX_NOTICES] if (i := parse_id(v))]
    return dict.fromkeys(ids, _conflict_message())


def _conflict_message() -> str:
    return _("Someone else changed this order a moment ago; this is its current status.")


def _board_context(messages: dict[int, str] | None, flow=None) -> dict:
    return {
        "columns": load_board(flow or current_flow("order"), g.membership.role),
        "messages": messages or {},
        "now": datetime.now(UTC),
        "age": _ages(),
        "lines_label": _memo(_lines_label),
        "move_url_parts": _id_url("orders.board_move"),
        "detail_url": _id_url("orders.detail"),
    }


def _render_board(status: int = 200, messages: dict[int, str] | None = None, flow=None):
    return render(
        "orders/board.html",
        "orders/_board.html",
        status=status,
        **_board_context(messages, flow),
    )


# Every table the board's content reads (bizkit.core.fragments keeps it until one changes).
BOARD_TABLES = (
    "customer_order",
    "order_line",
    "customer",
    "workflow_status",
    "workflow_transition",
)


def _kept_board():
    """The board as kept until an order changes. Cards show how long they have waited in
    whole minutes: the content is kept for the minute it was rendered in, at most."""
    minute = int(datetime.now(UTC).timestamp() // 60)
    return render_kept(
        "orders/board.html",
        "orders/_board.html",
        BOARD_TABLES,
        lambda: _board_context(_notices()),
        vary=(minute,),
    )


_SOME_ID = 987654321


def _id_url(endpoint: str) -> tuple[str, str] | None:
    """(before, after) the order id in `endpoint`'s URL, built once per page rather than
    once per card; None while the endpoint does not exist (the order detail page)."""
    try:
        before, after = url_for(endpoint, order_id=_SOME_ID).split(str(_SOME_ID))
    except BuildError:
        return None
    return before, after


def _memo(function):
    """Cache `function` for one page: many cards share an age or a line count, and the
    Babel formatting is most of what a card costs to render."""
    return functools.lru_cache(maxsize=None)(function)


def _ages():
    """How long a card has waited, in the reader's language ("12 min", "3 h")."""
    locale = str(get_locale())
    return lambda delta: _age_text(locale, int(delta.total_seconds() // 60))


@functools.lru_cache(maxsize=4096)
def _age_text(locale: str, minutes: int) -> str:
    """Kept by the process: a board is fetched again at every change, and its cards' ages
    change once a minute, so nearly every card finds its text here."""
    return format_timedelta(
        timedelta(minutes=minutes), granularity="minute", threshold=1, format="short",
        locale=locale,
    )  # fmt: skip


def _lines_label(count: int) -> str:
    return ngettext("%(num)d line", "%(num)d lines", count)


# The page's requests name the company it was rendered for (hx-vals on #board). After a
# switch of company in another tab they would get the other company's board while the
# stream still listens to the first: the page reloads instead, and follows the switch.
RELOAD = ("", 200, {"HX-Refresh": "true"})


def reloads_for_another_company(view):
    """Answer HX-Refresh before anything else, the permission check included: the user's
    role in the company now current may not allow the view (a 403 htmx would not show,
    leaving the old company's board up), and the order ids are the other company's."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        shown = request.values.get("company", "")
        current = g.get("company")
        if is_htmx() and shown and current is not None and shown != str(current.id):
            return RELOAD
        return view(*args, **kwargs)

    return wrapped


@bp.route("/board")
@reloads_for_another_company
@requires("orders.view")
@reads_only
def board():
    return _kept_board()


@bp.route("/board/<int:order_id>/move", methods=["POST"])
@reloads_for_another_company
@requires("orders.transition")
def board_move(order_id: int):
    version = parse_count(request.form.get("version"), 0)
    try:
        order, change = transition_by_id(
            Order,
            order_id,
            request.form.get("to", ""),
            current_user,
            expected_version=version,
            actor_role=g.membership.role,
        )
    except BusinessRuleError as error:
        # Nothing of the refused move may show on the board rendered below.
        db.session.rollback()
        if isinstance(error, ConflictError):
            error.message = _conflict_message()
        messages = _notices()
        messages[order_id] = error.message
        return _render_board(status=error.status, messages=messages)
    if not is_htmx():  # a plain form post (no JavaScript): back to the board's address
        return redirect(url_for("orders.board"))
    # Said in words (out of band, into #board-status): in a full column the card lands
    # among the "+N more" and would otherwise just vanish for the person who moved it.
    status = current_flow("order").label(change.to_code)
    said = _("Order %(number)s is now %(status)s.", number=order.number, status=status)
    status_line = Markup(
        '<p id="board-status" class="board-status muted" role="status" '
        'aria-live="polite" hx-swap-oob="true">{}</p>'
    ).format(said)
    return status_line, 200, MOVED_HEADERS | {"HX-Retarget": f"#order-card-{order_id}"}


@bp.route("/board/stream")
@requires("orders.view")
def board_stream():
    """text/event-stream of "refresh" events for the current company's board."""
    config = current_app.config
    stream = live.board_events(
        redis_connection(),
        events.channel(g.company.id, "orders"),
        heartbeat=config.get("BOARD_HEARTBEAT_SECONDS", 15.0),
        lifetime=config.get("BOARD_STREAM_SECONDS", 300.0),
    )
    # The stream holds no database connection while it waits: the request's session is
    # closed here (after_request's commit then has nothing to do), and the generator is
    # not wrapped in stream_with_context, so the request context, and with it the
    # session, is torn down before the first byte is sent.
    db.session.close()
    return Response(
        stream,
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
