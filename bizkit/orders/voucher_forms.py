"""Forms of the promo code and gift voucher pages: bounds only, the rules are in the operations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length

from bizkit.core.forms import Form, choices
from bizkit.orders.vouchers import KIND_LABELS

DATETIME_INPUT = {"type": "datetime-local"}


class VoucherForm(Form):
    code = StringField(_l("Code"), validators=[Length(max=40)])
    description = StringField(_l("Description"), validators=[Length(max=200)])
    kind = SelectField(_l("Discount"), choices=choices(KIND_LABELS.items()), default="percent")
    value = StringField(_l("Value"), validators=[Length(max=20)])
    valid_from = StringField(_l("Valid from"), render_kw=DATETIME_INPUT)
    valid_until = StringField(_l("Valid until"), render_kw=DATETIME_INPUT)
    min_order_total = StringField(_l("Minimum order total"), validators=[Length(max=20)])
    max_uses = StringField(_l("Uses in total, at most"), validators=[Length(max=10)])
    max_uses_per_customer = StringField(
        _l("Uses per customer, at most"), validators=[Length(max=10)]
    )
    active = BooleanField(_l("Active"), default=True)

    def values(self) -> dict:
        return {name: f.data for name, f in self._fields.items() if name != "csrf_token"}


class GiftVoucherForm(Form):
    amount = StringField(_l("Amount"), validators=[Length(max=20)])
    note = StringField(_l("Note (who it is for)"), validators=[Length(max=200)])
    expires_at = StringField(_l("Expires"), render_kw=DATETIME_INPUT)


class GiftCorrectionForm(Form):
    amount = StringField(_l("Amount"), validators=[Length(max=20)])
    reason = StringField(_l("Reason"), validators=[Length(max=300)])
