"""Per-request CPU of the benchmark pages, measured in-process (no wrk, no gunicorn).

    python -m bench.request_cost               time 500 requests of each page
    python -m bench.request_cost --profile     the same under cProfile, top functions per page
    python -m bench.request_cost --profile --top 0    only count Python calls per request
    python -m bench.request_cost --runs 200 dashboard
    python -m bench.request_cost --profile --top 0 --callees process_response customers_list

wrk numbers on a shared two-core machine move with whatever else runs; the time one
request costs in this process moves less, and the number of Python calls per request
(cProfile) not at all, so optimise with these and confirm with `make bench`. Uses the
benchmark database (`make bench-data`) and the app in production settings, logged in
as the benchmark user through the login form.
"""

from __future__ import annotations

import argparse
import cProfile
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


def print_sql(client, path: str) -> None:
    """The statements one request sends, with their parameters (for EXPLAIN ANALYZE)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def show(conn, cursor, statement, parameters, context, executemany):
        print(f"-- {path}\n{statement}\n-- {parameters}\n")

    event.listen(Engine, "before_cursor_execute", show)
    try:
        client.get(path, base_url="https://localhost")
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
    # The request log goes to stderr as in production; keep the terminal for the numbers.
    logging.getLogger("bizkit").handlers[0].stream = open(os.devnull, "w")  # noqa: SIM115
    try:
        client = logged_in_client(app)
        for name in args.pages:
            path = PAGES[name]
            if "{three_line_order}" in path:
                from bench.orders import three_line_order

                path = path.format(three_line_order=three_line_order(db_url))
            for _ in range(20):  # warm caches, the pool and the template cache
                response = client.get(path, base_url="https://localhost")
                assert response.status_code == 200, (path, response.status_code)
            if args.sql:
                print_sql(client, path)
                continue
            profiler = cProfile.Profile() if args.profile else None
            cpu0, wall0 = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            for _ in range(args.runs):
                client.get(path, base_url="https://localhost")
            if profiler:
                profiler.disable()
            cpu = (time.process_time() - cpu0) / args.runs * 1000
            wall = (time.perf_counter() - wall0) / args.runs * 1000
            calls = ""
            if profiler:
                total = pstats.Stats(profiler).total_calls
                calls = f"  {total / args.runs:8.0f} Python calls"
            print(
                f"{name:18} {cpu:6.2f} ms CPU  {wall:6.2f} ms wall per request{calls}", flush=True
            )
            if profiler and (args.top or args.callees):
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
                stats.print_stats(args.top)
                out.write("\n--- by own time ---\n")
                stats.sort_stats("tottime").print_stats(args.top)
                if args.callees:
                    stats.sort_stats("cumulative").print_callees(args.callees)
                print(out.getvalue())
    finally:
        if redis_server is not None:
            redis_server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
