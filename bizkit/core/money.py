"""Money: Decimal amounts, one rounding rule, formatted for the company's locale and currency."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import (
    format_currency,
    get_currency_name,
    get_currency_precision,
    get_territory_currencies,
)

# The one rounding rule: half away from zero ("commercial" rounding), to the
# currency's minor unit (2 places for EUR and CZK, 0 for JPY).
ROUNDING = ROUND_HALF_UP


# Amounts are stored as numeric(12, 2): a currency whose minor unit is finer (BHD, KWD,
# OMR: 0.001) cannot be kept exactly, so a company cannot choose it.
STORED_PLACES = 2


def minor_places(currency: str) -> int:
    """Decimal places of `currency`'s minor unit: 2 for EUR, 0 for JPY, 3 for BHD."""
    return get_currency_precision(currency)


@lru_cache(maxsize=1)
def legal_tender() -> frozenset[str]:
    """The currencies legal tender in some territory today (CLDR through Babel): no gold
    (XAU), test codes (XTS, XXX), funds codes or withdrawn currencies (DEM, SKK)."""
    return frozenset(
        code
        for territory in Locale("en").territories
        for code in get_territory_currencies(territory, tender=True)
    )


@lru_cache(maxsize=1)
def supported_currencies() -> tuple[str, ...]:
    """The ISO codes a company may choose for its money: legal tender today, with a minor
    unit of 2 places or coarser (amounts are stored to the cent)."""
    return tuple(sorted(c for c in legal_tender() if minor_places(c) <= STORED_PLACES))


def currency_choices(locale: str, current: str | None = None) -> list[tuple[str, str]]:
    """`[(code, "Euro (EUR)"), ...]` in `locale`'s words, sorted by name: the supported
    currencies plus `current` (a company keeps a currency no longer offered)."""
    codes = {*supported_currencies(), *filter(None, [current])}
    return sorted(
        ((code, _currency_label(code, locale)) for code in codes),
        key=lambda pair: pair[1].casefold(),
    )


@lru_cache(maxsize=4096)
def _currency_label(code: str, locale: str) -> str:
    name = get_currency_name(code, locale=locale)
    return f"{name[:1].upper()}{name[1:]} ({code})" if name != code else code


def check_minor_unit(amount: Decimal, currency: str, field: str) -> Decimal:
    """`amount` if `currency` has that fine a unit, else a message next to `field`: a
    payment of ¥999.50 cannot be paid, and was taken (amounts are read to the cent)."""
    places = min(STORED_PLACES, minor_places(currency))
    if amount == amount.quantize(Decimal(1).scaleb(-places)):
        return amount
    from flask_babel import gettext as _

    from bizkit.core.errors import BusinessRuleError

    if places == 0:
        message = _("%(currency)s has no smaller unit: enter a whole amount.", currency=currency)
    else:
        message = _("Use at most %(places)d decimal places.", places=places)
    raise BusinessRuleError(message, field=field)


def company_currency() -> str:
    """The currency of the company the session acts for (request or job)."""
    from bizkit.core.models import Company
    from bizkit.core.tenancy import current_company_id
    from bizkit.extensions import db

    return db.session.get(Company, current_company_id()).currency


def round_money(amount: Decimal | int | str, currency: str) -> Decimal:
    """Round `amount` to the minor unit of `currency` with the house rule."""
    return Decimal(amount).quantize(_minor_unit(currency), rounding=ROUNDING)


@lru_cache(maxsize=512)
def _minor_unit(currency: str) -> Decimal:
    """Decimal("0.01") for EUR, Decimal("1") for JPY (Babel's lookup, once per currency)."""
    return Decimal(1).scaleb(-get_currency_precision(currency))


def format_money(amount: Decimal | int | str | None, currency: str, locale: str) -> str:
    """`1234.5, "EUR", "cs"` → `1 234,50 €`."""
    if amount is None:
        return ""
    return _format_rounded(round_money(amount, currency), currency, locale)


@lru_cache(maxsize=16384)
def _format_rounded(amount: Decimal, currency: str, locale: str) -> str:
    # Babel's pattern application costs ~40 µs; list pages show the same prices again and again.
    return format_currency(amount, currency, locale=locale)
