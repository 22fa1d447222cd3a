from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField, SelectField
from wtforms.validators import DataRequired, EqualTo, Length

from bizkit.config import LOCALES
from bizkit.core.forms import Form, choices
from bizkit.core.i18n import LOCALE_NAMES


class LoginForm(Form):
    # No format check at login: a wrong address simply does not match (and the
    # demo's books@demo.test uses a reserved domain a strict validator refuses).
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=500)])
    next = HiddenField()


class ChangePasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=10, message=_l("Use at least 10 characters."))],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )


class LanguageForm(Form):
    locale = SelectField(
        _l("Language"), choices=choices((code, LOCALE_NAMES[code]) for code in LOCALES)
    )
    next = HiddenField()
