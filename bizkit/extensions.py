"""Flask extensions, created unbound here and bound to the app in create_app()."""

from __future__ import annotations

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from redis import Redis
from rq import Queue
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from bizkit.core.session import Session

# Stable constraint names, so Alembic migrations name them the same on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def redis_connection() -> Redis:
    """The app's Redis connection (one pool per process)."""
    ext = current_app.extensions
    if "bizkit_redis" not in ext:
        ext["bizkit_redis"] = Redis.from_url(
            current_app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=2
        )
    return ext["bizkit_redis"]


def queue(name: str = "default") -> Queue:
    """An RQ queue by name, one of RQ_QUEUES (bizkit.config: `default`, `notifications`,
    `pdf`, `exports`)."""
    if name not in current_app.config["RQ_QUEUES"]:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=redis_connection(), is_async=current_app.config["RQ_ASYNC"])
