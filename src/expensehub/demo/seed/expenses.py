"""An expense's details: what was bought where (merchant, city, currency abroad), the amount at local
price levels, card or own money, VAT lines, and the day's exchange rate."""

from __future__ import annotations

import math
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from expensehub.demo import data
from expensehub.demo.data import SpendKind
from expensehub.demo.seed.reference import project_for
from expensehub.demo.seed.state import Claim, Demo
from expensehub.kit.money import exponent, from_decimal


def fill_expense(demo: Demo, claim: Claim) -> str:
    """Fill the claim's row and expense detail; returns the leaf category's identifier."""
    rng = demo.rng
    emp = claim.emp
    row = claim.row
    kinds = data.SPEND_KINDS
    kind: SpendKind = rng.choices(kinds, weights=[k.weight for k in kinds])[0]
    home = emp.spec.key
    foreign = None
    travel = kind.merchants not in ("office", "software", "course", "book", "phone")
    if travel and rng.random() < 0.12:
        dests = data.FOREIGN_DESTINATIONS
        foreign = rng.choices(
            dests, weights=[d.weight_from_es if home == "es" else d.weight_from_gb for d in dests]
        )[0]
    currency = emp.spec.currency
    merchant_key = home
    city = rng.choice(data.DOMESTIC_CITIES[home])
    route = rng.choice(data.DOMESTIC_ROUTES[home])
    if foreign is not None:
        currency, merchant_key, city = foreign.currency, foreign.merchants, foreign.city
        route = f"{data.HOME_CITY[home]} – {city}"
    elif kind.merchants == "software" and rng.random() < 0.45:
        currency, merchant_key = "USD", "us"
    options = data.MERCHANTS[kind.merchants]
    names = options.get(merchant_key) or options.get("any") or next(iter(options.values()))
    merchant = rng.choice(names)
    claim.merchant_key = merchant_key

    major = rng.triangular(kind.low, kind.high, kind.low + (kind.high - kind.low) * 0.25)
    local = major * data.PRICE_LEVEL[currency]
    if exponent(currency) == 0:
        amount = max(10, round(local / 10) * 10)
    elif kind.merchants == "software":
        amount = from_decimal(Decimal(round(local)), currency)
    else:
        amount = from_decimal(Decimal(f"{local:.2f}"), currency)

    card = kind.card and emp.card_last4 is not None and rng.random() < 0.55
    template = rng.choice(data.DESCRIPTIONS[kind.leaf])
    description = template.format(
        client=rng.choice(data.CLIENTS),
        city=city,
        route=route,
        nights=max(2, round(major / 150)),
        merchant=merchant,
    )
    row.update(
        currency=currency,
        amount=amount,
        payment="not_reimbursable" if card else "reimbursable",
        description=description if rng.random() < 0.85 else None,
    )
    if kind.project:
        row["project_id"] = project_for(demo, claim, 0.3)
    rate = None if currency == emp.spec.currency else _fx(currency, emp.spec.currency, claim.effective_on)
    if merchant not in demo.merchant_tins:
        if merchant_key == "es":
            demo.merchant_tins[merchant] = f"{rng.choice('AB')}{rng.randint(10**7, 10**8 - 1)}"
        elif merchant_key == "gb":
            demo.merchant_tins[merchant] = f"GB{rng.randint(10**8, 10**9 - 1)}"
        else:
            demo.merchant_tins[merchant] = None
    claim.detail = {
        "company_id": demo.company_id,
        "creation_type": "automatic" if card else "manual",
        "merchant_name": merchant,
        "user_merchant": merchant if not card and rng.random() < 0.25 else None,
        "merchant_tin": demo.merchant_tins[merchant],
        "reference": f"T{rng.randint(1, 9)}-{rng.randint(1000, 999999):06d}" if rng.random() < 0.6 else None,
        "exchange_rate": rate,
        "card_payment_id": None,
        "expenses_card_id": None,
        "card_type": "company" if card else None,
        "card_last4": emp.card_last4 if card else None,
        "document_id": None,
        "document_number": None,
        "document_type": None,
        "payment_method": "card" if card else rng.choice(["personal_card", "personal_card", "cash"]),
        "dispute_id": None,
        "external_authorization_id": None,
    }
    rates = kind.vat_es if home == "es" else kind.vat_gb
    if rates and currency == emp.spec.currency and merchant_key == home and rng.random() < 0.85:
        claim.taxes = _taxes(demo, amount, rates)
    return kind.leaf


def _taxes(demo: Demo, total: int, percents: tuple[int, ...]) -> list[dict[str, Any]]:
    """VAT lines whose bases and amounts sum exactly to ``total`` (tax-inclusive)."""
    if len(percents) == 1:
        parts = [total]
    else:
        first = round(total * demo.rng.uniform(0.6, 0.9))
        parts = [first, total - first]
    lines = []
    for part, percent in zip(parts, percents, strict=True):
        rate = Decimal(percent) / 100
        base = int((Decimal(part) / (1 + rate)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
        lines.append({"type": "vat", "percentage": rate, "base_amount": base, "amount": part - base})
    return lines


def _fx(source: str, target: str, day: date) -> Decimal:
    """A deterministic daily rate (target units per source unit) wobbling around a fixed level."""

    def level(code: str) -> float:
        phase = sum(ord(c) for c in code)
        t = day.toordinal()
        wobble = 1 + 0.025 * math.sin(t / 47 + phase) + 0.008 * math.sin(t / 9 + phase / 3)
        return data.EUR_PER_UNIT[code] * (wobble if code != "EUR" else 1.0)

    return Decimal(format(level(source) / level(target), ".6g"))
