"""Forms of the notifications pages: company settings and the template preview."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import Length, Optional

from bizkit.config import LOCALES
from bizkit.core.forms import Form, choices
from bizkit.core.i18n import LOCALE_NAMES
from bizkit.notifications.templates import EVENTS

STATUS_LABELS = {
    "queued": _l("Queued"),
    "sending": _l("Sending"),
    "retrying": _l("Retrying"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    "cancelled": _l("Cancelled"),
    "scheduled": _l("Scheduled"),
}
CHANNEL_LABELS = {
    "email": _l("E-mail"),
    "sms": _l("SMS"),
    "whatsapp": _l("WhatsApp"),
    "console": _l("Console"),
}
OUTCOME_LABELS = {
    None: _l("In progress"),
    "sent": _l("Delivered"),
    "temporary": _l("Temporary failure"),
    "permanent": _l("Rejected"),
    "interrupted": _l("Interrupted"),
}


class SettingsForm(Form):
    sender_name = StringField(_l("Sender name"), validators=[Optional(), Length(max=100)])
    reply_to = StringField(_l("Reply-to address"), validators=[Optional(), Length(max=254)])
    email_enabled = BooleanField(_l("Send e-mails"))
    sms_enabled = BooleanField(_l("Send SMS"))
    whatsapp_enabled = BooleanField(_l("Send WhatsApp messages"))
    staff_low_stock = BooleanField(_l("Tell the staff when stock runs low"))
    provider_base_url = StringField(
        _l("Provider address"), validators=[Optional(), Length(max=200)]
    )
    provider_account = StringField(_l("Account SID"), validators=[Optional(), Length(max=100)])
    provider_token = PasswordField(_l("Auth token"), validators=[Optional(), Length(max=200)])
    sms_from = StringField(_l("SMS sender number"), validators=[Optional(), Length(max=32)])
    whatsapp_from = StringField(
        _l("WhatsApp sender number"), validators=[Optional(), Length(max=32)]
    )

    def values(self) -> dict:
        return {name: self[name].data for name in self.data if name != "csrf_token"}


class PreviewForm(Form):
    class Meta:
        csrf = False

    event = SelectField(_l("Message"), choices=choices(EVENTS.items()))
    locale = SelectField(_l("Language"), choices=choices((c, LOCALE_NAMES[c]) for c in LOCALES))
    channel = SelectField(
        _l("Channel"), choices=choices([("email", _l("E-mail")), ("sms", _l("SMS / WhatsApp"))])
    )
