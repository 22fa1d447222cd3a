"""Pages that only read: their statements run without a transaction around them.

A request's statements normally run in one transaction: psycopg sends `BEGIN` before
the first and the request ends with `COMMIT` (`_commit_or_rollback` in `bizkit`), two
round trips more than the page's own queries. A page that writes nothing gains nothing
from them: under PostgreSQL's READ COMMITTED each statement sees the data committed
when it starts, inside a transaction or not, so the page shows exactly what it would.

`@reads_only` (under `@requires`) runs the view's statements in autocommit. The
session then refuses any write, through the ORM (a flush of new, changed or deleted
rows) or as a statement (INSERT, UPDATE, DELETE): a view that starts writing must drop
the decorator and gets the transaction back, instead of writing half of its changes
when a later one fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps

from sqlalchemy import TextClause, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession

from bizkit.core.session import AUTOCOMMIT
from bizkit.extensions import db

READS_ONLY = "bizkit_reads_only"
CONNECTED = "bizkit_connected"
_WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|MERGE|TRUNCATE)\b", re.IGNORECASE)


class WriteInReadOnlyView(RuntimeError):
    """A view marked @reads_only tried to write."""


def reads_only(view: Callable) -> Callable:
    """Run the view's statements without BEGIN / COMMIT (see the module docstring)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        session = db.session()
        # Only at the start of the request's work: if something already read in a
        # transaction (the signed-in user, not kept by this process), it stays in it. A
        # session bound to one outer connection (the tests' rolled-back transaction)
        # stays in that connection's transaction. The connection is taken when the view
        # first sends SQL (Session.get_bind): a view that answers from what the process
        # keeps (bizkit.core.fragments) takes none.
        if not session.info.get(CONNECTED) and not isinstance(session.bind, Connection):
            session.info[AUTOCOMMIT] = True
        # Writes are refused in any case, so that the tests (in their transaction) find a
        # view that writes as surely as production would.
        session.info[READS_ONLY] = True
        try:
            return view(*args, **kwargs)
        finally:
            session.info.pop(READS_ONLY, None)
            if not session.info.get(CONNECTED):  # answered without SQL: nothing to end
                session.info.pop(AUTOCOMMIT, None)

    return wrapped


@event.listens_for(OrmSession, "after_begin")
def _connected(session: OrmSession, transaction, connection) -> None:
    # The session's transaction holds a connection now (it may have begun before, without
    # one, when the signed-in user kept by the process was attached to it).
    session.info[CONNECTED] = True


@event.listens_for(OrmSession, "after_transaction_end")
def _released(session: OrmSession, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(CONNECTED, None)
        session.info.pop(AUTOCOMMIT, None)


@event.listens_for(OrmSession, "before_flush")
def _refuse_flush(session: OrmSession, flush_context, instances) -> None:
    if session.info.get(READS_ONLY) and (session.new or session.dirty or session.deleted):
        raise WriteInReadOnlyView("a @reads_only view changed rows")


@event.listens_for(OrmSession, "do_orm_execute")
def _refuse_write_statement(state: ORMExecuteState) -> None:
    if not state.session.info.get(READS_ONLY):
        return
    statement = state.statement
    if (
        state.is_insert
        or state.is_update
        or state.is_delete
        or (isinstance(statement, TextClause) and _WRITES.match(statement.text))
    ):
        raise WriteInReadOnlyView("a @reads_only view sent a writing statement")
