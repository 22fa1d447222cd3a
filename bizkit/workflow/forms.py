"""Forms of the flow editor. The rules (names, colours, consistency) live in
`bizkit.workflow.editing`; these only carry the input and its CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.fields import ColorField
from wtforms.widgets import CheckboxInput, ListWidget

from bizkit.core.forms import Form, choices
from bizkit.core.permissions import ROLE_LABELS
from bizkit.workflow.editing import EFFECT_ORDER, transition_roles
from bizkit.workflow.operations import SIDE_EFFECTS, status_label


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes; unknown values are refused by the operation."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, validate_choice=False, **kwargs)


class ConfirmForm(Form):
    """A button that changes something: only the CSRF token."""


class StatusForm(Form):
    label = StringField(_l("Name"))
    color = ColorField(_l("Colour"), default="#64748b")
    terminal = BooleanField(_l("Final status (closes the order)"))


def _role_choices():
    return choices((role, ROLE_LABELS[role]) for role in transition_roles())


def _effect_choices():
    names = [n for n in EFFECT_ORDER if n in SIDE_EFFECTS]
    names += [n for n in SIDE_EFFECTS if n not in names]
    return choices((name, SIDE_EFFECTS[name].label) for name in names)


class TransitionRulesForm(Form):
    roles = CheckboxesField(_l("Who may make this move"))
    side_effects = CheckboxesField(_l("What happens"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.roles.choices = _role_choices()
        self.side_effects.choices = _effect_choices()


class TransitionForm(TransitionRulesForm):
    from_code = SelectField(_l("From"), validate_choice=False)
    to_code = SelectField(_l("To"), validate_choice=False)

    def __init__(self, *args, flow=None, **kwargs):
        super().__init__(*args, **kwargs)
        statuses = flow.statuses if flow is not None else []
        self.from_code.choices = choices(
            [("", "")] + [(s.code, status_label(s)) for s in statuses if not s.is_terminal]
        )
        self.to_code.choices = choices([("", "")] + [(s.code, status_label(s)) for s in statuses])
        if self.roles.data is None or not self.is_submitted():
            self.roles.data = [c.value for c in self.roles.choices]
