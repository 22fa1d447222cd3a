"""Totals by the rule documented in bizkit.orders.totals, over random orders (hypothesis)
and a few orders computed by hand."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bizkit.core.money import round_money
from bizkit.orders.totals import compute_totals, line_total

D = Decimal
RATES = [D("0"), D("5"), D("10"), D("12"), D("21"), D("22"), D("23")]
CURRENCIES = {"EUR": 2, "CZK": 2, "JPY": 0, "BHD": 3}


def unit(currency):
    return D(1).scaleb(-CURRENCIES[currency])


quantities = st.decimals(min_value=D("0.001"), max_value=D("999.999"), places=3)
prices = st.decimals(min_value=D("0"), max_value=D("9999.99"), places=2)
discounts = st.one_of(st.just(D("0")), st.decimals(min_value=D("0"), max_value=D("100"), places=2))
line = st.tuples(quantities, prices, discounts, st.sampled_from(RATES))


@st.composite
def orders(draw):
    currency = draw(st.sampled_from(sorted(CURRENCIES)))
    lines = draw(st.lists(line, min_size=0, max_size=12))
    order_discount = draw(
        st.one_of(
            st.just(D("0")),
            st.decimals(min_value=D("0"), max_value=D("50000"), places=2),
        )
    )
    return currency, lines, order_discount


def _quantized(amount: Decimal, currency: str) -> bool:
    return amount == round_money(amount, currency) and amount.as_tuple().exponent == (
        -CURRENCIES[currency]
    )


@settings(max_examples=400, deadline=None)
@given(orders())
def test_totals_follow_the_documented_rule(order):
    currency, lines, order_discount = order
    amounts = [(line_total(q, p, d, currency), rate) for q, p, d, rate in lines]
    totals = compute_totals(amounts, currency, order_discount)

    gross_before: dict[Decimal, Decimal] = {}
    for amount, rate in amounts:
        assert _quantized(amount, currency) and amount >= 0
        gross_before[rate] = gross_before.get(rate, D(0)) + amount

    # 1. lines are rounded once, the order's lines total is their sum
    assert totals.lines_total == sum((a for a, _ in amounts), D(0))
    # the order discount is rounded, never negative, never above the lines
    expected_discount = min(round_money(order_discount, currency), totals.lines_total)
    assert totals.discount_total == expected_discount
    # 2./3. one group per rate; the discount shares add up to the discount exactly
    assert {r.rate for r in totals.by_rate} == set(gross_before)
    shares = [gross_before[r.rate] - r.gross for r in totals.by_rate]
    assert sum(shares, D(0)) == totals.discount_total
    assert all(share >= 0 for share in shares)
    # 4. tax contained per rate, within rounding of gross × rate / (100 + rate)
    half_unit = unit(currency) / 2
    for r in totals.by_rate:
        assert abs(r.tax - r.gross * r.rate / (100 + r.rate)) <= half_unit
        assert r.gross >= 0 and r.tax >= 0 and r.net >= 0
        assert all(_quantized(x, currency) for x in (r.gross, r.tax, r.net))
    # 5. the total is the sum of the discounted gross per rate, the tax the sum of the taxes
    assert totals.total == sum((r.gross for r in totals.by_rate), D(0))
    assert totals.total == totals.lines_total - totals.discount_total
    assert totals.tax_total == sum((r.tax for r in totals.by_rate), D(0))
    for amount in (totals.lines_total, totals.discount_total, totals.total, totals.tax_total):
        assert amount >= 0
        assert _quantized(amount, currency)
    assert totals.net_total == totals.total - totals.tax_total >= 0


@settings(max_examples=200, deadline=None)
@given(quantities, prices, discounts, st.sampled_from(sorted(CURRENCIES)))
def test_a_line_is_rounded_once_half_up(quantity, price, discount, currency):
    exact = quantity * price * (100 - discount) / 100
    rounded = line_total(quantity, price, discount, currency)
    assert abs(rounded - exact) <= unit(currency) / 2
    assert _quantized(rounded, currency)
    if discount == 100:
        assert rounded == 0


def test_two_rates_by_hand():
    lines = [(line_total(D("2"), D("9.90"), D("0"), "EUR"), D("22")), (D("5.00"), D("10"))]
    totals = compute_totals(lines, "EUR")
    assert totals.total == D("24.80")
    assert [(r.rate, r.gross, r.tax) for r in totals.by_rate] == [
        (D("22"), D("19.80"), D("3.57")),  # 19.80 × 22 / 122 = 3.5705
        (D("10"), D("5.00"), D("0.45")),  # 5.00 × 10 / 110 = 0.4545
    ]
    assert totals.tax_total == D("4.02")


def test_an_order_discount_is_split_in_proportion():
    lines = [(D("19.80"), D("22")), (D("5.00"), D("10"))]
    totals = compute_totals(lines, "EUR", D("2.48"))
    assert [(r.gross, r.tax) for r in totals.by_rate] == [
        (D("17.82"), D("3.21")),  # share 1.98; 17.82 × 22 / 122 = 3.2134
        (D("4.50"), D("0.41")),  # share 0.50; 4.50 × 10 / 110 = 0.4090
    ]
    assert (totals.discount_total, totals.total, totals.tax_total) == (
        D("2.48"),
        D("22.32"),
        D("3.62"),
    )


def test_the_rounding_remainder_goes_to_the_largest_group():
    lines = [(D("1.00"), D("20")), (D("1.00"), D("10")), (D("1.00"), D("0"))]
    totals = compute_totals(lines, "EUR", D("1.00"))
    # each share is 0.3333 → 0.33; the missing cent goes to the largest group (ties: the
    # highest rate)
    assert [(r.rate, r.gross, r.tax) for r in totals.by_rate] == [
        (D("20"), D("0.66"), D("0.11")),
        (D("10"), D("0.67"), D("0.06")),
        (D("0"), D("0.67"), D("0.00")),
    ]
    assert totals.total == D("2.00")


def test_a_discount_above_the_lines_is_capped_and_half_cents_round_up():
    assert line_total(D("0.5"), D("0.01"), D("0"), "EUR") == D("0.01")  # 0.005 half-up
    assert line_total(D("0.333"), D("1.50"), D("0"), "EUR") == D("0.50")  # 0.4995
    assert line_total(D("3"), D("9.90"), D("10"), "EUR") == D("26.73")
    totals = compute_totals([(D("3.00"), D("21"))], "EUR", D("10"))
    assert (totals.discount_total, totals.total, totals.tax_total) == (D("3.00"), 0, 0)
    assert line_total(D("1.5"), D("99.99"), D("0"), "JPY") == D("150")  # 149.985
