from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length

from bizkit.auth.operations import MAX_PASSWORD_LENGTH
from bizkit.config import LOCALES
from bizkit.core.forms import Form, choices
from bizkit.core.i18n import LOCALE_NAMES


class LoginForm(Form):
    # No format check at login: a wrong address simply does not match (and the
    # demo's books@demo.test uses a reserved domain a strict validator refuses).
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )
    next = HiddenField()


class ChangePasswordForm(Form):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(min=10, message=_l("Use at least 10 characters.")),
            Length(max=MAX_PASSWORD_LENGTH),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The passwords differ.")),
            Length(max=MAX_PASSWORD_LENGTH),
        ],
    )


class LanguageForm(Form):
    locale = SelectField(
        _l("Language"), choices=choices((code, LOCALE_NAMES[code]) for code in LOCALES)
    )
    next = HiddenField()


class SecondStepForm(Form):
    """The code after the password (or when confirming the set-up): six digits from
    the app or, at login and to switch it off, a recovery code."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])


class ConfirmTwoStepForm(Form):
    """Switching two-step sign-in off, or new recovery codes: the password and a code."""

    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )
    code = StringField(
        _l("Code from the app, or a recovery code"),
        validators=[DataRequired(), Length(max=40)],
    )


class ResetPasswordForm(Form):
    switch_off_two_step = BooleanField(_l("Also switch off two-step sign-in"))
