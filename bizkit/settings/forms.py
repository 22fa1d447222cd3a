from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import DateField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from bizkit.config import LOCALES
from bizkit.core.forms import Form, choices
from bizkit.core.i18n import LOCALE_NAMES
from bizkit.core.money import currency_choices
from bizkit.core.permissions import ROLE_LABELS, ROLES
from bizkit.core.timezones import all_timezones

BUSINESS_TYPE_LABELS = {
    "restaurant": _l("Restaurant"),
    "bike_shop": _l("Bike shop"),
    "clinic": _l("Clinic"),
    "pet_store": _l("Pet store"),
    "events": _l("Events"),
    "generic": _l("Other business"),
}


class CompanyForm(Form):
    name = StringField(_l("Company name"), validators=[DataRequired(), Length(max=200)])
    business_type = SelectField(_l("Business type"), choices=choices(BUSINESS_TYPE_LABELS.items()))
    locale = SelectField(_l("Language"), choices=choices((c, LOCALE_NAMES[c]) for c in LOCALES))
    timezone = SelectField(_l("Time zone"))
    currency = SelectField(_l("Currency"))
    vat_id = StringField(_l("VAT number"), validators=[Optional(), Length(max=32)])
    street = StringField(_l("Street"), validators=[Optional(), Length(max=200)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=100)])
    postal_code = StringField(_l("Postal code"), validators=[Optional(), Length(max=20)])
    country = StringField(_l("Country (2 letters)"), validators=[Optional(), Length(min=2, max=2)])
    iban = StringField(_l("IBAN"), validators=[Optional(), Length(max=42)])

    def __init__(self, *args, current_currency: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = choices((z, z.replace("_", " ")) for z in ("UTC", *all_timezones()))
        # Legal tender today, by name in the reader's language ("Česká koruna (CZK)"); a
        # company already keeping a currency BizKit no longer offers may keep it.
        self.currency.choices = choices(
            currency_choices(str(get_locale() or "en"), current_currency)
        )


class AddUserForm(Form):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(
        _l("Role"), choices=choices((r, ROLE_LABELS[r]) for r in ROLES), default="staff"
    )


class RoleForm(Form):
    role = SelectField(_l("Role"), choices=choices((r, ROLE_LABELS[r]) for r in ROLES))


class AuditFilterForm(Form):
    class Meta:
        csrf = False

    # Choices from bizkit/core/audit_labels.py (set by the view); any other value in the
    # address still filters (an action's code or the start of one: `?action=order.`).
    action = SelectField(_l("Action"), validators=[Optional()], validate_choice=False)
    entity_type = SelectField(_l("Record type"), validators=[Optional()], validate_choice=False)
    actor = SelectField(_l("User"), validators=[Optional()], coerce=str)
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])
