"""Inventory forms. Business rules (uniqueness, service durations, stock) live in operations;
these only parse what the browser sent."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from babel.numbers import format_decimal, get_decimal_symbol
from flask import g
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from bizkit.core.forms import Form, choices
from bizkit.inventory.units import DEFAULT_UNIT, unit_label

KIND_LABELS = {"product": _l("Product"), "service": _l("Service")}


class LocalDecimalField(DecimalField):
    """A decimal that also accepts a decimal comma ("12,50"), as Czech or Polish users type."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            raw = valuelist[0].strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
            try:
                self.data = Decimal(raw)
            except InvalidOperation:
                self.data = None
                raise ValueError(self.gettext("Not a valid decimal value.")) from None
            if not self.data.is_finite():
                self.data = None
                raise ValueError(self.gettext("Not a valid decimal value."))
        else:
            self.data = None

    def _value(self):
        """The number as the company writes it, without grouping (the parser reads a comma as
        the decimal sign): 2.500 → "2,5" in Czech. A field with `places` (money, a rate) keeps
        them ("10,50"); one without (a quantity) drops trailing zeros and keeps a third
        decimal, which `places=2` rounded away: 0.125 read "0.12" and was saved so."""
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        value = Decimal(self.data)
        if self.places is None:
            text = f"{value.normalize():f}"  # 12.000 → "12", and never "1E+3"
        else:
            text = f"{value.quantize(Decimal(1).scaleb(-self.places)):f}"
        company = g.get("company")
        return text.replace(".", get_decimal_symbol(company.locale if company else "en"))


def rate_label(rate) -> str:
    """A tax rate as a choice reads it: "Standard (20 %)", "Reduced (8,5 %)" in Czech.

    Written as the `number` filter writes the rate on the tax-rates page (the company's
    locale, no trailing zeros); `Decimal.normalize()` made 10.00 "1E+1"."""
    company = g.get("company")
    percent = format_decimal(rate.rate, locale=company.locale if company is not None else "en")
    return f"{rate.name} ({percent} %)"


class ProductForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Type"), choices=choices(KIND_LABELS.items()), default="product")
    category = SelectField(_l("Category"), validators=[Optional()])
    tax_rate = SelectField(_l("Tax rate"), validators=[Optional()])
    # Shown and typed in the reader's language ("ks" in Czech); the operations store the code.
    unit = StringField(
        _l("Unit"),
        validators=[DataRequired(), Length(max=20)],
        default=lambda: unit_label(DEFAULT_UNIT),
    )
    duration_minutes = IntegerField(
        _l("Duration (minutes)"), validators=[Optional(), NumberRange(min=1, max=1440)]
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    active = BooleanField(_l("Active (offered for sale)"), default=True)
    stock_kept = BooleanField(_l("Keep stock of this item"), default=True)

    def __init__(self, *args, categories=(), tax_rates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = choices(
            [("", "—")] + [(str(c.id), "— " * depth + c.name) for c, depth in categories]
        )
        self.tax_rate.choices = choices(
            [("", "—")] + [(str(r.id), rate_label(r)) for r in tax_rates]
        )


class VariantForm(Form):
    variant_name = StringField(_l("Variant"), validators=[Optional(), Length(max=120)])
    sku = StringField(_l("SKU"), validators=[DataRequired(), Length(max=64)])
    barcode = StringField(_l("Barcode"), validators=[Optional(), Length(max=64)])
    price = LocalDecimalField(_l("Price"), validators=[InputRequired(), NumberRange(min=0)])
    cost_price = LocalDecimalField(_l("Cost price"), validators=[Optional(), NumberRange(min=0)])
    low_stock_threshold = LocalDecimalField(
        _l("Low-stock threshold"), validators=[Optional(), NumberRange(min=0)], places=None
    )
    variant_active = BooleanField(_l("Active"), default=True)

    def variant_values(self) -> dict:
        return {
            "name": self.variant_name.data,
            "sku": self.sku.data,
            "barcode": self.barcode.data,
            "price": self.price.data,
            "cost_price": self.cost_price.data,
            "low_stock_threshold": self.low_stock_threshold.data,
            "active": self.variant_active.data,
        }


class NewProductForm(ProductForm, VariantForm):
    """A product together with its first variant, on one page."""


class MovementForm(Form):
    kind = SelectField(
        _l("Movement"),
        choices=choices(
            [
                ("receipt", _l("Receipt (goods in)")),
                ("adjustment", _l("Adjustment")),
                ("return", _l("Customer return")),
            ]
        ),
    )
    quantity = LocalDecimalField(_l("Quantity"), validators=[InputRequired()])
    reason = SelectField(_l("Reason (adjustments)"), validators=[Optional()])
    location = SelectField(_l("Location"))
    note = StringField(_l("Note or reference"), validators=[Optional(), Length(max=100)])


class TaxRateForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    rate = LocalDecimalField(_l("Rate (%)"), validators=[InputRequired(), NumberRange(0, 100)])
    is_default = BooleanField(_l("Default for new products"))


class CategoryForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    parent = SelectField(_l("Inside"), validators=[Optional()])

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.parent.choices = choices(
            [("", _l("— top level —"))]
            + [(str(c.id), "— " * depth + c.name) for c, depth in categories]
        )


class StockCountForm(Form):
    """Only the location and note; counted quantities come as `count-<variant id>` fields."""

    location = SelectField(_l("Location"))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


SORT_LABELS = {
    "name": _l("Name A–Z"),
    "-name": _l("Name Z–A"),
    "newest": _l("Newest first"),
    "oldest": _l("Oldest first"),
}
VARIANT_SORT_LABELS = {
    "name": _l("Name A–Z"),
    "-name": _l("Name Z–A"),
    "sku": _l("SKU"),
    "available": _l("Available, lowest first"),
}


class CatalogFilterForm(Form):
    """The list filters, read from the query string (GET, no CSRF)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search"), validators=[Optional(), Length(max=100)])
    category = SelectField(_l("Category"), validators=[Optional()])
    kind = SelectField(
        _l("Type"),
        choices=choices([("", _l("All types")), *KIND_LABELS.items()]),
        validators=[Optional()],
    )
    active = SelectField(
        _l("Status"),
        choices=choices([("", _l("Any status")), ("yes", _l("Active")), ("no", _l("Inactive"))]),
        validators=[Optional()],
    )
    low = BooleanField(_l("Low stock only"))
    sort = SelectField(_l("Sort"), validators=[Optional()])

    def __init__(self, *args, categories=(), sorts=SORT_LABELS, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = choices(
            [("", _l("All categories"))]
            + [(str(c.id), "— " * depth + c.name) for c, depth in categories]
        )
        self.sort.choices = choices(sorts.items())
