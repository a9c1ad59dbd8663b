"""Money as integer minor units plus an ISO 4217 code.

The exponent of each currency comes from ISO 4217 (JPY 0, EUR 2, KWD 3). Rates are ``Decimal``;
a conversion rounds half-even once, at the end. Splits use the largest-remainder method so the
parts always sum to the whole. No float touches an amount.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal

# ISO 4217 active codes and their minor-unit exponents (list of 2024; funds and metals omitted).
_EXPONENT_0 = {
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "ISK",
    "JPY",
    "KMF",
    "KRW",
    "PYG",
    "RWF",
    "UGX",
    "UYI",
    "VND",
    "VUV",
    "XAF",
    "XOF",
    "XPF",
}
_EXPONENT_3 = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}
_EXPONENT_4 = {"CLF", "UYW"}
_EXPONENT_2 = {
    "AED",
    "AFN",
    "ALL",
    "AMD",
    "ANG",
    "AOA",
    "ARS",
    "AUD",
    "AWG",
    "AZN",
    "BAM",
    "BBD",
    "BDT",
    "BGN",
    "BMD",
    "BND",
    "BOB",
    "BRL",
    "BSD",
    "BTN",
    "BWP",
    "BYN",
    "BZD",
    "CAD",
    "CDF",
    "CHF",
    "CNY",
    "COP",
    "CRC",
    "CUP",
    "CVE",
    "CZK",
    "DKK",
    "DOP",
    "DZD",
    "EGP",
    "ERN",
    "ETB",
    "EUR",
    "FJD",
    "FKP",
    "GBP",
    "GEL",
    "GHS",
    "GIP",
    "GMD",
    "GTQ",
    "GYD",
    "HKD",
    "HNL",
    "HTG",
    "HUF",
    "IDR",
    "ILS",
    "INR",
    "IRR",
    "JMD",
    "KES",
    "KGS",
    "KHR",
    "KPW",
    "KYD",
    "KZT",
    "LAK",
    "LBP",
    "LKR",
    "LRD",
    "LSL",
    "MAD",
    "MDL",
    "MGA",
    "MKD",
    "MMK",
    "MNT",
    "MOP",
    "MRU",
    "MUR",
    "MVR",
    "MWK",
    "MXN",
    "MYR",
    "MZN",
    "NAD",
    "NGN",
    "NIO",
    "NOK",
    "NPR",
    "NZD",
    "PAB",
    "PEN",
    "PGK",
    "PHP",
    "PKR",
    "PLN",
    "QAR",
    "RON",
    "RSD",
    "RUB",
    "SAR",
    "SBD",
    "SCR",
    "SDG",
    "SEK",
    "SGD",
    "SHP",
    "SLE",
    "SOS",
    "SRD",
    "SSP",
    "STN",
    "SVC",
    "SYP",
    "SZL",
    "THB",
    "TJS",
    "TMT",
    "TOP",
    "TRY",
    "TTD",
    "TWD",
    "TZS",
    "UAH",
    "USD",
    "UYU",
    "UZS",
    "VES",
    "VED",
    "WST",
    "XCD",
    "YER",
    "ZAR",
    "ZMW",
    "ZWG",
}

EXPONENTS: dict[str, int] = {
    **dict.fromkeys(_EXPONENT_2, 2),
    **dict.fromkeys(_EXPONENT_0, 0),
    **dict.fromkeys(_EXPONENT_3, 3),
    **dict.fromkeys(_EXPONENT_4, 4),
}

# Amounts are stored in 64-bit signed integers; anything beyond is refused as input.
MAX_MINOR_UNITS = 10**15


def is_currency(code: str) -> bool:
    """True when ``code`` is an active ISO 4217 code (uppercase, three letters)."""
    return code in EXPONENTS


def exponent(code: str) -> int:
    """Minor-unit exponent of a currency; raises ``KeyError`` for an unknown code."""
    return EXPONENTS[code]


def to_decimal(minor: int, code: str) -> Decimal:
    """Minor units to a ``Decimal`` in major units: (1234, EUR) -> Decimal('12.34')."""
    return Decimal(minor).scaleb(-exponent(code))


def from_decimal(value: Decimal, code: str) -> int:
    """Major units to minor units, rounding half-even: (Decimal('12.345'), EUR) -> 1234."""
    return int(value.scaleb(exponent(code)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def convert(minor: int, source: str, rate: Decimal, target: str) -> int:
    """Convert an amount with ``rate`` (target units per source unit), rounding once at the end."""
    return from_decimal(to_decimal(minor, source) * rate, target)


def split_largest_remainder(total: int, weights: Sequence[Decimal]) -> list[int]:
    """Split ``total`` minor units by ``weights`` so that the parts sum exactly to ``total``.

    Each part gets the floor of its exact share; the units left over go, one each, to the parts
    with the largest fractional remainders (ties to the earlier part).
    """
    if not weights:
        raise ValueError("at least one weight is required")
    weight_sum = sum(weights, Decimal(0))
    if weight_sum <= 0 or any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative and sum to more than zero")
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    exact = [Decimal(magnitude) * w / weight_sum for w in weights]
    floors = [int(x) for x in exact]
    left = magnitude - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [sign * part for part in floors]
