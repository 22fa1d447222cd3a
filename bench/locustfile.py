"""Locust user for bench/run.py: one page (BENCH_PATH) asked for again and again, no
wait, with the benchmark session's cookie (BENCH_COOKIE)."""

import os

from locust import FastHttpUser, constant, task


class Reader(FastHttpUser):
    wait_time = constant(0)

    @task
    def page(self):
        self.client.get(os.environ["BENCH_PATH"], headers={"Cookie": os.environ["BENCH_COOKIE"]})
