"""The audit log: operations call `record()` after changing a row, before flush."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect

from bizkit.core.models import AuditEntry
from bizkit.extensions import db

# Never copied into the audit log, whatever the model.
SECRET_FIELDS = frozenset({"password_hash", "totp_secret", "token_hash", "secret"})


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def pending_changes(obj: Any) -> dict[str, list[Any]]:
    """The fields of `obj` changed since it was loaded, as {field: [old, new]}."""
    state = inspect(obj)
    changes: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if old == new:
            continue
        if attr.key in SECRET_FIELDS:
            changes[attr.key] = ["***", "***"]
        else:
            changes[attr.key] = [_jsonable(old), _jsonable(new)]
    return changes


def record(
    actor,
    action: str,
    entity: Any,
    changes: dict[str, Any] | None = None,
    *,
    label: str | None = None,
) -> AuditEntry:
    """Write one audit entry for `action` (e.g. "company.update") on `entity` by `actor`."""
    if entity is not None and getattr(entity, "id", None) is None:
        db.session.flush([entity])
    entry = AuditEntry(**entry_values(actor, action, entity, changes, label=label))
    db.session.add(entry)
    return entry


def entry_values(
    actor, action: str, entity: Any, changes: dict[str, Any] | None = None, *, label=None
) -> dict[str, Any]:
    """The columns of the entry `record()` writes (without company, stamped by the session).
    For a statement that writes the entry itself in the same round trip as the change
    (the workflow's move), with `changes` then sent as JSON."""
    return {
        "actor_id": getattr(actor, "id", None),
        "action": action,
        "entity_type": model_name(type(entity)) if entity is not None else "",
        "entity_id": getattr(entity, "id", None),
        "entity_label": (label or str(getattr(entity, "name", "") or ""))[:200] or None,
        "changes": changes or {},
    }


def model_name(model: type) -> str:
    """What the log calls rows of `model` (its `entity_type`)."""
    return model.__name__


def list_entries(
    *, action=None, entity_type=None, actor_id=None, since=None, until=None, cursor=None, limit=50
):
    """A page of the current company's audit log, newest first, filtered."""
    from sqlalchemy import or_, select

    from bizkit.core.pagination import keyset_page

    stmt = select(AuditEntry)
    if action:
        # One prefix ("order.", an action's whole code) or several (an area's).
        prefixes = (action,) if isinstance(action, str) else tuple(action)
        stmt = stmt.where(or_(*(AuditEntry.action.startswith(prefix) for prefix in prefixes)))
    if entity_type:
        stmt = stmt.where(AuditEntry.entity_type == entity_type)
    if actor_id:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if since:
        stmt = stmt.where(AuditEntry.created_at >= since)
    if until:
        stmt = stmt.where(AuditEntry.created_at < until)
    return keyset_page(
        stmt,
        [AuditEntry.created_at, AuditEntry.id],
        cursor,
        limit,
        key=lambda e: [e.created_at.isoformat(), e.id],
        parse=lambda v: [dt.datetime.fromisoformat(v[0]), int(v[1])],
    )
