"""The workflow engine: load a company's flow, seed presets, and move an entity between
statuses with `transition()` — validated, versioned, recorded, with side effects.

An entity that follows a flow is a tenant model registered with `register_entity()`; it
has `id`, `company_id`, `status` (a status code) and `version` (bumped by every
transition). Concurrent transitions of the same entity are decided by one conditional
UPDATE on (id, version, status): exactly one wins, the other gets `ConflictError`.

Entering a final status closes the entity for good, so after the move's own side effects
the engine runs the "closed" hooks: nothing a closed record holds may stay held. For an
order that is its reserved stock, whatever the company's edited flow says (a move
Preparing → Completed with no side effect would otherwise keep it reserved forever).
What is right follows the presets: every final status they reach by taking the stock
(`presets.SALE_STATUSES`: delivered, completed, attended, no-show) is a sale, so stock
still reserved is taken; every other final status (cancelled, quote rejected, or one a
company made up) gives it back, since taking stock on a guess would lower what is on
the shelf. See `bizkit.orders.stock.settle_closed_order`.
"""

from __future__ import annotations

import functools
import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

from flask import g, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import column, event, select, text, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from bizkit.auth import identity
from bizkit.auth.models import Membership
from bizkit.core import audit, events
from bizkit.core.errors import BusinessRuleError
from bizkit.core.models import Company
from bizkit.core.params import parse_id
from bizkit.core.permissions import role_can
from bizkit.core.session import attach_loaded
from bizkit.core.tenancy import current_company_id, get_or_404
from bizkit.extensions import db
from bizkit.workflow.models import StatusChange, WorkflowStatus, WorkflowTransition
from bizkit.workflow.presets import STATUS_LABELS, preset_for


class ConflictError(BusinessRuleError):
    """Someone changed the entity since the user loaded it (HTTP 409)."""

    def __init__(self, message: str):
        super().__init__(message, status=409)


# -- registries ---------------------------------------------------------------------------

ENTITY_MODELS: dict[str, type] = {}
ENTITY_LABELS = {"order": _l("order"), "appointment": _l("appointment")}
# entity type -> (translatable format, column): how the audit log labels a moved row,
# e.g. (_l("Order %(number)s"), "number") → "Order 45", in the actor's language.
AUDIT_LABELS: dict[str, tuple] = {}


def register_entity(entity_type: str, model: type, *, audit_label: tuple | None = None) -> None:
    """Declare that `model` rows follow the `entity_type` flow (orders, appointments).

    `audit_label` = (format, column) labels the audit entry of each move as the model's
    other entries are labelled: the format takes the column's value as `%(column)s`.
    Without one, moves are logged without a label."""
    ENTITY_MODELS[entity_type] = model
    model.WORKFLOW_ENTITY = entity_type
    if audit_label is not None:
        AUDIT_LABELS[entity_type] = audit_label


@dataclass(frozen=True)
class SideEffect:
    label: object
    run: Callable  # run(entity, actor, change: StatusChange) -> None, inside the transaction


SIDE_EFFECTS: dict[str, SideEffect] = {}
# Handlers other modules attach to the named hooks (invoicing, notifications).
# "status_changed" handlers run after every transition, whatever the flow's side effects
# (notifications cancels the reminders of a cancelled record there); "closed" handlers
# run before them when the entity enters a final status (orders settle the stock a
# closed order still holds: see the module docstring).
HOOKS: dict[str, list[Callable]] = {
    "create_invoice_draft": [],
    "notify_customer": [],
    "closed": [],
    "status_changed": [],
}


def register_side_effect(name: str, label) -> Callable:
    """Decorator: make `fn(entity, actor, change)` available to flows under `name`."""

    def decorate(fn: Callable) -> Callable:
        SIDE_EFFECTS[name] = SideEffect(label, fn)
        return fn

    return decorate


def _run_hooks(name: str) -> Callable:
    def run(entity, actor, change) -> None:
        for handler in HOOKS[name]:
            handler(entity, actor, change)

    return run


register_side_effect("create_invoice_draft", _l("Create an invoice draft"))(
    _run_hooks("create_invoice_draft")
)
register_side_effect("notify_customer", _l("Notify the customer"))(_run_hooks("notify_customer"))


# -- reading a flow -----------------------------------------------------------------------


@dataclass
class Flow:
    """A company's statuses (board order) and transitions for one entity type."""

    entity_type: str
    statuses: list[WorkflowStatus]
    transitions: list[WorkflowTransition]
    by_code: dict[str, WorkflowStatus] = field(init=False)

    _labels: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.by_code = {s.code: s for s in self.statuses}
        self._labels = {}  # a flow lives for one request, so for one language

    def status(self, code: str | None) -> WorkflowStatus | None:
        return self.by_code.get(code) if code else None

    def label(self, code: str | None) -> str:
        label = self._labels.get(code)
        if label is None:
            status = self.status(code)
            label = self._labels[code] = status_label(status) if status else (code or "")
        return label

    @property
    def initial(self) -> WorkflowStatus | None:
        return next((s for s in self.statuses if s.is_initial), None)

    @property
    def open_statuses(self) -> list[WorkflowStatus]:
        return [s for s in self.statuses if not s.is_terminal]

    def move(self, from_code: str, to_code: str) -> WorkflowTransition | None:
        return next(
            (t for t in self.transitions if t.from_code == from_code and t.to_code == to_code),
            None,
        )

    def sources(self, to_code: str, role: str | None) -> tuple[str, ...]:
        """The open statuses from which `role` may move to `to_code` (None: the system)."""
        return tuple(
            t.from_code
            for t in self.transitions
            if t.to_code == to_code
            and self.status(t.from_code) is not None
            and not self.status(t.from_code).is_terminal
            and _allowed(t, role)
        )

    def moves_from(self, code: str, role: str | None) -> list[WorkflowTransition]:
        """The transitions out of `code` that `role` may make (role None: the system)."""
        if self.status(code) is None or self.status(code).is_terminal:
            return []
        return [t for t in self.transitions if t.from_code == code and _allowed(t, role)]


def status_label(status: WorkflowStatus) -> str:
    """The company's own label, else the translated label of a preset code."""
    if status.label:
        return status.label
    preset = STATUS_LABELS.get(status.code)
    return str(preset) if preset is not None else status.code.replace("_", " ").capitalize()


def load_flow(entity_type: str) -> Flow:
    """The current company's flow for `entity_type` (two indexed queries)."""
    statuses = db.session.execute(
        select(WorkflowStatus)
        .where(WorkflowStatus.entity_type == entity_type)
        .order_by(WorkflowStatus.position, WorkflowStatus.id)
    ).scalars()
    transitions = db.session.execute(
        select(WorkflowTransition)
        .where(WorkflowTransition.entity_type == entity_type)
        .order_by(WorkflowTransition.position, WorkflowTransition.id)
    ).scalars()
    return Flow(entity_type, list(statuses), list(transitions))


# -- flows kept per process ----------------------------------------------------------------
#
# Every order page and move needs its company's flow: two queries that return the same
# rows until someone edits the flow. Processes keep each flow as plain copies, keyed by
# the company's `workflow_revision`, which comes with the company on every request and
# which any change to a status or transition bumps in the same transaction (below). A
# process that has not seen an edit yet sees the new revision on its next request.

MAX_FLOWS = 1024
_flows: OrderedDict[tuple, Flow] = OrderedDict()


def current_flow(entity_type: str) -> Flow:
    """The current company's flow for reading (pages, moves): kept per revision.

    Its statuses and transitions are read-only copies, not ORM rows; code that changes
    a flow (Settings → Workflows) uses `load_flow`."""
    company = g.get("company") if has_app_context() else None
    if company is None:
        return load_flow(entity_type)
    key = (company.id, company.created_at, company.workflow_revision, entity_type)
    kept = _flows.get(key)
    if kept is None:
        loaded = load_flow(entity_type)
        kept = Flow(
            entity_type,
            [_copy(status) for status in loaded.statuses],
            [_copy(move) for move in loaded.transitions],
        )
        _flows[key] = kept
        if len(_flows) > MAX_FLOWS:
            _flows.popitem(last=False)
    else:
        _flows.move_to_end(key)
    # A Flow of its own per request: its label memo holds this request's language.
    return Flow(entity_type, kept.statuses, kept.transitions)


def _copy(row) -> SimpleNamespace:
    """The row's column values, detached from any session (shared between requests)."""
    values = {attr.key: getattr(row, attr.key) for attr in sa_inspect(row).mapper.column_attrs}
    for key, value in values.items():
        if isinstance(value, list):
            values[key] = tuple(value)  # roles, side effects: not to be changed in place
    return SimpleNamespace(**values)


@event.listens_for(OrmSession, "before_flush")
def _bump_workflow_revision(session: OrmSession, flush_context, instances) -> None:
    """A company's flow changes: bump its revision in the same transaction."""
    changed = {
        obj.company_id
        for obj in (*session.new, *session.dirty, *session.deleted)
        if isinstance(obj, WorkflowStatus | WorkflowTransition) and obj.company_id is not None
    }
    if changed:
        # On the connection, not through the session: no autoflush inside a flush.
        session.connection().execute(
            update(Company.__table__)
            .where(Company.__table__.c.id.in_(sorted(changed)))
            .values(workflow_revision=Company.__table__.c.workflow_revision + 1)
        )
        # The revision comes with the company each process keeps for its users.
        identity.mark_changed(session)


def load_status(entity_type: str, code: str) -> WorkflowStatus | None:
    """One status of the current company's flow, by code."""
    return db.session.execute(
        select(WorkflowStatus).where(
            WorkflowStatus.entity_type == entity_type, WorkflowStatus.code == code
        )
    ).scalar()


def initial_status(entity_type: str) -> str:
    """The code new entities start in; refuses clearly when the company has no flow."""
    code = db.session.execute(
        select(WorkflowStatus.code).where(
            WorkflowStatus.entity_type == entity_type, WorkflowStatus.is_initial.is_(True)
        )
    ).scalar()
    if code is None:
        raise BusinessRuleError(
            _("This company has no starting status for this. Set one up in Settings → Workflows.")
        )
    return code


def role_of(actor) -> str | None:
    """The actor's role in the current company (None for the system or a non-member)."""
    if actor is None:
        return None
    return db.session.execute(
        select(Membership.role).where(Membership.user_id == actor.id, Membership.active.is_(True))
    ).scalar()


def _allowed(move: WorkflowTransition, role: str | None) -> bool:
    if role is None:  # the system (jobs, demo data, API acting as the company)
        return True
    if not role_can(role, "orders.transition"):
        return False
    return not move.roles or role in move.roles


# -- seeding ------------------------------------------------------------------------------


def seed_flows(company) -> None:
    """Give a new company the preset flows of its business type (COMPANY_SEEDS hook)."""
    for entity_type in ("order", "appointment"):
        preset = preset_for(company.business_type, entity_type)
        if preset is None:
            continue
        for position, status in enumerate(preset.statuses):
            db.session.add(
                WorkflowStatus(
                    company_id=company.id,
                    entity_type=entity_type,
                    code=status.code,
                    color=status.color,
                    is_initial=status.initial,
                    is_terminal=status.terminal,
                    position=position,
                )
            )
        db.session.flush()
        for position, move in enumerate(preset.transitions):
            db.session.add(
                WorkflowTransition(
                    company_id=company.id,
                    entity_type=entity_type,
                    from_code=move.from_code,
                    to_code=move.to_code,
                    roles=list(move.roles),
                    side_effects=list(move.side_effects),
                    position=position,
                )
            )
        db.session.flush()


# -- moving -------------------------------------------------------------------------------

_LOOK_UP = object()  # transition(actor_role=...) default: read the role from the database


def transition(
    entity,
    to_code: str,
    actor,
    note: str | None = None,
    *,
    expected_version: int | None = None,
    flow: Flow | None = None,
    actor_role: str | object | None = _LOOK_UP,
    savepoint: bool = True,
) -> StatusChange:
    """Move `entity` to `to_code`: validate, bump the version, record, run side effects,
    audit and publish an event — all in the caller's transaction. Refuses with a
    translated `BusinessRuleError` (422) or `ConflictError` (409) and changes nothing.

    `actor_role` spares a query when the caller already knows the actor's role in the
    current company (a view has the membership loaded); by default it is looked up.

    By default the move runs in a savepoint, so after a refusal the caller's transaction
    holds nothing of it and stays usable. `savepoint=False` is for a caller that rolls
    its whole transaction back on any refusal anyway (the board does): the rollback then
    undoes what a refusing side effect left, and the SAVEPOINT and RELEASE round trips,
    which would buy nothing, are spared."""
    entity_type = entity.WORKFLOW_ENTITY
    if expected_version is not None and expected_version != entity.version:
        # Before the move is judged: judged against a status the user has not seen, it
        # would say "“Preparing” cannot go to “Preparing”" to the second of two tabs.
        raise _conflict(entity_type)
    flow = flow or current_flow(entity_type)
    from_code = entity.status
    target = flow.status(to_code)
    if target is None:
        raise BusinessRuleError(_("There is no status “%(status)s”.", status=to_code))
    current = flow.status(from_code)
    if current is not None and current.is_terminal:
        raise BusinessRuleError(
            _(
                "This is already “%(status)s”, a final status; it cannot change any more.",
                status=flow.label(from_code),
            )
        )
    move = flow.move(from_code, to_code)
    if move is None:
        raise BusinessRuleError(
            _(
                "“%(from)s” cannot go to “%(to)s”.",
                **{"from": flow.label(from_code), "to": flow.label(to_code)},
            )
        )
    role = role_of(actor) if actor_role is _LOOK_UP else actor_role
    if not _allowed(move, role):
        raise BusinessRuleError(
            _(
                "Your role may not move this from “%(from)s” to “%(to)s”.",
                **{"from": flow.label(from_code), "to": flow.label(to_code)},
            ),
            status=403,
        )
    note = (note or "").strip()[:2000] or None
    loaded_version, loaded_at = entity.version, entity.updated_at
    version = loaded_version if expected_version is None else expected_version
    # A savepoint around the move and its side effects: if one of them refuses (e.g. the
    # stock ledger has too little), the status, version and history line are undone with
    # it, in the database and on `entity`, and the caller's transaction stays usable.
    # Without one (savepoint=False) `entity` is still put back; the database is the
    # caller's to roll back.
    nested = db.session.begin_nested() if savepoint else None
    try:
        change = _move(entity, to_code, version, actor, note)
        _after_move(entity, actor, change, move, target)
    except BaseException:
        if nested is not None and nested.is_active:
            nested.rollback()
        set_committed_value(entity, "status", from_code)
        set_committed_value(entity, "version", loaded_version)
        set_committed_value(entity, "updated_at", loaded_at)
        raise
    if nested is not None:
        nested.commit()
    _announce(entity, change)
    return change


def transition_by_id(
    model: type,
    entity_id: int,
    to_code: str,
    actor,
    *,
    expected_version: int,
    actor_role: str | object | None = _LOOK_UP,
):
    """`transition()` of the current company's `model` row `entity_id`, as the user saw it
    at `expected_version`, for a caller that has not loaded the row (the board's one-click
    move): the move's statement itself checks what can be checked in SQL (the row's
    version, and a status from which the actor may move to `to_code`), and the entity is
    made from the row it returns, so a move costs no query before it. Returns
    `(entity, change)`.

    Whatever that statement does not move is judged again by `transition()` on the loaded
    row, so a refusal says exactly why (404 when there is no such row). Without a
    savepoint: for a caller that rolls its transaction back on any refusal."""
    entity_type = model.WORKFLOW_ENTITY
    flow = current_flow(entity_type)
    role = role_of(actor) if actor_role is _LOOK_UP else actor_role
    target = flow.status(to_code)
    sources = flow.sources(to_code, role)
    row_id = parse_id(entity_id)
    if target is not None and sources and row_id is not None:
        moved = _execute_move(
            model, row_id, current_company_id(), sources, to_code, expected_version, actor
        )
        if moved is not None:
            entity = _refreshed(attach_loaded(db.session(), model, moved.values), moved)
            change = _change(entity, moved, actor, None)
            try:
                _after_move(entity, actor, change, flow.move(change.from_code, to_code), target)
            except BaseException:
                # What the session holds follows the database from here: the moved row
                # until the caller rolls back, the row as it was after.
                db.session.expire(entity)
                db.session.expunge(change)
                raise
            _announce(entity, change)
            return entity, change
    entity = get_or_404(model, entity_id)
    change = transition(
        entity,
        to_code,
        actor,
        expected_version=expected_version,
        flow=flow,
        actor_role=role,
        savepoint=False,
    )
    return entity, change


def _announce(entity, change: StatusChange) -> None:
    """The move's event for boards (and later webhooks), sent once the transaction commits."""
    entity_type = change.entity_type
    events.publish_after_commit(
        entity.company_id,
        f"{entity_type}s",
        {
            "event": f"{entity_type}.status_changed",
            "id": entity.id,
            "from": change.from_code,
            "to": change.to_code,
            "version": entity.version,
        },
    )


# The move in one statement: lock the row if it still has the version the user saw and a
# status the move may start from, then update it, write its history line and its audit
# entry, which are written only when the row was moved (else no row: a conflict or a
# refusal). One round trip instead of three, none of the ORM's flush work, which cost
# more than the SQL (a move is the board's one write), and the whole row returned, so a
# caller that had not loaded it needs no query before (`transition_by_id`). The company
# is named explicitly: the statement is text, which the session's tenant hook does not
# scope. Locking first gives the status the row is moved from: a concurrent move that
# committed meanwhile changed the version, so the lock finds no row and this move none.
# The lock is the one the UPDATE takes anyway (NO KEY UPDATE: rows pointing at the order,
# its lines and payments, may still be inserted meanwhile).
_MOVE_SQL = """
WITH seen AS (
    SELECT id, status FROM {table}
    WHERE id = :entity_id AND company_id = :company_id AND version = :version
      AND status = ANY(:from_codes)
    FOR NO KEY UPDATE
), moved AS (
    UPDATE {table} AS moving
    SET status = :to_code, version = moving.version + 1, updated_at = now()
    FROM seen WHERE moving.id = seen.id
    RETURNING seen.status AS moved_from, {columns}
), change AS (
    INSERT INTO status_change
        (company_id, entity_type, entity_id, from_code, to_code, actor_id, note)
    SELECT :company_id, :entity_type, :entity_id, moved.moved_from, :to_code, :actor_id,
        :note
    FROM moved
    RETURNING id, created_at
), entry AS (
    INSERT INTO audit_entry
        (company_id, actor_id, action, entity_type, entity_id, entity_label, changes)
    SELECT :company_id, :actor_id, :action, :audit_type, :entity_id, {label},
        jsonb_build_object('status', jsonb_build_array(moved.moved_from, :to_code))
        || CAST(:more_changes AS jsonb)
    FROM moved
)
SELECT change.id AS change_id, change.created_at AS change_created_at, moved.*
FROM moved, change
"""


@dataclass(frozen=True)
class _Moved:
    change_id: int
    changed_at: object
    from_code: str
    values: dict  # the moved row's columns, by attribute


@functools.cache
def _move_statement(model: type):
    table = model.__table__
    registered = AUDIT_LABELS.get(model.WORKFLOW_ENTITY)
    if registered is not None:  # the format's text around the value comes as parameters
        value = f"CASE WHEN :label_has_value THEN moved.{registered[1]}::text ELSE '' END"
        label = f"left(:label_before || {value} || :label_after, 200)"
    else:
        label = "NULL"
    sql = _MOVE_SQL.format(
        table=table.name,
        columns=", ".join(f"moving.{column.name}" for column in table.columns),
        label=label,
    )
    # Typed as the model's columns, so the row's values are what the ORM would load.
    typed = (
        column("change_id", StatusChange.__table__.c.id.type),
        column("change_created_at", StatusChange.__table__.c.created_at.type),
        column("moved_from", table.c.status.type),
        *(column(c.name, c.type) for c in table.columns),
    )
    # By primary key: the same plan for every company (bizkit.core.plans).
    return text(sql).columns(*typed).execution_options(plan_stable=True)


@functools.cache
def _row_keys(model: type) -> tuple[str, ...]:
    """The attribute of each of the table's columns, in the table's order."""
    by_column = {attr.columns[0].name: attr.key for attr in sa_inspect(model).column_attrs}
    return tuple(by_column[column.name] for column in model.__table__.columns)


def _execute_move(
    model, entity_id, company_id, from_codes, to_code, version, actor, note=None
) -> _Moved | None:
    """The move's statement; None when it moved nothing."""
    entity_type = model.WORKFLOW_ENTITY
    changes = {"note": [None, note]} if note else {}
    row = (
        db.session.connection()
        .execute(
            _move_statement(model),
            {
                "to_code": to_code,
                "from_codes": list(from_codes),
                "entity_id": entity_id,
                "company_id": company_id,
                "version": version,
                "entity_type": entity_type,
                "actor_id": getattr(actor, "id", None),
                "note": note,
                "action": f"{entity_type}.transition",
                "audit_type": audit.model_name(model),
                "more_changes": json.dumps(changes),
                **_label_parts(entity_type),
            },
        )
        .one_or_none()
    )
    if row is None:
        return None
    change_id, changed_at, from_code, *columns = row
    return _Moved(
        change_id, changed_at, from_code, dict(zip(_row_keys(model), columns, strict=True))
    )


def _label_parts(entity_type: str) -> dict[str, str]:
    """The registered audit label's text before and after its value, translated."""
    registered = AUDIT_LABELS.get(entity_type)
    if registered is None:
        return {}
    label_format, column_name = registered
    # As Python's % would render it: a translation may leave the value out, and "%%" is "%".
    before, placeholder, after = str(label_format).partition(f"%({column_name})s")
    return {
        "label_before": before.replace("%%", "%"),
        "label_has_value": bool(placeholder),
        "label_after": after.replace("%%", "%"),
    }


def _move(entity, to_code, version, actor, note) -> StatusChange:
    """The move's statement for an entity the caller holds (from the status it has)."""
    moved = _execute_move(
        type(entity), entity.id, entity.company_id, (entity.status,), to_code, version, actor, note
    )
    if moved is None:
        raise _conflict(entity.WORKFLOW_ENTITY)
    return _change(_refreshed(entity, moved), moved, actor, note)


def _refreshed(entity, moved: _Moved):
    """`entity` with what the move changed (an object loaded before it holds the old)."""
    for name in ("status", "version", "updated_at"):
        set_committed_value(entity, name, moved.values[name])
    return entity


def _change(entity, moved: _Moved, actor, note) -> StatusChange:
    """The history line the move's statement wrote, in the session as the row it is
    (hooks may change it, the demo backdates it)."""
    change = StatusChange(
        id=moved.change_id,
        company_id=entity.company_id,
        entity_type=entity.WORKFLOW_ENTITY,
        entity_id=entity.id,
        from_code=moved.from_code,
        to_code=entity.status,
        actor_id=getattr(actor, "id", None),
        note=note,
        created_at=moved.changed_at,
    )
    make_transient_to_detached(change)
    db.session.add(change)
    return change


def _after_move(entity, actor, change: StatusChange, move, target) -> None:
    """The move's side effects, then the hooks of a final status and of every move."""
    for name in move.side_effects:
        effect = SIDE_EFFECTS.get(name)
        if effect is not None:
            effect.run(entity, actor, change)
    if target.is_terminal:
        for handler in HOOKS["closed"]:
            handler(entity, actor, change)
    for handler in HOOKS["status_changed"]:
        handler(entity, actor, change)


def _conflict(entity_type: str) -> ConflictError:
    return ConflictError(
        _(
            "Someone else changed this %(entity)s a moment ago. Reload to see its "
            "current status, then try again.",
            entity=ENTITY_LABELS.get(entity_type, entity_type),
        )
    )


def record_creation(entity, actor) -> StatusChange:
    """The first history line of a new entity (created in its initial status)."""
    change = StatusChange(
        company_id=entity.company_id,
        entity_type=entity.WORKFLOW_ENTITY,
        entity_id=entity.id,
        from_code=None,
        to_code=entity.status,
        actor_id=getattr(actor, "id", None),
    )
    db.session.add(change)
    return change


def history(entity) -> list[StatusChange]:
    """The entity's status changes, oldest first."""
    return list(
        db.session.execute(
            select(StatusChange)
            .where(
                StatusChange.entity_type == entity.WORKFLOW_ENTITY,
                StatusChange.entity_id == entity.id,
            )
            .order_by(StatusChange.id)
            .execution_options(plan_stable=True)  # one entity's, by an index: see core.plans
        ).scalars()
    )
