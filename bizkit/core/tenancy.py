"""The current company: set once per request (or job), read by the session hooks.

Views never filter by company; they call `get_or_404(Model, id)` and the session
hook in `bizkit.core.session` adds the company. Jobs call `activate(company_id)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TypeVar

from flask import abort, g
from sqlalchemy import bindparam, select

from bizkit.core.params import parse_id
from bizkit.core.session import COMPANY_KEY
from bizkit.extensions import db

T = TypeVar("T")


def activate(company_id: int | None) -> None:
    """Make `company_id` the current company of the session (None clears it)."""
    if company_id is None:
        db.session.info.pop(COMPANY_KEY, None)
    else:
        db.session.info[COMPANY_KEY] = company_id


def current_company_id() -> int | None:
    return db.session.info.get(COMPANY_KEY)


def current_company():
    """The Company of this request, loaded by the auth layer (None when logged out)."""
    return g.get("company")


@contextmanager
def company_scope(company_id: int) -> Iterator[None]:
    """Temporarily act for another company (CLI commands, jobs), restoring the previous one."""
    previous = current_company_id()
    activate(company_id)
    try:
        yield
    finally:
        activate(previous)


def get_or_404(model: type[T], object_id, *options) -> T:
    """The standard lookup: a row of the current company by id, else 404 (other companies too).
    Loader `options` (joinedload, selectinload) bring what the page shows in the same go."""
    object_id = parse_id(object_id)
    if object_id is None:  # not an id, or one no row can have: never reaches SQL
        abort(404)
    stmt = _by_id(model)
    if options:
        stmt = stmt.options(*options)
    row = db.session.execute(stmt, {"object_id": object_id}).scalar_one_or_none()
    if row is None:
        abort(404)
    return row


@cache
def _by_id(model):
    """The lookup's statement, built once per model (it is immutable; the id is bound)."""
    return (
        select(model)
        .where(model.id == bindparam("object_id"))
        .execution_options(plan_stable=True)  # by key: the same plan for every company
    )
