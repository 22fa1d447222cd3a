"""What a URL or a form may carry before it reaches the database.

Ids are PostgreSQL `integer`s: an id beyond 2,147,483,647 in a path (`/customers/
99999999999`) or a query (`?group=...`) used to reach the database and fail there with
a 500. `str.isdigit()` also accepts digits `int()` refuses ("²") or reads as other
numbers ("٣"). And PostgreSQL cannot store the NUL character in text at all. Each of
these now ends as a 404, an ignored filter or a clear 400, before any SQL — a NUL in
the path as much as in the query string or a form.
"""

from __future__ import annotations

from flask import Flask, abort, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # PostgreSQL integer


def parse_id(value) -> int | None:
    """`value` as a row id (ASCII digits, 1 … MAX_ID), else None."""
    text = str(value or "")
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def parse_count(value, default: int) -> int:
    """`value` as a non-negative whole number of ASCII digits (a page size, a limit),
    else `default`; callers clamp it."""
    text = str(value or "")
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        return default
    return int(text)


class IdConverter(IntegerConverter):
    """`<int:...>` in a rule matches only ids the database can hold (else: 404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def register_params(app: Flask) -> None:
    """Bound `<int:>` ids (before any rule is added) and refuse NUL characters."""
    app.url_map.converters["int"] = IdConverter

    @app.before_request
    def _refuse_nul():
        def refuse():
            abort(
                400,
                description=_("The request contained a character that cannot be stored (NUL)."),
            )

        if "\x00" in request.path:  # a path segment (`/for/or%00der/1`) reaches SQL too
            refuse()
        values = request.args.lists() if request.method in ("GET", "HEAD") else None
        if values is None:
            values = [*request.args.lists(), *request.form.lists()]
        for key, items in values:
            if "\x00" in key or any("\x00" in item for item in items):
                refuse()
