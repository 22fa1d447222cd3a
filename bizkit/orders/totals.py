"""Order totals in Decimal, by one documented rule.

Catalog prices include tax (what a customer sees on a menu or a price tag). So:

1. Each line is rounded once: ``line_total = round(quantity × unit_price × (1 − discount%))``.
2. Lines are summed per tax rate (gross).
3. An order discount (vouchers) is split over the rates in proportion to their gross,
   each share rounded; the rounding remainder goes to the largest rate group, so the
   shares always add up to the discount exactly.
4. Per rate, the tax contained is ``round(gross × rate / (100 + rate))``; net = gross − tax.
5. The total is the sum of the discounted gross per rate; the tax total the sum of the
   per-rate tax. Rounding is half-up to the currency's minor unit (core.money.round_money).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from bizkit.core.money import round_money

ZERO = Decimal("0")
HUNDRED = Decimal("100")


def line_total(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal, currency: str):
    """One line after its discount, rounded to the currency's minor unit."""
    return round_money(quantity * unit_price * (HUNDRED - discount_percent) / HUNDRED, currency)


@dataclass(frozen=True)
class RateTotal:
    rate: Decimal
    gross: Decimal
    tax: Decimal

    @property
    def net(self) -> Decimal:
        return self.gross - self.tax


@dataclass(frozen=True)
class Totals:
    lines_total: Decimal
    discount_total: Decimal
    total: Decimal
    tax_total: Decimal
    by_rate: tuple[RateTotal, ...]

    @property
    def net_total(self) -> Decimal:
        return self.total - self.tax_total


def compute_totals(
    lines: Iterable[tuple[Decimal, Decimal]], currency: str, discount: Decimal = ZERO
) -> Totals:
    """Totals of `lines` given as (line_total, tax_rate), less an order `discount`
    (capped at the lines' total)."""
    zero = round_money(ZERO, currency)  # every amount below carries the minor unit: 0.00
    gross_by_rate: dict[Decimal, Decimal] = {}
    for amount, rate in lines:
        gross_by_rate[rate] = gross_by_rate.get(rate, zero) + amount
    lines_total = sum(gross_by_rate.values(), zero)
    discount = max(zero, min(round_money(discount, currency), lines_total))
    shares = _split(discount, gross_by_rate, lines_total, currency)
    by_rate = []
    for rate in sorted(gross_by_rate, reverse=True):
        gross = gross_by_rate[rate] - shares.get(rate, ZERO)
        tax = round_money(gross * rate / (HUNDRED + rate), currency)
        by_rate.append(RateTotal(rate, gross, tax))
    return Totals(
        lines_total=lines_total,
        discount_total=discount,
        total=lines_total - discount,
        tax_total=sum((r.tax for r in by_rate), zero),
        by_rate=tuple(by_rate),
    )


def _split(discount, gross_by_rate, lines_total, currency) -> dict[Decimal, Decimal]:
    if not discount or not lines_total:
        return {}
    shares = {
        rate: round_money(discount * gross / lines_total, currency)
        for rate, gross in gross_by_rate.items()
    }
    largest = max(gross_by_rate, key=lambda rate: (gross_by_rate[rate], rate))
    shares[largest] += discount - sum(shares.values(), ZERO)
    return shares
