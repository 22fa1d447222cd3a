"""Per-request CPU of the benchmark pages, measured in-process (no wrk, no gunicorn).

    python -m bench.request_cost               time 500 requests of each page
    python -m bench.request_cost --profile     the same under cProfile, top functions per page
    python -m bench.request_cost --profile --top 0    only count Python calls per request
    python -m bench.request_cost --runs 200 dashboard
    python -m bench.request_cost --profile --top 0 --callees process_response customers_list
    python -m bench.request_cost order_transition    a move (POST), each on a fresh order

wrk numbers on a shared two-core machine move with whatever else runs; the time one
request costs in this process moves less, and the number of Python calls per request
(cProfile) not at all, so optimise with these and confirm with `make bench`. Uses the
benchmark database (`make bench-data`) and the app in production settings, logged in
as the benchmark user through the login form.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import re
import time

from bench import services
from bench.seed import BENCH_LOGIN, BENCH_PASSWORD

PAGES = {
    "empty_page": "/bench/empty",
    "customers_list": "/customers/",
    "customers_search": "/customers/?q=dvorak",
    "inventory_list": "/inventory/",
    "dashboard": "/dashboard",
    "orders_list": "/orders/",
    "orders_board": "/orders/board",
    "order_detail": "/orders/{three_line_order}",
    # A move as bench/transition.lua posts it: every request moves a fresh order of a pool.
    "order_transition": "POST /orders/board/{order_id}/move",
}


def logged_in_client(app):
    client = app.test_client()
    base = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost/login"}}
    page = client.get("/login", **base).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = client.post(
        "/login",
        data={"csrf_token": token, "email": BENCH_LOGIN, "password": BENCH_PASSWORD},
        **base,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"login answered {answer.status_code}")
    return client


class Moves:
    """POSTs of the board's move, each on the next order of a fresh pool (bench.orders),
    as the page's htmx sends them; the pool is deleted again by `close`."""

    def __init__(self, client, db_url: str, count: int):
        from bench.orders import _make_pool

        self.client, self.db_url = client, db_url
        self.first, self.last, self.target = _make_pool(db_url, count)
        self.next_id = self.first
        page = client.get("/orders/board", base_url="https://localhost").get_data(as_text=True)
        self.csrf = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)

    def __call__(self):
        order_id, self.next_id = self.next_id, self.next_id + 1
        return self.client.post(
            f"/orders/board/{order_id}/move",
            data={"to": self.target, "version": "1"},
            headers={
                "X-CSRFToken": self.csrf,
                "HX-Request": "true",
                "Referer": "https://localhost/orders/board",
            },
            base_url="https://localhost",
        )

    def close(self):
        from bench.orders import _drop_pool

        _drop_pool(self.db_url, self.first, self.last)


def requester(client, db_url: str, name: str, runs: int):
    """A function making one request of page `name`, and one cleaning up after it."""
    path = PAGES[name]
    if name == "order_transition":
        moves = Moves(client, db_url, runs + 21)
        return moves, moves.close, path
    if "{three_line_order}" in path:
        from bench.orders import three_line_order

        path = path.format(three_line_order=three_line_order(db_url))
    return (lambda: client.get(path, base_url="https://localhost")), (lambda: None), path


def print_sql(request, path: str) -> None:
    """The statements one request sends, with their parameters (for EXPLAIN ANALYZE)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def show(conn, cursor, statement, parameters, context, executemany):
        print(f"-- {path}\n{statement}\n-- {parameters}\n")

    event.listen(Engine, "before_cursor_execute", show)
    try:
        request()
    finally:
        event.remove(Engine, "before_cursor_execute", show)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("pages", nargs="*", default=list(PAGES))
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sql", action="store_true", help="print the SQL of one request")
    parser.add_argument(
        "--callees", metavar="NAME", help="with --profile: what functions matching NAME call"
    )
    args = parser.parse_args()

    redis, redis_server = services.redis_url()
    db_url = services.database_url()
    os.environ.update(services.app_env(db_url, redis))
    import logging

    from bench.floor import add_empty_page
    from bizkit import create_app

    app = add_empty_page(create_app())
    gc.collect()
    gc.freeze()  # as gunicorn.conf.py does once a worker has loaded the app
    # The request log goes to stderr as in production; keep the terminal for the numbers.
    logging.getLogger("bizkit").handlers[0].stream = open(os.devnull, "w")  # noqa: SIM115
    try:
        client = logged_in_client(app)
        for name in args.pages:
            request, close, path = requester(client, db_url, name, args.runs)
            try:
                measure(args, name, request, path)
            finally:
                close()
    finally:
        if redis_server is not None:
            redis_server.stop()
    return 0


def measure(args, name: str, request, path: str) -> None:
    for _ in range(20):  # warm caches, the pool and the template cache
        response = request()
        assert response.status_code == 200, (path, response.status_code)
    if args.sql:
        print_sql(request, path)
        return
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for _ in range(args.runs):
        request()
    if profiler:
        profiler.disable()
    cpu = (time.process_time() - cpu0) / args.runs * 1000
    wall = (time.perf_counter() - wall0) / args.runs * 1000
    calls = ""
    if profiler:
        total = pstats.Stats(profiler).total_calls
        calls = f"  {total / args.runs:8.0f} Python calls"
    print(f"{name:18} {cpu:6.2f} ms CPU  {wall:6.2f} ms wall per request{calls}", flush=True)
    if profiler and (args.top or args.callees):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(args.top)
        out.write("\n--- by own time ---\n")
        stats.sort_stats("tottime").print_stats(args.top)
        if args.callees:
            stats.sort_stats("cumulative").print_callees(args.callees)
        print(out.getvalue())


if __name__ == "__main__":
    raise SystemExit(main())
