"""Money: Decimal amounts, one rounding rule, formatted for the company's locale and currency."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision

# The one rounding rule: half away from zero ("commercial" rounding), to the
# currency's minor unit (2 places for EUR and CZK, 0 for JPY).
ROUNDING = ROUND_HALF_UP


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
