"""Editing a company's flow (Settings → Workflows): statuses and transitions.

Plain operations like the rest (actor explicit, flush, audit, never commit), kept apart from
the engine in `operations.py` because they change the flow rather than move entities.

Every edit validates first and writes only when the flow stays consistent:

- exactly one starting status, and it is open (never final) and cannot be deleted;
- a final status has no moves out (the engine would never use them);
- a status that holds entities (orders) is never deleted, and its final / open setting
  never changes: making it final would close those orders with their stock still
  reserved; reopening a final one would let closed, invoiced orders be edited again;
- no edit leaves an open status that holds entities without a move out — removing the
  last move out of "Ready", or deleting the only status it leads to, is refused;
- a move is allowed for at least one role (removing the last role would silently mean
  "every role"); its side effects are known names, reserve and release not together.

Edits of one flow are serialised by locking its status rows. A transition running at the
same moment is not locked out: an order may enter a status in the instant it is deleted
(then its status no longer exists and the engine refuses to move it) — rare, and repaired
by adding the status back under the same name, so not worth a lock on every transition.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from bizkit.core import audit
from bizkit.core.errors import BusinessRuleError
from bizkit.core.permissions import ROLES, role_can
from bizkit.extensions import db
from bizkit.workflow.models import ENTITY_TYPES, WorkflowStatus, WorkflowTransition
from bizkit.workflow.operations import (
    ENTITY_MODELS,
    SIDE_EFFECTS,
    Flow,
    load_flow,
    status_label,
)
from bizkit.workflow.presets import STATUS_LABELS

COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_LABEL = 80
MAX_STATUSES = 40
# Stock first, then the paperwork, then telling the customer: the order flows run them in.
EFFECT_ORDER = (
    "reserve_stock",
    "deduct_stock",
    "release_stock",
    "create_invoice_draft",
    "notify_customer",
)


def transition_roles() -> list[str]:
    """The roles that may move entities at all, so a move can be allowed for them."""
    return [role for role in ROLES if role_can(role, "orders.transition")]


def count_label(entity_type: str, count: int) -> str:
    if entity_type == "appointment":
        return ngettext("%(num)d appointment", "%(num)d appointments", count)
    return ngettext("%(num)d order", "%(num)d orders", count)


# -- reading ------------------------------------------------------------------------------


def entity_counts(entity_type: str) -> dict[str, int]:
    """How many entities (e.g. orders) of the current company are in each status."""
    model = ENTITY_MODELS.get(entity_type)
    if model is None:
        return {}
    rows = db.session.execute(select(model.status, func.count()).group_by(model.status))
    return dict(rows.all())


@dataclass
class FlowOverview:
    """What the editor shows: the flow, entities per status, and its weak spots."""

    flow: Flow
    counts: dict[str, int]

    @property
    def dead_ends(self) -> set[str]:
        """Open statuses with no move out: whatever reaches them stays there."""
        exits = {t.from_code for t in self.flow.transitions}
        return {s.code for s in self.flow.open_statuses if s.code not in exits}

    @property
    def unreachable(self) -> set[str]:
        """Statuses no move leads to (besides the starting one)."""
        entries = {t.to_code for t in self.flow.transitions}
        return {s.code for s in self.flow.statuses if not s.is_initial and s.code not in entries}


def overview(entity_type: str) -> FlowOverview:
    """The flow with its counts, in three queries whatever its size."""
    return FlowOverview(load_flow(entity_type), entity_counts(entity_type))


# -- validation helpers -------------------------------------------------------------------


def _locked_flow(entity_type: str) -> Flow:
    """The flow, with its status rows locked until the transaction ends (one editor at a time)."""
    if entity_type not in ENTITY_TYPES:
        raise BusinessRuleError(_("There is no such flow."), status=404)
    db.session.execute(
        select(WorkflowStatus.id).where(WorkflowStatus.entity_type == entity_type).with_for_update()
    ).all()
    return load_flow(entity_type)


def _clean_label(flow: Flow, label, status: WorkflowStatus | None) -> str | None:
    """The label to store (None: the translated preset label of the code)."""
    label = " ".join((label or "").split())
    if not label:
        if status is not None and status.code in STATUS_LABELS:
            return None
        raise BusinessRuleError(_("Enter a name."), field="label")
    if len(label) > MAX_LABEL:
        raise BusinessRuleError(_("At most %(max)d characters.", max=MAX_LABEL), field="label")
    for other in flow.statuses:
        if other is not status and status_label(other).casefold() == label.casefold():
            raise BusinessRuleError(
                _("There is already a status called “%(label)s”.", label=label), field="label"
            )
    if status is not None and str(STATUS_LABELS.get(status.code, "")) == label:
        return None  # the preset's own name: keep it translated for every user
    return label


def _clean_color(color) -> str:
    color = (color or "").strip()
    if not COLOR.match(color):
        raise BusinessRuleError(
            _("Choose a colour, written as # and six hex digits (e.g. #2563eb)."), field="color"
        )
    return color.lower()


def code_for(label: str, taken) -> str:
    """A code derived from the label: upper case, ASCII, underscores, unique in the flow."""
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    code = re.sub(r"[^A-Z0-9]+", "_", ascii_text.upper()).strip("_")
    if not code[:1].isalpha():
        code = f"STATUS_{code}".rstrip("_")
    code = code[:40].rstrip("_")
    candidate, number = code, 2
    while candidate in taken:
        suffix = f"_{number}"
        candidate = code[: 40 - len(suffix)].rstrip("_") + suffix
        number += 1
    return candidate


def _clean_roles(roles) -> list[str]:
    """The roles a move is allowed for; [] stores "every role that may move entities"."""
    chosen = list(dict.fromkeys(roles or []))
    allowed = transition_roles()
    if any(role not in allowed for role in chosen):
        raise BusinessRuleError(_("Unknown role."), field="roles")
    if not chosen:
        raise BusinessRuleError(
            _("Allow at least one role. To stop this move for everyone, remove it."),
            field="roles",
        )
    return [] if set(chosen) == set(allowed) else [r for r in allowed if r in chosen]


def _clean_side_effects(names) -> list[str]:
    chosen = list(dict.fromkeys(names or []))
    if any(name not in SIDE_EFFECTS for name in chosen):
        raise BusinessRuleError(_("Unknown side effect."), field="side_effects")
    if {"reserve_stock", "release_stock"} <= set(chosen):
        raise BusinessRuleError(
            _("A move cannot both reserve and release stock."), field="side_effects"
        )
    known = list(EFFECT_ORDER) + [n for n in SIDE_EFFECTS if n not in EFFECT_ORDER]
    return sorted(chosen, key=known.index)


def _refuse_stranding(flow: Flow, counts, *, without_status=None, without_move=None) -> None:
    """Refuse when, after removing a status or a move, an open status holding entities
    would have no move out."""
    codes = {s.code for s in flow.statuses if s is not without_status}
    exits = {
        t.from_code
        for t in flow.transitions
        if t is not without_move and t.from_code in codes and t.to_code in codes
    }
    for status in flow.open_statuses:
        if status is without_status or status.code in exits:
            continue
        if counts.get(status.code):
            raise BusinessRuleError(
                _(
                    "%(count)s in “%(status)s” would have no way out. Add another move "
                    "out of “%(status)s” first.",
                    count=count_label(flow.entity_type, counts[status.code]),
                    status=status_label(status),
                )
            )


def _renumber(statuses: list[WorkflowStatus]) -> None:
    for position, status in enumerate(statuses):
        if status.position != position:
            status.position = position


def move_label(move: WorkflowTransition, flow: Flow | None = None) -> str:
    """ "Ready → Delivered", in the reader's language."""
    flow = flow or load_flow(move.entity_type)
    return f"“{flow.label(move.from_code)}” → “{flow.label(move.to_code)}”"


# -- statuses -----------------------------------------------------------------------------


def add_status(actor, entity_type: str, *, label, color, terminal: bool = False):
    """A new status at the end of the board; its code comes from the label."""
    flow = _locked_flow(entity_type)
    if len(flow.statuses) >= MAX_STATUSES:
        raise BusinessRuleError(_("A flow has at most %(max)d statuses.", max=MAX_STATUSES))
    clean_label = _clean_label(flow, label, None)
    clean_color = _clean_color(color)
    status = WorkflowStatus(
        entity_type=entity_type,
        code=code_for(clean_label, set(flow.by_code)),
        label=clean_label,
        color=clean_color,
        is_initial=False,
        is_terminal=bool(terminal),
        position=max((s.position for s in flow.statuses), default=-1) + 1,
    )
    db.session.add(status)
    db.session.flush()
    audit.record(
        actor,
        "workflow.status_add",
        status,
        {"code": [None, status.code], "color": [None, status.color]},
        label=status_label(status),
    )
    return status


def update_status(actor, status: WorkflowStatus, *, label, color, terminal: bool):
    """Rename, recolour, or make final / open again (see the rules at the top)."""
    flow = _locked_flow(status.entity_type)
    clean_label = _clean_label(flow, label, status)
    clean_color = _clean_color(color)
    terminal = bool(terminal)
    if terminal != status.is_terminal:
        _check_terminal_change(flow, status, terminal)
    status.label, status.color, status.is_terminal = clean_label, clean_color, terminal
    changes = audit.pending_changes(status)
    db.session.flush()
    if changes:
        audit.record(actor, "workflow.status_update", status, changes, label=status_label(status))
    return status


def _check_terminal_change(flow: Flow, status: WorkflowStatus, terminal: bool) -> None:
    held = entity_counts(flow.entity_type).get(status.code, 0)
    name = status_label(status)
    if held and terminal:
        raise BusinessRuleError(
            _(
                "“%(status)s” holds %(count)s; making it final would close them as they "
                "are. Move them on first.",
                count=count_label(flow.entity_type, held),
                status=name,
            ),
            field="terminal",
        )
    if held:
        raise BusinessRuleError(
            _(
                "“%(status)s” holds %(count)s closed there; it stays final so they cannot "
                "be changed again.",
                count=count_label(flow.entity_type, held),
                status=name,
            ),
            field="terminal",
        )
    if terminal and status.is_initial:
        raise BusinessRuleError(_("The starting status cannot be final."), field="terminal")
    exits = [t for t in flow.transitions if t.from_code == status.code]
    if terminal and exits:
        raise BusinessRuleError(
            _(
                "A final status has no moves out. Remove the moves from “%(status)s” to "
                "%(targets)s first.",
                status=name,
                targets=", ".join(f"“{flow.label(t.to_code)}”" for t in exits),
            ),
            field="terminal",
        )


def set_initial(actor, status: WorkflowStatus) -> WorkflowStatus:
    """Make `status` the one where new entities start."""
    flow = _locked_flow(status.entity_type)
    if status.is_terminal:
        raise BusinessRuleError(
            _("A final status cannot be the starting one: nothing could happen after it.")
        )
    previous = flow.initial
    if previous is status:
        return status
    if previous is not None:
        previous.is_initial = False
        db.session.flush()  # one starting status at any moment (a unique index guards it)
    status.is_initial = True
    db.session.flush()
    audit.record(
        actor,
        "workflow.status_initial",
        status,
        {"is_initial": [previous.code if previous else None, status.code]},
        label=status_label(status),
    )
    return status


def move_status(actor, status: WorkflowStatus, offset: int) -> WorkflowStatus:
    """Move a status one place left (-1) or right (+1) on the board."""
    flow = _locked_flow(status.entity_type)
    order = list(flow.statuses)
    index = order.index(status)
    target = max(0, min(len(order) - 1, index + (1 if offset > 0 else -1)))
    if target == index:
        return status
    order.insert(target, order.pop(index))
    _renumber(order)
    db.session.flush()
    audit.record(
        actor,
        "workflow.status_move",
        status,
        {"position": [index, target]},
        label=status_label(status),
    )
    return status


def delete_status(actor, status: WorkflowStatus) -> None:
    """Remove a status and the moves to and from it, unless that would strand anything."""
    flow = _locked_flow(status.entity_type)
    name = status_label(status)
    if status.is_initial:
        raise BusinessRuleError(
            _(
                "“%(status)s” is where new entries start. Make another status the starting "
                "one first.",
                status=name,
            )
        )
    counts = entity_counts(flow.entity_type)
    if counts.get(status.code):
        raise BusinessRuleError(
            _(
                "“%(status)s” still holds %(count)s. Move them to another status first.",
                count=count_label(flow.entity_type, counts[status.code]),
                status=name,
            )
        )
    _refuse_stranding(flow, counts, without_status=status)
    for move in flow.transitions:
        if status.code in (move.from_code, move.to_code):
            db.session.delete(move)
    db.session.flush()
    db.session.delete(status)
    _renumber([s for s in flow.statuses if s is not status])
    db.session.flush()
    audit.record(actor, "workflow.status_delete", status, {"code": [status.code, None]}, label=name)


# -- transitions --------------------------------------------------------------------------


def add_transition(
    actor, entity_type: str, *, from_code, to_code, roles, side_effects
) -> WorkflowTransition:
    """Allow a new move between two statuses, for some roles, with side effects."""
    flow = _locked_flow(entity_type)
    source, target = flow.status(from_code), flow.status(to_code)
    if source is None:
        raise BusinessRuleError(_("Choose the status it starts from."), field="from_code")
    if target is None:
        raise BusinessRuleError(_("Choose the status it goes to."), field="to_code")
    if source is target:
        raise BusinessRuleError(_("Choose a different status to go to."), field="to_code")
    if source.is_terminal:
        raise BusinessRuleError(
            _(
                "“%(status)s” is final: nothing moves out of it.",
                status=status_label(source),
            ),
            field="from_code",
        )
    if flow.move(source.code, target.code) is not None:
        raise BusinessRuleError(
            _(
                "“%(from)s” can already go to “%(to)s”.",
                **{"from": status_label(source), "to": status_label(target)},
            ),
            field="to_code",
        )
    move = WorkflowTransition(
        entity_type=entity_type,
        from_code=source.code,
        to_code=target.code,
        roles=_clean_roles(roles),
        side_effects=_clean_side_effects(side_effects),
        position=max((t.position for t in flow.transitions), default=-1) + 1,
    )
    db.session.add(move)
    db.session.flush()
    audit.record(
        actor,
        "workflow.transition_add",
        move,
        {"roles": [None, move.roles], "side_effects": [None, move.side_effects]},
        label=move_label(move, flow),
    )
    return move


def update_transition(actor, move: WorkflowTransition, *, roles, side_effects):
    """Change who may make a move and what it does."""
    flow = _locked_flow(move.entity_type)
    clean_roles, clean_effects = _clean_roles(roles), _clean_side_effects(side_effects)
    changes = {}
    if clean_roles != list(move.roles):
        changes["roles"] = [list(move.roles), clean_roles]
        move.roles = clean_roles
    if clean_effects != list(move.side_effects):
        changes["side_effects"] = [list(move.side_effects), clean_effects]
        move.side_effects = clean_effects
    db.session.flush()
    if changes:
        audit.record(
            actor, "workflow.transition_update", move, changes, label=move_label(move, flow)
        )
    return move


def roles_of(move: WorkflowTransition) -> list[str]:
    """The roles a move is allowed for, spelled out ([] stored means all of them)."""
    return list(move.roles) or transition_roles()


def allow_role(actor, move: WorkflowTransition, role: str):
    return update_transition(
        actor, move, roles=[*roles_of(move), role], side_effects=move.side_effects
    )


def forbid_role(actor, move: WorkflowTransition, role: str):
    remaining = [r for r in roles_of(move) if r != role]
    return update_transition(actor, move, roles=remaining, side_effects=move.side_effects)


def remove_transition(actor, move: WorkflowTransition) -> None:
    """Stop allowing a move, unless entities waiting in its status would be stranded."""
    flow = _locked_flow(move.entity_type)
    _refuse_stranding(flow, entity_counts(flow.entity_type), without_move=move)
    label = move_label(move, flow)
    db.session.delete(move)
    db.session.flush()
    audit.record(
        actor,
        "workflow.transition_remove",
        move,
        {"move": [f"{move.from_code} → {move.to_code}", None]},
        label=label,
    )
