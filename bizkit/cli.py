"""`flask bizkit ...` commands for installations and demos."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from bizkit.core.errors import BusinessRuleError
from bizkit.extensions import db

bizkit_cli = AppGroup("bizkit", help="BizKit administration.")


@bizkit_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no company yet.")
def demo_command(if_empty: bool) -> None:
    """Create (or complete) the demo companies and users. Safe to run again."""
    from bizkit.demo import database_is_empty, load_demo

    if if_empty and not database_is_empty():
        click.echo("Database already has data; demo not loaded.")
        return

    summary = load_demo()
    db.session.commit()
    click.echo(summary)


@bizkit_cli.command("create-company")
@click.option("--name", required=True)
@click.option("--slug")
@click.option("--business-type", default="generic", show_default=True)
@click.option("--locale", default="en", show_default=True)
@click.option("--timezone", default="UTC", show_default=True)
@click.option("--currency", default="EUR", show_default=True)
@click.option("--vat-id")
@click.option("--iban")
def create_company_command(name, slug, business_type, locale, timezone, currency, vat_id, iban):
    """Create a company (tenant)."""
    from bizkit.settings.operations import create_company

    try:
        company = create_company(
            None,
            name,
            slug,
            business_type=business_type,
            locale=locale,
            timezone=timezone,
            currency=currency,
            vat_id=vat_id,
            iban=iban,
        )
    except BusinessRuleError as error:
        raise click.ClickException(f"{error.field or 'company'}: {error.message}") from None
    db.session.commit()
    click.echo(f"Created company {company.name} (slug {company.slug}, id {company.id}).")


@bizkit_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--company", "company_slug", required=True, help="Slug of the company to join.")
@click.option("--role", default="owner", show_default=True)
@click.password_option(
    help="Leave out to be asked; use --one-time for a generated password.",
    required=False,
    prompt=False,
)
@click.option("--one-time", is_flag=True, help="Generate a one-time password to change at login.")
def create_user_command(email, name, company_slug, role, password, one_time):
    """Create a login (or reuse an existing one) and give it a role in a company."""
    from sqlalchemy import select

    from bizkit.auth import operations as auth_ops
    from bizkit.core.models import Company
    from bizkit.core.tenancy import company_scope

    company = db.session.execute(select(Company).where(Company.slug == company_slug)).scalar()
    if company is None:
        raise click.ClickException(f"no company with slug {company_slug!r}")
    if not password and not one_time:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with company_scope(company.id):
            user = auth_ops.find_user_by_email(email)
            created_password = None
            if user is None:
                user, created_password = auth_ops.create_user(email, name, password or None)
            auth_ops.add_member(None, user, role)
    except BusinessRuleError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"{user.email} is {role} of {company.name}.")
    if one_time and created_password:
        click.echo(f"One-time password (shown once): {created_password}")


@bizkit_cli.command("repair-stock")
@click.option("--batch", default=200, show_default=True, help="Orders per transaction.")
def repair_stock_command(batch: int) -> None:
    """Settle the stock that orders closed before 2026-12-02 still hold. Safe to run again."""
    from bizkit.orders.stock import repair_closed_orders

    click.echo(repair_closed_orders(batch_size=batch, echo=click.echo))


def register_cli(app: Flask) -> None:
    app.cli.add_command(bizkit_cli)
