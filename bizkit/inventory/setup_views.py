"""Catalog set-up pages: categories (nested) and the company's tax rates.

Categories are catalog work (`inventory.edit`, staff included). Tax rates are company
configuration, as the company profile is: a changed rate changes the price of everything
sold at it, so changing one takes `settings.manage` (owner, admin); everyone who sees the
catalog still sees the rates, here and in the product form.
"""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from bizkit.core.errors import BusinessRuleError, attach_to_form
from bizkit.core.htmx import render
from bizkit.core.permissions import can, requires
from bizkit.core.tenancy import get_or_404
from bizkit.extensions import db
from bizkit.inventory import bp
from bizkit.inventory import operations as ops
from bizkit.inventory.forms import CategoryForm, TaxRateForm
from bizkit.inventory.models import Category, Product, TaxRate

# The permission that changes tax rates (the company profile's).
TAX_RATES_PERMISSION = "settings.manage"


def _categories_page(form: CategoryForm | None = None, status: int = 200):
    tree = ops.category_tree()
    counts = dict(
        db.session.execute(
            select(Product.category_id, func.count(Product.id)).group_by(Product.category_id)
        ).all()
    )
    return render(
        "inventory/categories.html",
        "inventory/_category_form.html" if form is not None else None,
        tree=tree,
        counts=counts,
        form=form or CategoryForm(categories=tree),
        category=None,
        editable=can("inventory.edit"),
        status=status,
    )


def _save_category(category: Category | None, form: CategoryForm):
    parent = get_or_404(Category, form.parent.data) if form.parent.data else None
    return ops.save_category(current_user, category, name=form.name.data, parent=parent)


@bp.route("/categories", methods=["GET"])
@requires("inventory.view")
def categories():
    return _categories_page()


@bp.route("/categories", methods=["POST"])
@requires("inventory.edit")
def add_category():
    form = CategoryForm(categories=ops.category_tree())
    if form.validate_on_submit():
        try:
            category = _save_category(None, form)
        except BusinessRuleError as error:
            attach_to_form(form, error)
        else:
            flash(_("Category %(name)s added.", name=category.name), "success")
            return redirect(url_for("inventory.categories"))
    return _categories_page(form, status=422)


def _category_edit_page(category, form, status=200):
    return render(
        "inventory/category_edit.html",
        "inventory/_category_form.html",
        category=category,
        form=form,
        editable=can("inventory.edit"),
        status=status,
    )


@bp.route("/categories/<int:category_id>", methods=["GET"])
@requires("inventory.view")
def category(category_id: int):
    category = get_or_404(Category, category_id)
    form = CategoryForm(obj=category, categories=ops.category_tree())
    form.parent.data = str(category.parent_id or "")
    return _category_edit_page(category, form)


@bp.route("/categories/<int:category_id>", methods=["POST"])
@requires("inventory.edit")
def update_category(category_id: int):
    category = get_or_404(Category, category_id)
    form = CategoryForm(categories=ops.category_tree())
    if form.validate_on_submit():
        try:
            _save_category(category, form)
        except BusinessRuleError as error:
            attach_to_form(form, error)
        else:
            flash(_("Category saved."), "success")
            return redirect(url_for("inventory.categories"))
    return _category_edit_page(category, form, status=422)


def _tax_rates_page(form: TaxRateForm | None = None, status: int = 200):
    rates = db.session.execute(select(TaxRate).order_by(TaxRate.rate.desc(), TaxRate.name))
    return render(
        "inventory/tax_rates.html",
        "inventory/_tax_rate_form.html" if form is not None else None,
        rates=list(rates.scalars()),
        form=form or TaxRateForm(),
        rate=None,
        editable=can(TAX_RATES_PERMISSION),
        status=status,
    )


def _save_rate(rate: TaxRate | None, form: TaxRateForm) -> TaxRate:
    return ops.save_tax_rate(
        current_user,
        rate,
        name=form.name.data,
        percent=form.rate.data,
        is_default=form.is_default.data,
    )


@bp.route("/tax-rates", methods=["GET"])
@requires("inventory.view")
def tax_rates():
    return _tax_rates_page()


@bp.route("/tax-rates", methods=["POST"])
@requires(TAX_RATES_PERMISSION)
def add_tax_rate():
    form = TaxRateForm()
    if form.validate_on_submit():
        try:
            rate = _save_rate(None, form)
        except BusinessRuleError as error:
            attach_to_form(form, error)
        else:
            flash(_("Tax rate %(name)s added.", name=rate.name), "success")
            return redirect(url_for("inventory.tax_rates"))
    return _tax_rates_page(form, status=422)


def _tax_rate_edit_page(rate, form, status=200):
    return render(
        "inventory/tax_rate_edit.html",
        "inventory/_tax_rate_form.html",
        rate=rate,
        form=form,
        editable=can(TAX_RATES_PERMISSION),
        status=status,
    )


@bp.route("/tax-rates/<int:rate_id>", methods=["GET"])
@requires("inventory.view")
def tax_rate(rate_id: int):
    rate = get_or_404(TaxRate, rate_id)
    return _tax_rate_edit_page(rate, TaxRateForm(obj=rate))


@bp.route("/tax-rates/<int:rate_id>", methods=["POST"])
@requires(TAX_RATES_PERMISSION)
def update_tax_rate(rate_id: int):
    rate = get_or_404(TaxRate, rate_id)
    form = TaxRateForm()
    if form.validate_on_submit():
        try:
            _save_rate(rate, form)
        except BusinessRuleError as error:
            attach_to_form(form, error)
        else:
            flash(_("Tax rate saved."), "success")
            return redirect(url_for("inventory.tax_rates"))
    return _tax_rate_edit_page(rate, form, status=422)
