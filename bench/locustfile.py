"""Locust users for bench/run.py, asking without a pause with the benchmark session's
cookie (BENCH_COOKIE):

- `Reader`: one page (BENCH_PATH) again and again;
- `Mover` (BENCH_USER=mover): the board's move as bench/transition.lua posts it, every
  request on the next order of the pool BENCH_POOL_FIRST..BENCH_POOL_LAST (all in the
  flow's initial status, version 1) to status BENCH_TO, with the page's CSRF token
  (BENCH_CSRF). The users share one counter (locust runs them in one process), so no
  order is moved twice; past the pool the move is refused and counted as a failure.
"""

import itertools
import os

from locust import FastHttpUser, constant, task

MOVER = os.environ.get("BENCH_USER") == "mover"


class Reader(FastHttpUser):
    wait_time = constant(0)
    abstract = MOVER

    @task
    def page(self):
        self.client.get(os.environ["BENCH_PATH"], headers={"Cookie": os.environ["BENCH_COOKIE"]})


_next_order = itertools.count(int(os.environ.get("BENCH_POOL_FIRST", "0")))


class Mover(FastHttpUser):
    wait_time = constant(0)
    abstract = not MOVER

    @task
    def move(self):
        order_id = next(_next_order)
        if order_id > int(os.environ["BENCH_POOL_LAST"]):
            order_id = int(os.environ["BENCH_POOL_LAST"])
        self.client.post(
            f"/orders/board/{order_id}/move",
            data=f"to={os.environ['BENCH_TO']}&version=1",
            headers={
                "Cookie": os.environ["BENCH_COOKIE"],
                "Content-Type": "application/x-www-form-urlencoded",
                "HX-Request": "true",
                "X-CSRFToken": os.environ["BENCH_CSRF"],
            },
            name="/orders/board/<id>/move",
        )
