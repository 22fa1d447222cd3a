"""Which statements PostgreSQL may plan once and reuse, and which it plans every time.

Every query filters on `company_id`, and one company may hold a third of a table. A
plan PostgreSQL makes once for a prepared statement (a generic plan, made without the
parameters' values) is sized for the average company: for a list or a search of the
large one it can sort 11,000 matches where the company's own plan walks an index (21
ms against 1 ms, measured 2026-12-02), and for `search_text LIKE $1` it cannot know
the pattern (100 ms instead of 2 ms). So statements are sent unprepared (psycopg's
`prepare=False`), which PostgreSQL plans for their values each time.

Planning is not free, though (about 0.8 ms of PostgreSQL CPU for the order page's
five-table query, which then runs in 0.1 ms). A statement whose best plan cannot
depend on the company's size — a row by its key, a parent's children by an indexed
foreign key — says so with `.execution_options(plan_stable=True)`; psycopg prepares
it after a few runs on a connection and PostgreSQL keeps its plan (the default
`plan_cache_mode`, which still compares the generic plan against the custom ones it
made first). Unmarked statements keep being planned every time: forgetting the mark
costs planning time, never a bad plan. (Statements SQLAlchemy sends with `executemany`
— the ORM's batched UPDATEs and DELETEs by primary key — and those without parameters
are left to psycopg: their plans cannot depend on a company either.)
"""

from __future__ import annotations

from psycopg import ServerCursor
from sqlalchemy import event
from sqlalchemy.engine import Engine

PLAN_STABLE = "plan_stable"


def plan_unstable_statements_each_time(engine: Engine) -> None:
    """Send statements not marked plan-stable unprepared (see the module docstring)."""

    @event.listens_for(engine, "do_execute")
    def _execute(cursor, statement, parameters, context) -> bool:
        if context.execution_options.get(PLAN_STABLE) or isinstance(cursor, ServerCursor):
            # psycopg's own choice (prepared after a few runs); a server-side cursor's
            # DECLARE takes no `prepare` and is planned for its values anyway.
            return False
        cursor.execute(statement, parameters, prepare=False)
        return True
