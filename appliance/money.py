"""Money at the edges: decimal text ↔ integer minor units, and locale formatting (Babel).

The core only ever sees integer minor units; this module is where "2.49" from a file and
"2,49 €" on a screen are made. Unknown currencies and malformed amounts are errors.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision


class MoneyError(ValueError):
    pass


def minor_digits(currency: str) -> int:
    return int(get_currency_precision(currency))


def parse_amount(text: str, currency: str) -> int:
    """'2.49' in EUR → 249. Rejects more decimals than the currency has, and negatives."""
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise MoneyError(f"not an amount: {text!r}") from None
    if not amount.is_finite() or amount < 0:
        raise MoneyError(f"not a price: {text!r}")
    scaled = amount.scaleb(minor_digits(currency))
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{text!r} has more decimals than {currency} allows")
    return int(scaled)


def format_minor(amount_minor: int, currency: str, locale: str) -> str:
    """249 EUR in de_DE → '2,49 €'."""
    value = Decimal(amount_minor).scaleb(-minor_digits(currency))
    return str(format_currency(value, currency, locale=locale))
