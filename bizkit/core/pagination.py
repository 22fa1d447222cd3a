"""Keyset pagination: "the rows after this one", never OFFSET, stable under equal sort keys.

A cursor is the sort key of the last row shown plus its id (the tie-breaker),
encoded as an opaque URL-safe string.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, tuple_

from bizkit.core.params import MAX_ID, parse_count
from bizkit.extensions import db


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        return None
    return values if isinstance(values, list) else None


@dataclass
class Page:
    rows: list[Any]
    next_cursor: str | None


def _storable(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return -MAX_ID - 1 <= value <= MAX_ID
    if isinstance(value, str):
        return "\x00" not in value and len(value) <= 1000
    return not isinstance(value, list | dict)


def keyset_page(
    stmt: Select,
    columns: list,
    cursor: str | None,
    limit: int,
    *,
    descending: bool = True,
    key=None,
    parse=None,
    entities: bool = True,
) -> Page:
    """Rows after the cursor `(columns) < cursor` (or `>`), plus whether more exist (limit+1).

    `key(row)` gives the cursor values of a row; `parse(values)` turns decoded JSON
    back into column types (e.g. ISO strings into datetimes). A statement of plain
    columns (`entities=False`) gives named rows instead of ORM objects.
    """
    values = decode_cursor(cursor)
    if values is not None and len(values) == len(columns) and parse is not None:
        try:
            values = parse(values)
        except (TypeError, ValueError, ArithmeticError):
            values = None  # a tampered cursor: start from the top
    if values is not None and not all(map(_storable, values)):
        values = None  # tampered too: a value no column holds would fail in the database
    if values is not None and len(values) == len(columns):
        left, right = tuple_(*columns), tuple_(*values)
        stmt = stmt.where(left < right if descending else left > right)
    order = [c.desc() for c in columns] if descending else [c.asc() for c in columns]
    result = db.session.execute(stmt.order_by(*order).limit(limit + 1))
    rows = list(result.scalars() if entities else result)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(key(rows[-1]))
    return Page(rows=rows, next_cursor=next_cursor)


def requested_page_size(default: int, *, smallest: int = 10, largest: int = 200) -> int:
    """The `per_page` the URL asks for, kept within bounds (bad values give the default)."""
    from flask import request

    return max(smallest, min(largest, parse_count(request.args.get("per_page"), default)))


def filter_url(endpoint: str, *, cursor: str | None = None, **values) -> str:
    """This request's query string (its filters) on `endpoint`, with another cursor.

    Keys that url_for itself would interpret (`endpoint`, `_external`, ...) or that
    name the view's own arguments are dropped, so a crafted query cannot break it.
    """
    from flask import request, url_for

    args = {
        key: value
        for key, value in request.args.items()
        if value
        and key != "cursor"
        and key != "endpoint"
        and not key.startswith("_")
        and key not in values
    }
    if cursor:
        args["cursor"] = cursor
    return url_for(endpoint, **values, **args)


def next_page_url(endpoint: str, cursor: str | None, **values) -> str | None:
    """The link to the page after this one, keeping the filters; None on the last page."""
    return filter_url(endpoint, cursor=cursor, **values) if cursor else None
