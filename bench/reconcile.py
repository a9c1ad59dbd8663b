"""Card reconciliation: precision, recall and speed of the matcher on a labelled, noisy dataset.

Generates a deterministic dataset of company-card payments and the expenses employees filed for them,
with the noise real feeds have, and the true (payment, expense) links:

* settlement 0-5 days after the expense date (most after 1-2 days);
* purchases abroad: the card settles in its own currency at a card-scheme rate; the expense is in the
  merchant's currency with its own exchange rate, differing from the scheme's by up to 3 %; a share
  of feeds carries no merchant amount, so only the converted amounts can be compared;
* tips added to restaurant bills after the receipt was photographed;
* merchant names as the card network spells them (``AMZN Mktp DE*2K4``, ``SQ *CASA PEPE``, store
  numbers, legal suffixes) against what the employee typed, with typos, blanks and free text;
* split expenses (one receipt filed as two expenses), duplicate expenses (the same receipt twice),
  refunds, payments with no expense (missing receipts), expenses with no payment, repeated
  purchases at fixed prices (coffee, parking, subscriptions) and shared last-four digits.

Then it runs ``expensehub.reconciliation.engine.reconcile`` and a baseline (exact amount + same date +
same last4, one-to-one) and prints, per size: precision and recall of automatic matches, the proposals
left for review, engine run time and peak memory (each size runs in its own process, so its peak RSS
is its own).

Usage::

    .venv/bin/python bench/reconcile.py [--sizes 10000,100000,1000000] [--seed 7]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from expensehub.reconciliation.engine import MATCHED, Expense, Payment, reconcile

ROOT = Path(__file__).resolve().parent.parent
START = date(2025, 1, 1)
DAYS = 365

# --------------------------------------------------------------------------------------------------
# Merchants: what the employee writes, and how the card network spells it
# --------------------------------------------------------------------------------------------------

BRANDS: list[tuple[str, list[str], str]] = [
    ("Amazon", ["AMZN Mktp DE*{code}", "AMAZON.DE*{code}", "AMZN Mktp ES*{code}", "Amazon.es"], "shop"),
    ("Uber", ["UBER *TRIP", "UBER *TRIP HELP.UBER.COM", "UBER BV"], "taxi"),
    ("Starbucks", ["STARBUCKS {n4} {city}", "SBUX {n4}"], "coffee"),
    ("McDonald's", ["MCDONALD'S {n4}", "MCDONALDS {city}"], "meal"),
    ("Renfe", ["RENFE VIAJEROS {city}", "RENFE.COM"], "travel"),
    ("Iberia", ["IBERIA {n10}", "IBERIA LAE SA"], "flight"),
    ("Lufthansa", ["LUFTHANSA {n10}", "DEUTSCHE LUFTHANSA AG"], "flight"),
    ("Booking.com", ["BOOKING.COM HOTEL", "Booking.com BV"], "hotel"),
    ("Marriott", ["MARRIOTT {city}", "MARRIOTT HOTELS {n4}"], "hotel"),
    ("NH Hotels", ["NH HOTEL {city}", "NH HOTELES ESPANA SA"], "hotel"),
    ("Google", ["GOOGLE *GSUITE", "GOOGLE *CLOUD {code}"], "saas"),
    ("Microsoft", ["MSFT *AZURE", "MICROSOFT*365"], "saas"),
    ("Apple", ["APPLE.COM/BILL", "ITUNES.COM/BILL"], "saas"),
    ("Slack", ["SLACK T0{code}", "SLACK TECHNOLOGIES"], "saas"),
    ("Zoom", ["ZOOM.US {n10}", "ZOOM VIDEO COMMUNICATIONS"], "saas"),
    ("Cabify", ["CABIFY {city}", "CABIFY ESPANA SL"], "taxi"),
    ("Shell", ["SHELL {n4} {city}", "SHELL ESTACION {n4}"], "fuel"),
    ("Repsol", ["REPSOL {n4}", "E.S. REPSOL {city}"], "fuel"),
    ("Saba Parking", ["SABA APARCAMIENTOS {n4}", "SABA {city}"], "parking"),
    ("El Corte Inglés", ["EL CORTE INGLES {n4}", "ECI {city}"], "shop"),
]
CITIES = ["MADRID", "BARCELONA", "LONDON", "PARIS", "BERLIN", "LISBOA", "VALENCIA", "MUNICH", "DUBLIN"]
WORDS_A = ["Casa", "Bar", "Café", "Taberna", "Bistro", "La", "El", "Green", "Golden", "Old", "Royal", "Blue"]
WORDS_B = [
    "Pepe", "Lola", "Sol", "Mar", "Toro", "Olivo", "Garden", "Lion", "Oak", "Harbour", "Plaza", "Luna",
    "Rosa", "Verde", "Norte", "Bravo", "Fuego", "Cielo", "Nube", "Piedra",
]  # fmt: skip
WORDS_C = ["", "", "Restaurante", "Grill", "Kitchen", "Tapas", "Brasserie", "Deli"]
PRICE: dict[str, tuple[float, float]] = {
    "shop": (8, 250), "taxi": (6, 60), "coffee": (2, 9), "meal": (7, 25), "travel": (15, 140),
    "flight": (60, 900), "hotel": (70, 450), "saas": (5, 300), "fuel": (30, 110), "parking": (3, 40),
    "restaurant": (12, 160),
}  # fmt: skip
FIXED_PRICES = {"coffee": [250, 300, 350, 420], "parking": [500, 1200, 2000], "saas": [1200, 4900, 9900]}
CURRENCY_RATES = {
    "USD": Decimal("0.92"),
    "GBP": Decimal("1.17"),
    "CHF": Decimal("1.04"),
    "JPY": Decimal("0.0061"),
}
EXPONENT = {"EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "JPY": 0}


@dataclass
class Merchant:
    name: str  # what an employee writes
    descriptors: list[str]  # how the card network writes it
    kind: str


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        code="".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(3 + rng.randint(0, 5))),
        n4=f"{rng.randint(1, 9999):04d}",
        n10=f"{rng.randint(10**9, 10**10 - 1)}",
        city=rng.choice(CITIES),
    )


def make_merchants(rng: random.Random, count: int) -> list[Merchant]:
    out = [Merchant(name, [_fill(t, rng) for t in templates], kind) for name, templates, kind in BRANDS]
    seen = {m.name for m in out}
    while len(out) < count:
        parts = [rng.choice(WORDS_A), rng.choice(WORDS_B), rng.choice(WORDS_C)]
        name = " ".join(p for p in parts if p)
        if name in seen:
            name = f"{name} {rng.choice(WORDS_B)}"
            if name in seen:
                continue
        seen.add(name)
        core = " ".join(p for p in parts[:2]).upper()
        descriptors = [
            f"{core} {rng.choice(CITIES)}",
            f"SQ *{core}",
            f"{core} SL",
            f"SUMUP *{core}",
            f"{core.replace(' ', '')} {rng.randint(1, 99)}",
        ]
        kind = rng.choices(
            ["restaurant", "shop", "coffee", "taxi", "hotel", "parking"], [0.35, 0.25, 0.15, 0.1, 0.1, 0.05]
        )[0]
        out.append(Merchant(name, rng.sample(descriptors, 2), kind))
    return out


def typed_name(m: Merchant, rng: random.Random, noise: float = 1.0) -> str:
    """What the employee (or the receipt scanner) filed as merchant (canonical name 62 % at noise 1)."""
    r = rng.random()
    if r < 1 - 0.38 * noise:
        return m.name
    r = 0.62 + (r - (1 - 0.38 * noise)) / noise  # the variants keep their relative shares
    if r < 0.78:
        return m.name.upper() + rng.choice(["", " SL", " S.L.", " LTD", " GMBH"])
    if r < 0.86:
        i = rng.randrange(len(m.name))
        return m.name[:i] + m.name[i + 1 :] if len(m.name) > 4 else m.name  # a typo
    if r < 0.92:
        return m.name.lower()
    if r < 0.96:
        return ""
    return rng.choice(["Team lunch", "Client visit", "Office supplies", "Trip to customer", "Misc"])


# --------------------------------------------------------------------------------------------------
# Dataset
# --------------------------------------------------------------------------------------------------


@dataclass
class Dataset:
    payments: list[Payment]
    expenses: list[Expense]
    truth: set[tuple[int, int]]
    counts: dict[str, int]


def _minor(value: Decimal, currency: str) -> int:
    return int(value.scaleb(EXPONENT[currency]).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _major(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-EXPONENT[currency])


def generate(n_payments: int, seed: int, noise: float = 1.0) -> Dataset:
    """``noise`` scales every noise rate (1 = the default mix described above)."""
    rng = random.Random(seed)
    merchants = make_merchants(rng, 1500)
    lags = [0, 1, 2, 3, 4, 5]
    lag_weights = [0.2, 0.35, 0.2, 0.12, 0.08, 0.05]
    n_cards = max(1, n_payments // 60)
    cards = []
    for _ in range(n_cards):
        currency = "GBP" if rng.random() < 0.1 else "EUR"
        regulars = rng.sample(merchants[:20], 2) + rng.sample(merchants[20:], 3)
        cards.append((f"{rng.randint(0, 9999):04d}", currency, regulars))
    payments: list[Payment] = []
    expenses: list[Expense] = []
    truth: set[tuple[int, int]] = set()
    counts = dict.fromkeys(
        ["no_expense", "foreign", "no_merchant_amount", "tip", "split", "duplicate", "refund", "orphan"], 0
    )
    pid = 0
    eid = 0

    def new_expense(card: str, on: date, amount: int, currency: str, merchant: str, base: int | None,
                    base_currency: str | None) -> int:  # fmt: skip
        nonlocal eid
        eid += 1
        expenses.append(Expense(eid, card, on, amount, currency, merchant, base, base_currency))
        return eid

    while len(payments) < n_payments:
        last4, card_ccy, regulars = cards[rng.randrange(n_cards)]
        m = rng.choice(regulars) if rng.random() < 0.35 else rng.choice(merchants)
        day = START + timedelta(days=rng.randrange(DAYS))
        lag = rng.choices(lags, lag_weights)[0]
        pay_day = day + timedelta(days=lag)
        fixed = FIXED_PRICES.get(m.kind)
        if fixed and rng.random() < 0.5:
            price_minor = rng.choice(fixed)
        else:
            lo, hi = PRICE[m.kind]
            price_minor = int(rng.uniform(lo, hi) * 100)
        descriptor = rng.choice(m.descriptors)
        pid += 1

        if rng.random() < 0.02 * noise:  # a refund of an earlier purchase: no receipt expected
            counts["refund"] += 1
            payments.append(Payment(pid, last4, pay_day, price_minor, card_ccy, descriptor, refund=True))
            continue

        foreign = rng.random() < 0.15
        if foreign:
            counts["foreign"] += 1
            merchant_ccy = rng.choice([c for c in CURRENCY_RATES if c != card_ccy])
            merchant_amount = price_minor  # the price, in the merchant currency's minor units
            rate_eur = CURRENCY_RATES[merchant_ccy]
            card_rate = rate_eur if card_ccy == "EUR" else rate_eur / CURRENCY_RATES["GBP"]
            scheme_rate = card_rate * (1 + Decimal(rng.uniform(0.0, 0.02)))
            card_amount = _minor(_major(merchant_amount, merchant_ccy) * scheme_rate, card_ccy)
            has_merchant_amount = rng.random() < 0.6
            if not has_merchant_amount:
                counts["no_merchant_amount"] += 1
            payment = Payment(
                pid,
                last4,
                pay_day,
                card_amount,
                card_ccy,
                descriptor,
                merchant_amount if has_merchant_amount else None,
                merchant_ccy if has_merchant_amount else None,
            )
            expense_rate = scheme_rate * (1 + Decimal(rng.uniform(-0.03, 0.03)))
            doc_amount, doc_ccy = merchant_amount, merchant_ccy
            base = _minor(_major(doc_amount, doc_ccy) * expense_rate, card_ccy)
        else:
            payment = Payment(pid, last4, pay_day, price_minor, card_ccy, descriptor, price_minor, card_ccy)
            doc_amount, doc_ccy, base = price_minor, card_ccy, price_minor
            if (
                m.kind == "restaurant" and rng.random() < 0.15 * noise
            ):  # the tip is on the card, not the receipt
                counts["tip"] += 1
                tip = max(1, int(price_minor * rng.uniform(0.05, 0.2)))
                payment = Payment(pid, last4, pay_day, price_minor + tip, card_ccy, descriptor,
                                  price_minor + tip, card_ccy)  # fmt: skip
        payments.append(payment)

        if rng.random() < 0.10 * noise:  # nobody filed the receipt
            counts["no_expense"] += 1
            continue
        name = typed_name(m, rng, noise)
        if rng.random() < 0.01 * noise and doc_amount >= 4:  # one receipt filed as two expenses
            counts["split"] += 1
            first = rng.randint(1, doc_amount - 1)
            b1 = (
                _minor(_major(first, doc_ccy) * (Decimal(base) / Decimal(doc_amount)), card_ccy)
                if base
                else None
            )
            for amount, b in ((first, b1), (doc_amount - first, (base - b1) if b1 is not None else None)):
                truth.add((pid, new_expense(last4, day, amount, doc_ccy, name, b, card_ccy)))
            continue
        truth.add((pid, new_expense(last4, day, doc_amount, doc_ccy, name, base, card_ccy)))
        if rng.random() < 0.01 * noise:  # the same receipt filed twice
            counts["duplicate"] += 1
            new_expense(last4, day + timedelta(days=rng.choice([0, 0, 1])), doc_amount, doc_ccy, name, base,
                        card_ccy)  # fmt: skip

    # Card expenses with no payment in the feed (wrong card, cash, a payment outside the period).
    for _ in range(int(len(expenses) * 0.03 * noise)):
        counts["orphan"] += 1
        last4, card_ccy, regulars = cards[rng.randrange(n_cards)]
        m = rng.choice(regulars) if rng.random() < 0.35 else rng.choice(merchants)
        lo, hi = PRICE[m.kind]
        fixed = FIXED_PRICES.get(m.kind)
        amount = rng.choice(fixed) if fixed and rng.random() < 0.5 else int(rng.uniform(lo, hi) * 100)
        day = START + timedelta(days=rng.randrange(DAYS))
        new_expense(last4, day, amount, card_ccy, typed_name(m, rng, noise), amount, card_ccy)
    rng.shuffle(payments)
    rng.shuffle(expenses)
    return Dataset(payments, expenses, truth, counts)


# --------------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------------


def baseline(payments: list[Payment], expenses: list[Expense]) -> set[tuple[int, int]]:
    """Exact matching on amount + date + last4 (what a spreadsheet VLOOKUP does), one-to-one."""
    pool: dict[tuple[str, date, int, str], list[int]] = {}
    for p in sorted(payments, key=lambda x: x.id):
        if not p.refund:
            pool.setdefault((p.card, p.on, p.amount, p.currency), []).append(p.id)
    pairs: set[tuple[int, int]] = set()
    for e in sorted(expenses, key=lambda x: x.id):
        found = pool.get((e.card, e.on, e.amount, e.currency))
        if found:
            pairs.add((found.pop(0), e.id))
    return pairs


def precision_recall(found: set[tuple[int, int]], truth: set[tuple[int, int]]) -> tuple[float, float]:
    hits = len(found & truth)
    return (hits / len(found) if found else 1.0, hits / len(truth) if truth else 1.0)


def run_one(n: int, seed: int, noise: float = 1.0) -> dict[str, object]:
    t0 = time.perf_counter()
    data = generate(n, seed, noise)
    gen_s = time.perf_counter() - t0
    gc.collect()
    t1 = time.perf_counter()
    result = reconcile(data.payments, data.expenses)
    engine_s = time.perf_counter() - t1
    auto = {(p.payment_id, e) for p in result.proposals if p.kind == MATCHED for e in p.expense_ids}
    review = {(p.payment_id, e) for p in result.proposals if p.kind != MATCHED for e in p.expense_ids}
    precision, recall = precision_recall(auto, data.truth)
    t2 = time.perf_counter()
    base = baseline(data.payments, data.expenses)
    base_s = time.perf_counter() - t2
    b_precision, b_recall = precision_recall(base, data.truth)
    kinds: dict[str, int] = {}
    for p in result.proposals:
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
    return {
        "payments": len(data.payments),
        "seed": seed,
        "noise_factor": noise,
        "expenses": len(data.expenses),
        "true_links": len(data.truth),
        "noise": data.counts,
        "generate_s": round(gen_s, 2),
        "engine_s": round(engine_s, 2),
        "precision": precision,
        "recall": recall,
        "recall_incl_review": len((auto | review) & data.truth) / len(data.truth),
        "auto_pairs": len(auto),
        "false_auto_pairs": len(auto - data.truth),
        "proposals": kinds,
        "missing_receipts": len(result.unmatched_payments),
        "expenses_without_payment": len(result.unmatched_expenses),
        "fx_differences": len(result.fx_differences),
        "baseline_s": round(base_s, 2),
        "baseline_precision": b_precision,
        "baseline_recall": b_recall,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} CPUs, {mem:.0f} GiB RAM, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000", help="payment counts, comma-separated")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--noise", type=float, default=1.0, help="scale every noise rate (default 1)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: run one size, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.seed, args.noise)))
        return
    print(f"machine: {machine()}")
    print(f"seed: {args.seed}, noise factor: {args.noise}")
    header = (
        "| payments | expenses | engine s | precision | recall | review recall | ambiguous | low conf. "
        "| baseline precision | baseline recall | peak RSS MB |"
    )
    rows = []
    for size in [int(s) for s in args.sizes.split(",") if s]:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                str(size),
                "--seed",
                str(args.seed),
                "--noise",
                str(args.noise),
            ],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        r = json.loads(out.stdout)
        print(json.dumps(r), flush=True)
        kinds = r["proposals"]
        rows.append(
            f"| {r['payments']:,} | {r['expenses']:,} | {r['engine_s']:.2f} | {r['precision']:.4%} "
            f"| {r['recall']:.4%} | {r['recall_incl_review']:.4%} | {kinds.get('ambiguous', 0):,} "
            f"| {kinds.get('low_confidence', 0):,} | {r['baseline_precision']:.4%} "
            f"| {r['baseline_recall']:.4%} | {r['peak_rss_mb']:,.0f} |"
        )
    print()
    print(header)
    print("|" + "---|" * 11)
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
