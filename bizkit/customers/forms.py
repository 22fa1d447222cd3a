from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from bizkit.config import LOCALES
from bizkit.core.forms import Form, choices
from bizkit.core.i18n import LOCALE_NAMES

KIND_LABELS = {"person": _l("Person"), "company": _l("Company")}
CONSENT_LABELS = {
    "form": _l("Form"),
    "import": _l("Import"),
    "in_store": _l("In store"),
    "phone": _l("Phone"),
    "web": _l("Website"),
    "api": _l("API"),
}
CREDIT_KIND_LABELS = {
    "grant": _l("Grant"),
    "use": _l("Use"),
    "expire": _l("Expire"),
    "correction": _l("Correction"),
}


class CustomerForm(Form):
    """Bounds only; the rules (valid e-mail, phone, VAT, uniqueness) live in operations."""

    kind = SelectField(_l("Type"), choices=choices(KIND_LABELS.items()), default="person")
    name = StringField(_l("Name"), validators=[Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    company_name = StringField(_l("Company name"), validators=[Optional(), Length(max=200)])
    vat_id = StringField(_l("VAT or company number"), validators=[Optional(), Length(max=32)])
    billing_street = StringField(_l("Street"), validators=[Optional(), Length(max=200)])
    billing_city = StringField(_l("City"), validators=[Optional(), Length(max=100)])
    billing_postal_code = StringField(_l("Postal code"), validators=[Optional(), Length(max=20)])
    billing_country = StringField(_l("Country"), validators=[Optional(), Length(max=60)])
    delivery_street = StringField(_l("Street"), validators=[Optional(), Length(max=200)])
    delivery_city = StringField(_l("City"), validators=[Optional(), Length(max=100)])
    delivery_postal_code = StringField(_l("Postal code"), validators=[Optional(), Length(max=20)])
    delivery_country = StringField(_l("Country"), validators=[Optional(), Length(max=60)])
    # Choices are checked by the operations (which know the groups); the form only offers them.
    locale = SelectField(_l("Preferred language"), default="", validate_choice=False)
    tags = StringField(_l("Tags"), validators=[Optional(), Length(max=500)])
    group_id = SelectField(_l("Group"), default="", validate_choice=False)
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=10000)])
    marketing_consent = BooleanField(_l("Agrees to receive marketing messages"))
    consent_source = SelectField(
        _l("Consent given via"),
        choices=choices(CONSENT_LABELS.items()),
        default="form",
        validate_choice=False,
    )

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = choices(
            [("", _l("Company default"))] + [(c, LOCALE_NAMES[c]) for c in LOCALES]
        )
        self.group_id.choices = choices(
            [("", _l("No group"))] + [(str(g.id), g.name) for g in groups]
        )

    def values(self) -> dict:
        data = {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
        return data


class NoteForm(Form):
    note = TextAreaField(_l("Add a note"), validators=[Length(max=2000)])


class GroupForm(Form):
    name = StringField(_l("Group name"), validators=[Length(max=100)])


class StoreCreditForm(Form):
    kind = SelectField(_l("Movement"), choices=choices(CREDIT_KIND_LABELS.items()))
    amount = StringField(_l("Amount"), validators=[Length(max=20)])
    reason = StringField(_l("Reason"), validators=[Length(max=300)])


class ImportUploadForm(Form):
    file = FileField(_l("CSV file"))
