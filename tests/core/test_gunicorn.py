"""The web server as the Procfile starts it (gunicorn.conf.py): a real gunicorn worker
loads the app and takes the app's start-up objects out of the full garbage collections,
which otherwise stopped the worker ~125 ms each on the benchmark machine."""

from __future__ import annotations

import re
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import TEST_SECRET, free_port, start_gunicorn

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_a_worker_freezes_what_the_loaded_app_holds(database_url, services, tmp_path):
    port = free_port()
    env = {
        "PATH": str(BIN) + ":/usr/bin:/bin",
        "BIZKIT_ENV": "testing",
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": database_url,
        "REDIS_URL": services["redis_url"],
        "WEB_CONCURRENCY": "1",
    }
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "w") as log:
        server = start_gunicorn(port, env, log)
        try:
            deadline = time.monotonic() + 30
            frozen = None
            while frozen is None and time.monotonic() < deadline and server.poll() is None:
                frozen = re.search(
                    r"gc: (\d+) objects of the loaded app frozen", log_path.read_text()
                )
                time.sleep(0.2)
            assert frozen, log_path.read_text()[-3000:]
            # The modules, the ORM's mappers and the translations: well over 50,000.
            assert int(frozen.group(1)) > 50_000
            health = f"http://127.0.0.1:{port}/healthz"
            with urllib.request.urlopen(health, timeout=5) as answer:
                assert answer.status == 200
        finally:
            server.terminate()
            server.wait(15)
