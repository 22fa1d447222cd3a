"""Browser tests: the app under gunicorn (as the Procfile runs it) with demo data, driven by
Playwright in Debian's Chromium.

The server gets its own database, migrated and loaded with `flask bizkit demo`
exactly as `make run` does, and listens on a free port below 32768.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from bizkit.config import RQ_QUEUES
from tests.conftest import (
    TEST_SECRET,
    create_database,
    drop_database,
    free_port,
    start_gunicorn,
)

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    for candidate in ("/usr/lib/chromium/chromium", shutil.which("chromium") or ""):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail("Chromium is not installed: `make test` installs Debian's chromium package")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": _chromium(), "args": CHROMIUM_ARGS}


def separate_redis_db(url: str, db: int | None = None) -> str:
    """The same Redis server, another database: the unit tests flush theirs before each test.
    TEST_E2E_REDIS_DB picks it (default 14) when several checkouts test on one machine."""
    db = int(os.environ.get("TEST_E2E_REDIS_DB", "14")) if db is None else db
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}?db={db}"
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, ""))


@pytest.fixture(scope="session")
def live_server(services):
    name = f"bizkit_e2e_{os.getpid()}"
    database_url = create_database(services["admin_url"], name)
    port = free_port()
    env = {
        **os.environ,
        "BIZKIT_ENV": "testing",
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": database_url,
        "REDIS_URL": separate_redis_db(services["redis_url"]),
        "BIZKIT_BASE_URL": f"http://127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
    }
    flask = [str(BIN / "python"), "-m", "flask", "--app", "wsgi"]
    for command in (["db", "upgrade"], ["bizkit", "demo"]):
        done = subprocess.run([*flask, *command], cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(command)} failed:\n{done.stderr[-3000:]}")
    (ROOT / "instance").mkdir(exist_ok=True)
    log = open(ROOT / "instance" / "e2e-server.log", "w")  # noqa: SIM115 (closed below)
    server = start_gunicorn(port, env, log)
    worker = subprocess.Popen(
        [
            str(BIN / "rq"),
            "worker",
            "-w",
            "bizkit.core.jobs.AppWorker",
            "--url",
            env["REDIS_URL"],
            *RQ_QUEUES,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            ready = base_url + "/readyz"
            with urllib.request.urlopen(ready, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise RuntimeError("the e2e server did not start; see instance/e2e-server.log")
        time.sleep(0.2)
    yield base_url
    for process in (server, worker):
        process.terminate()
    for process in (server, worker):
        process.wait(10)
    log.close()
    drop_database(services["admin_url"], name)


@pytest.fixture
def console_errors(page):
    """Errors the page logs (a CSP violation, a failed script) — tests assert there are none."""
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def login(page, base_url: str, email: str, password: str = "demo-password") -> None:
    page.goto(base_url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
