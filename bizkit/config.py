"""Settings, read from environment variables in this one place.

`BIZKIT_ENV` chooses the profile: `production` (the default, so a forgotten
variable fails safe), `development` (what `make run` sets) or `testing`.

`BIZKIT_PROXY_HOPS` (default 0) is the number of reverse proxies in front of the app
(nginx, a load balancer) that set `X-Forwarded-For`, `X-Forwarded-Proto`,
`X-Forwarded-Host` and `X-Forwarded-Port`. With N > 0, werkzeug's ProxyFix takes the
client's address, scheme and host from the N-th value from the right of those headers
(`bizkit.core.security.trust_proxies`), so the login rate limit counts each client
rather than the proxy, and links and secure-cookie checks see https. Set it to exactly
the number of proxies you run: one more lets any client forge its address; 0 (no
proxy) ignores the headers.

`BIZKIT_LOGIN_RATE_LIMIT` (default "5 per 15 minutes") limits failed logins (a wrong
password or a wrong second-step code) per client address and e-mail, and wrong passwords
and codes on the account pages (password change, two-step sign-in on or off, new recovery
codes) per signed-in session; `BIZKIT_LOGIN_IP_RATE_LIMIT` (default "100 per 15 minutes") limits
failed logins per client address whatever the e-mail.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("BIZKIT_INSTANCE_DIR", PROJECT_ROOT / "instance"))

LOCALES = ("en", "cs", "sk", "pl", "pt_BR", "es")

# The RQ queues, in the order a worker takes from them. Customer CSV exports have their own
# (`exports`), and the Procfile's `exporter` process listens to it alone, so a user's
# export never waits behind a running customer import or other `default` job. Every
# general worker command lists them all (an installation with one worker still runs
# exports): the Procfile's `worker`, `make run`'s embedded runner (bizkit/embedded.py,
# which also starts the exporter) and the browser tests' worker (tests/e2e/conftest.py).
RQ_QUEUES = ("default", "notifications", "pdf", "exports")


class ConfigError(RuntimeError):
    """Raised when the environment cannot run BizKit safely."""


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _dev_secret_key() -> str:
    """Generate a development key once and keep it under instance/, so sessions survive restarts."""
    path = INSTANCE_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _proxy_hops() -> int:
    value = os.environ.get("BIZKIT_PROXY_HOPS", "0").strip() or "0"
    if not value.isascii() or not value.isdigit():
        raise ConfigError(f"BIZKIT_PROXY_HOPS must be a whole number of proxies, not {value!r}")
    return int(value)


def sqlalchemy_url(url: str) -> str:
    """Make a libpq-style URL use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config mapping from the environment (plus explicit overrides in tests)."""
    overrides = dict(overrides or {})
    env = overrides.pop("BIZKIT_ENV", None) or os.environ.get("BIZKIT_ENV", "production")
    if env not in {"production", "development", "testing"}:
        raise ConfigError(f"BIZKIT_ENV must be production, development or testing, not {env!r}")

    secret_key = overrides.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if not secret_key:
        if env == "production":
            raise ConfigError(
                "SECRET_KEY is not set. Production refuses to start without it; "
                "set SECRET_KEY, or BIZKIT_ENV=development for local work."
            )
        secret_key = _dev_secret_key()

    database_url = overrides.get("DATABASE_URL") or os.environ.get("DATABASE_URL")
    redis_url = overrides.get("REDIS_URL") or os.environ.get("REDIS_URL")
    if not database_url or not redis_url:
        raise ConfigError(
            "DATABASE_URL and REDIS_URL must be set "
            "(`make run` starts embedded servers and sets them for you)."
        )

    config = {
        "BIZKIT_ENV": env,
        "DEBUG": env == "development",
        "TESTING": env == "testing",
        "SECRET_KEY": secret_key,
        "DATABASE_URL": database_url,
        "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {
            # Connections idle for more than BIZKIT_DB_PING_IDLE_SECONDS are pinged at
            # checkout (bizkit.core.pool), so a database restart is survived without a
            # round trip on every request; BIZKIT_DB_PRE_PING=0 leaves pool_recycle alone.
            "pool_pre_ping": False,
            "pool_recycle": 1800,
            "pool_size": int(os.environ.get("BIZKIT_DB_POOL_SIZE", "5")),
            # Which statements PostgreSQL plans once and which every time: bizkit/core/plans.py
            # BIZKIT_DB_PREPARED_STATEMENTS=0 prepares none (behind a pooler that cannot
            # keep them, e.g. pgbouncer in transaction mode before max_prepared_statements).
            "connect_args": {}
            if _bool("BIZKIT_DB_PREPARED_STATEMENTS", default=True)
            else {"prepare_threshold": None},
        },
        "BIZKIT_DB_PING": _bool("BIZKIT_DB_PRE_PING", default=True),
        "BIZKIT_DB_PING_IDLE_SECONDS": float(os.environ.get("BIZKIT_DB_PING_IDLE_SECONDS", "1")),
        "SQLALCHEMY_RECORD_QUERIES": False,
        "BIZKIT_EXPOSE_QUERY_COUNT": _bool("BIZKIT_EXPOSE_QUERY_COUNT"),
        # Rendered list results, dashboard cards and board columns kept per process until
        # the rows they show change (bizkit/core/fragments.py); 0 renders every time.
        "BIZKIT_FRAGMENT_CACHE": _bool("BIZKIT_FRAGMENT_CACHE", default=True),
        # Refuse a kept fragment that read a table it does not name (on in the tests).
        "BIZKIT_FRAGMENT_CHECK": _bool("BIZKIT_FRAGMENT_CHECK", default=env == "testing"),
        "REDIS_URL": redis_url,
        # Live events' channel prefix (bizkit.core.events); by default derived from the
        # database, so installations sharing a Redis server keep their events apart.
        "BIZKIT_EVENTS_NAMESPACE": os.environ.get("BIZKIT_EVENTS_NAMESPACE", ""),
        "BIZKIT_BASE_URL": os.environ.get("BIZKIT_BASE_URL", "http://127.0.0.1:5000"),
        "BIZKIT_STORAGE_DIR": os.environ.get("BIZKIT_STORAGE_DIR", str(INSTANCE_DIR / "storage")),
        "BIZKIT_LOG_JSON": _bool("BIZKIT_LOG_JSON", default=env != "development"),
        "MAIL_HOST": os.environ.get("MAIL_HOST", "localhost"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS"),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "BizKit <noreply@localhost>"),
        # Notifications (bizkit/notifications): "live" sends over SMTP and the SMS provider;
        # "console" writes every message to the log instead (development).
        "NOTIFY_BACKEND": os.environ.get(
            "NOTIFY_BACKEND", "console" if env == "development" else "live"
        ),
        # Hosts (or host:port) the SMS/WhatsApp provider address may name although they
        # are not public https hosts (a provider inside the network); comma-separated.
        "NOTIFY_PROVIDER_ALLOWED_HOSTS": os.environ.get("BIZKIT_NOTIFY_PROVIDER_ALLOWED_HOSTS", ""),
        "NOTIFY_MAX_ATTEMPTS": int(os.environ.get("NOTIFY_MAX_ATTEMPTS", "6")),
        "NOTIFY_BACKOFF_SECONDS": float(os.environ.get("NOTIFY_BACKOFF_SECONDS", "30")),
        "NOTIFY_BACKOFF_MAX_SECONDS": float(os.environ.get("NOTIFY_BACKOFF_MAX_SECONDS", "3600")),
        "NOTIFY_SWEEP_AFTER_SECONDS": int(os.environ.get("NOTIFY_SWEEP_AFTER_SECONDS", "60")),
        "NOTIFY_CLAIM_LEASE_SECONDS": int(os.environ.get("NOTIFY_CLAIM_LEASE_SECONDS", "300")),
        "NOTIFY_SEND_TIMEOUT_SECONDS": float(os.environ.get("NOTIFY_SEND_TIMEOUT_SECONDS", "30")),
        "BIZKIT_ENCRYPTION_KEY": os.environ.get("BIZKIT_ENCRYPTION_KEY", ""),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": env == "production",
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": env == "production",
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "LOGIN_RATE_LIMIT": os.environ.get("BIZKIT_LOGIN_RATE_LIMIT", "5 per 15 minutes"),
        "LOGIN_IP_RATE_LIMIT": os.environ.get("BIZKIT_LOGIN_IP_RATE_LIMIT", "100 per 15 minutes"),
        "BIZKIT_PROXY_HOPS": _proxy_hops(),
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_KEY_PREFIX": "bizkit-limits",
        "RQ_QUEUES": RQ_QUEUES,
        "RQ_ASYNC": True,
    }
    if redis_url.startswith("unix://"):
        # The limits library spells a Unix socket as redis+unix://.
        config["RATELIMIT_STORAGE_URI"] = "redis+unix://" + redis_url[len("unix://") :]
    config.update(overrides)
    return config
