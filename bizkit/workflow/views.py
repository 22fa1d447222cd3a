"""Settings → Workflows: the company's status flow per entity type, and its editor.

Every form posts to its own URL; an htmx request gets the editor region back (with the
message next to the field, or the refusal on top, status 422), a plain one a redirect or
the whole page. The rules are in `bizkit.workflow.editing`.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from bizkit.core.errors import BusinessRuleError, attach_to_form
from bizkit.core.htmx import is_htmx, render
from bizkit.core.permissions import ROLE_LABELS, requires
from bizkit.core.tenancy import get_or_404
from bizkit.workflow import bp
from bizkit.workflow import editing as ops
from bizkit.workflow.forms import ConfirmForm, StatusForm, TransitionForm, TransitionRulesForm
from bizkit.workflow.models import ENTITY_TYPES, WorkflowStatus, WorkflowTransition
from bizkit.workflow.operations import ENTITY_LABELS, ENTITY_MODELS, SIDE_EFFECTS, status_label
from bizkit.workflow.presets import STATUS_LABELS


def _entity_type_or_404(entity_type: str) -> str:
    if entity_type not in ENTITY_TYPES or entity_type not in ENTITY_MODELS:
        abort(404)
    return entity_type


def _status_or_404(entity_type: str, status_id: int) -> WorkflowStatus:
    status = get_or_404(WorkflowStatus, status_id)
    if status.entity_type != _entity_type_or_404(entity_type):
        abort(404)
    return status


def _move_or_404(entity_type: str, move_id: int) -> WorkflowTransition:
    move = get_or_404(WorkflowTransition, move_id)
    if move.entity_type != _entity_type_or_404(entity_type):
        abort(404)
    return move


def _context(entity_type: str) -> dict:
    return {
        "entity_type": entity_type,
        "entity_types": [t for t in ENTITY_TYPES if t in ENTITY_MODELS],
        "entity_labels": ENTITY_LABELS,
        "role_labels": ROLE_LABELS,
        "side_effects": SIDE_EFFECTS,
        "status_label": status_label,
        "roles_of": ops.roles_of,
        "count_label": ops.count_label,
        "standard_codes": STATUS_LABELS,
    }


def _editor(entity_type, *, status_form=None, move_form=None, error=None, notice=None, code=200):
    view = ops.overview(entity_type)
    return render(
        "workflow/flow.html",
        "workflow/_editor.html",
        view=view,
        status_form=status_form or StatusForm(formdata=None),
        move_form=move_form or TransitionForm(formdata=None, flow=view.flow),
        error=error,
        notice=notice,
        status=code,
        **_context(entity_type),
    )


def _done(entity_type: str, message: str):
    """After a change: the refreshed editor for htmx, a redirect for a plain form."""
    if is_htmx():
        return _editor(entity_type, notice=message)
    flash(message, "success")
    return redirect(url_for("workflow.flow", entity_type=entity_type))


def _refused(entity_type: str, error: BusinessRuleError):
    if error.status == 404:
        abort(404)
    return _editor(entity_type, error=error.message, code=error.status)


@bp.route("/")
@requires("workflows.manage")
def index():
    return redirect(url_for("workflow.flow", entity_type="order"))


@bp.route("/<entity_type>")
@requires("workflows.manage")
def flow(entity_type: str):
    return _editor(_entity_type_or_404(entity_type))


# -- statuses -----------------------------------------------------------------------------


@bp.route("/<entity_type>/statuses", methods=["POST"])
@requires("workflows.manage")
def add_status(entity_type: str):
    entity_type = _entity_type_or_404(entity_type)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            status = ops.add_status(
                current_user,
                entity_type,
                label=form.label.data,
                color=form.color.data,
                terminal=form.terminal.data,
            )
        except BusinessRuleError as error:
            attach_to_form(form, error)
        else:
            return _done(entity_type, _("Status “%(name)s” added.", name=status_label(status)))
    return _editor(entity_type, status_form=form, code=422)


def _status_page(status: WorkflowStatus, form: StatusForm, code: int = 200):
    return render(
        "workflow/status.html",
        "workflow/_status_form.html",
        flow_status=status,
        form=form,
        held=ops.entity_counts(status.entity_type).get(status.code, 0),
        status=code,
        **_context(status.entity_type),
    )


@bp.route("/<entity_type>/statuses/<int:status_id>", methods=["GET"])
@requires("workflows.manage")
def status(entity_type: str, status_id: int):
    flow_status = _status_or_404(entity_type, status_id)
    form = StatusForm(formdata=None, obj=flow_status)
    form.label.data = status_label(flow_status)
    form.terminal.data = flow_status.is_terminal
    return _status_page(flow_status, form)


@bp.route("/<entity_type>/statuses/<int:status_id>", methods=["POST"])
@requires("workflows.manage")
def update_status(entity_type: str, status_id: int):
    flow_status = _status_or_404(entity_type, status_id)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            ops.update_status(
                current_user,
                flow_status,
                label=form.label.data,
                color=form.color.data,
                terminal=form.terminal.data,
            )
        except BusinessRuleError as error:
            attach_to_form(form, error)
        else:
            flash(_("Status “%(name)s” saved.", name=status_label(flow_status)), "success")
            return redirect(url_for("workflow.flow", entity_type=entity_type))
    return _status_page(flow_status, form, 422)


def _status_action(entity_type: str, status_id: int, action, message: str):
    flow_status = _status_or_404(entity_type, status_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        action(flow_status)
    except BusinessRuleError as error:
        return _refused(entity_type, error)
    return _done(entity_type, message % {"name": status_label(flow_status)})


@bp.route("/<entity_type>/statuses/<int:status_id>/initial", methods=["POST"])
@requires("workflows.manage")
def set_initial(entity_type: str, status_id: int):
    return _status_action(
        entity_type,
        status_id,
        lambda s: ops.set_initial(current_user, s),
        _("New entries now start in “%(name)s”."),
    )


@bp.route("/<entity_type>/statuses/<int:status_id>/move", methods=["POST"])
@requires("workflows.manage")
def move_status(entity_type: str, status_id: int):
    offset = -1 if request.form.get("direction") == "up" else 1
    return _status_action(
        entity_type,
        status_id,
        lambda s: ops.move_status(current_user, s, offset),
        _("Status “%(name)s” moved."),
    )


@bp.route("/<entity_type>/statuses/<int:status_id>/delete", methods=["POST"])
@requires("workflows.manage")
def delete_status(entity_type: str, status_id: int):
    return _status_action(
        entity_type,
        status_id,
        lambda s: ops.delete_status(current_user, s),
        _("Status “%(name)s” deleted."),
    )


# -- transitions --------------------------------------------------------------------------


@bp.route("/<entity_type>/transitions", methods=["POST"])
@requires("workflows.manage")
def add_transition(entity_type: str):
    entity_type = _entity_type_or_404(entity_type)
    form = TransitionForm(flow=ops.overview(entity_type).flow)
    if form.validate_on_submit():
        try:
            move = ops.add_transition(
                current_user,
                entity_type,
                from_code=form.from_code.data,
                to_code=form.to_code.data,
                roles=form.roles.data,
                side_effects=form.side_effects.data,
            )
        except BusinessRuleError as error:
            attach_to_form(form, error)
        else:
            return _done(entity_type, _("Move %(move)s added.", move=ops.move_label(move)))
    return _editor(entity_type, move_form=form, code=422)


def _transition_page(move: WorkflowTransition, form: TransitionRulesForm, code: int = 200):
    return render(
        "workflow/transition.html",
        "workflow/_transition_form.html",
        move=move,
        move_name=ops.move_label(move),
        form=form,
        status=code,
        **_context(move.entity_type),
    )


@bp.route("/<entity_type>/transitions/<int:move_id>", methods=["GET"])
@requires("workflows.manage")
def transition(entity_type: str, move_id: int):
    move = _move_or_404(entity_type, move_id)
    form = TransitionRulesForm(formdata=None)
    form.roles.data = ops.roles_of(move)
    form.side_effects.data = list(move.side_effects)
    return _transition_page(move, form)


@bp.route("/<entity_type>/transitions/<int:move_id>", methods=["POST"])
@requires("workflows.manage")
def update_transition(entity_type: str, move_id: int):
    move = _move_or_404(entity_type, move_id)
    form = TransitionRulesForm()
    if form.validate_on_submit():
        try:
            ops.update_transition(
                current_user, move, roles=form.roles.data, side_effects=form.side_effects.data
            )
        except BusinessRuleError as error:
            attach_to_form(form, error)
        else:
            flash(_("Move %(move)s saved.", move=ops.move_label(move)), "success")
            return redirect(url_for("workflow.flow", entity_type=entity_type))
    return _transition_page(move, form, 422)


@bp.route("/<entity_type>/transitions/<int:move_id>/delete", methods=["POST"])
@requires("workflows.manage")
def delete_transition(entity_type: str, move_id: int):
    move = _move_or_404(entity_type, move_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = ops.move_label(move)
    try:
        ops.remove_transition(current_user, move)
    except BusinessRuleError as error:
        return _refused(entity_type, error)
    return _done(entity_type, _("Move %(move)s removed.", move=name))
