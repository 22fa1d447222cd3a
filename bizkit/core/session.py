"""The ORM session class and its tenant-scoping hooks.

Scoping lives here, in one place: every ORM query of a tenant-owned model gets
`company_id = <current company>` added, and every new tenant-owned row gets the
current company set, by session events. The current company is kept in
`session.info["company_id"]` (see `bizkit.core.tenancy`). A query of a tenant
model with no current company is refused rather than answered for all companies,
unless it opts out explicitly with `.execution_options(all_companies=True)`.
"""

from __future__ import annotations

from functools import lru_cache

import flask_sqlalchemy.session
from sqlalchemy import ForeignKey, Join, Table, event, inspect
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    declared_attr,
    make_transient_to_detached,
    mapped_column,
    with_loader_criteria,
)
from sqlalchemy.orm import Session as OrmSession

COMPANY_KEY = "company_id"


class TenantScopeError(RuntimeError):
    """A tenant-owned model was queried or written with no current company."""


class TenantMixin:
    """Gives a model its `company_id` and puts it under the scoping hooks below."""

    @declared_attr
    def company_id(cls) -> Mapped[int]:
        return mapped_column(
            ForeignKey("company.id", ondelete="CASCADE"), index=True, nullable=False
        )


class Session(flask_sqlalchemy.session.Session):
    """Flask-SQLAlchemy's session, able to join an outer connection (used by the tests)."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and self.bind is not None:
            return self.bind
        engine = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        if self.info.get(AUTOCOMMIT):  # a @reads_only view (bizkit.core.reads)
            return _autocommit(engine)
        return engine


AUTOCOMMIT = "bizkit_autocommit"
_autocommit_engines: dict = {}


def _autocommit(engine):
    """The engine's twin that takes its connections in autocommit (same pool)."""
    twin = _autocommit_engines.get(engine)
    if twin is None:
        twin = _autocommit_engines[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return twin


def _touches_tenant_model(state: ORMExecuteState) -> bool:
    return any(issubclass(m.class_, TenantMixin) for m in state.all_mappers)


@event.listens_for(OrmSession, "do_orm_execute")
def _scope_to_company(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get("all_companies"):
        return
    # with_loader_criteria covers the entities a query selects, joins, updates or deletes,
    # but not a table named only in select_from() (`select(func.count()).select_from(M)`):
    # those are filtered on the table each FROM clause starts with. A repeated condition
    # is harmless, and the leftmost table of a join keeps its rows under any join type.
    bare_tables = (
        [t for t in _base_tables(state.statement) if t.name in _tenant_tables()]
        if state.is_select
        else []
    )
    company_id = state.session.info.get(COMPANY_KEY)
    if company_id is None:
        if bare_tables or _touches_tenant_model(state):
            raise TenantScopeError("query of a tenant-owned model without a current company")
        return
    # With a current company the criteria go on every statement, tenant-owned or not: on
    # one that names no tenant model they match nothing and change nothing, and finding
    # out first (`all_mappers`) cost more than the query's own SQL compilation.
    statement = state.statement.options(_company_criteria(company_id))
    for table in bare_tables:
        statement = statement.where(table.c.company_id == company_id)
    state.statement = statement


@lru_cache(maxsize=4096)
def _company_criteria(company_id: int):
    """The loader criteria for one company, built once per company and process.

    Building it analyses the lambda's code and closure, which cost more than running a
    small query; the built option is immutable, and the company id in its closure is a
    bound parameter, so every company's option shares one compiled-statement cache entry.
    """
    return with_loader_criteria(
        TenantMixin, lambda cls: cls.company_id == company_id, include_aliases=True
    )


def _base_tables(statement) -> list[Table]:
    """Tables given to select_from() (the left end of a join chain).

    Read from the statement's own select_from list: `get_final_froms()` would
    compile the ORM statement on every query, which cost milliseconds per request.
    """
    tables = []
    for from_clause in getattr(statement, "_from_obj", ()):
        while isinstance(from_clause, Join):
            from_clause = from_clause.left
        if isinstance(from_clause, Table):
            tables.append(from_clause)
    return tables


_TENANT_TABLES: set[str] = set()


def _tenant_tables() -> set[str]:
    if not _TENANT_TABLES:
        from bizkit.extensions import db

        _TENANT_TABLES.update(
            mapper.local_table.name
            for mapper in db.Model.registry.mappers
            if issubclass(mapper.class_, TenantMixin)
        )
    return _TENANT_TABLES


@event.listens_for(OrmSession, "transient_to_pending")
def _stamp_company(session: OrmSession, obj) -> None:
    """A new tenant-owned row belongs to the company that was current when it was added."""
    if not isinstance(obj, TenantMixin):
        return
    company_id = session.info.get(COMPANY_KEY)
    if obj.company_id is None:
        obj.company_id = company_id
    elif company_id is not None and obj.company_id != company_id:
        raise TenantScopeError(f"new {type(obj).__name__} belongs to another company")


@event.listens_for(OrmSession, "before_flush")
def _refuse_unowned_rows(session: OrmSession, flush_context, instances) -> None:
    for obj in session.new:
        if isinstance(obj, TenantMixin) and obj.company_id is None:
            raise TenantScopeError(f"new {type(obj).__name__} without a current company")


def attach_loaded(session: OrmSession, model: type, values: dict):
    """An object of `model` with the column `values` of its row, persistent in `session`
    as if the session had just loaded it (for rows read without the ORM: kept by the
    process, or returned by a statement that wrote them). The object the session already
    holds for that row, if any, is returned as it is.

    The values go straight into the new instance's dict, as SQLAlchemy's own loading puts
    them; `make_transient_to_detached` then marks them all as loaded, unchanged, and
    every column not given as expired (loaded on first use)."""
    existing = session.identity_map.get(session.identity_key(model, values["id"]))
    if existing is not None:
        return existing
    obj = inspect(model).class_manager.new_instance()
    # Column values are scalars today; a mutable one (JSON) must not be shared.
    obj.__dict__.update(
        (name, value.copy() if isinstance(value, dict | list) else value)
        for name, value in values.items()
    )
    make_transient_to_detached(obj)
    session.add(obj)
    return obj
