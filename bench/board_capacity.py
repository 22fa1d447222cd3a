"""How many open boards one machine serves while other pages still answer.

    python -m bench.board_capacity 500 1000 1900     (after `make bench-data`)

Serves the app as the Procfile does, and for each count holds that many board
streams open (bench.sse_hold) while wrk measures a page (default the board itself,
BENCH_CAPACITY_PATH to choose) with 4 connections. Prints streams held and the page's
p50/p95. gunicorn.conf.py allows `workers × worker_connections` connections in all
(2 × 1000 here), which includes the streams.
"""

from __future__ import annotations

import os
import subprocess
import sys

from bench import orders, services
from bench.run import login as bench_login
from bench.run import start_gunicorn


def main(counts: list[int]) -> int:
    db_url = services.database_url()
    redis, redis_server = services.redis_url()
    env = services.app_env(db_url, redis)
    path = os.environ.get("BENCH_CAPACITY_PATH", "/orders/board")
    port = int(os.environ.get("BENCH_PORT", "18010"))
    app = start_gunicorn("wsgi:app", port, env)
    try:
        base = f"http://127.0.0.1:{port}"
        cookie = bench_login(base)
        idle = orders.wrk(base + path, 4, cookie)
        print(f"{0:6} streams: {path} p50 {idle['p50_ms']:.1f} ms, p95 {idle['p95_ms']:.1f} ms")
        for count in counts:
            holder = subprocess.Popen(
                [sys.executable, "-m", "bench.sse_hold", base + "/orders/board/stream", str(count)],
                env={**os.environ, "BENCH_COOKIE": cookie},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            ready = holder.stdout.readline().split()
            try:
                result = orders.wrk(base + path, 4, cookie)
            except (RuntimeError, subprocess.CalledProcessError) as error:
                result = {"p50_ms": float("nan"), "p95_ms": float("nan"), "error": str(error)}
            holder.stdin.close()
            held = holder.stdout.readline().split()
            holder.wait(60)
            print(
                f"{count:6} streams: {' '.join(ready)}, {' '.join(held)}; {path} "
                f"p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms "
                f"{result.get('error', '')}",
                flush=True,
            )
    finally:
        app.terminate()
        app.wait(30)
        if redis_server is not None:
            redis_server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main([int(n) for n in sys.argv[1:]] or [200, 1000]))
