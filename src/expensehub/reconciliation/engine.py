"""Card reconciliation engine: which card payment is which expense. Pure: stdlib only, no database.

Input: card payments (what the card feed says was charged) and card expenses (what employees
claimed). Output: proposals, each one payment with one expense (or two, when an expense was split),
a score in 0..1 and the evidence behind it, plus what is left over on each side.

How it decides (docs/reconciliation.md explains it with examples):

1. **Blocking.** Only a payment and an expense of the same card (``card`` key, e.g. the last four
   digits) are compared, and only when the payment is between ``max_lead_days`` before and
   ``max_lag_days`` after the expense date. Expenses of a card are sorted by date once; each payment
   finds its window with two binary searches, so the cost grows with the number of payments times
   the (small) number of expenses of the same card in an 8-day window, not with payments x expenses.
2. **Scoring** a candidate pair: ``0.6 x amount + 0.2 x date + 0.2 x merchant``.

   * amount: 1.0 when equal in the card currency, or equal in the merchant's currency (a purchase
     abroad); within the FX tolerance (default 3 %) between the expense converted with its own
     exchange rate and the card amount: 0.95..0.7, falling with the gap; the card charged up to 25 %
     more than the expense in the same currency (a tip added after the receipt): 0.7, only with
     merchant evidence; two expenses of the same currency summing exactly to the payment (a split):
     0.95. Anything else is not a candidate.
   * date: 1 - 0.8 x (lag / max_lag)^2 for a payment 0..max_lag days after the expense (concave, so
     among repeated purchases the pairing that keeps the order wins), 0.6 for a payment a day early.
   * merchant: similarity of normalised names (aliases such as ``AMZN`` -> ``AMAZON``, processor
     prefixes, store numbers and legal suffixes dropped), 0..1; 0.5 when either side has no name.
3. **Assignment** is one-to-one. The candidate graph of a card splits into connected components
   (usually one payment and one expense). Small components are solved exactly (the assignment with
   the largest total score, by dynamic programming over the expenses used); large ones greedily by
   descending score.
4. **Confidence.** A pair of the best assignment is ``matched`` when its score reaches
   ``auto_threshold`` and removing it from the assignment costs at least ``ambiguity_margin`` (the
   best assignment without it is clearly worse). When another assignment comes within the margin,
   the pair and its competitors are ``ambiguous`` (a person decides). Pairs below the threshold are
   ``low_confidence`` proposals. Twins (identical expenses on one day, identical payments a day apart)
   are interchangeable, never rivals: the earliest-filed is paired.

Refunds are never matched (no receipt is expected). Rejected pairs (a person said "not this one") are
never proposed again. Everything is deterministic: the same input gives the same output.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date

# Amount rules, in decreasing strength.
AMOUNT_EXACT = "amount_exact"
MERCHANT_AMOUNT_EXACT = "merchant_amount_exact"
SPLIT_SUM_EXACT = "split_sum_exact"
FX_WITHIN_TOLERANCE = "fx_within_tolerance"
AMOUNT_PLUS_TIP = "amount_plus_tip"

MATCHED = "matched"
AMBIGUOUS = "ambiguous"
LOW_CONFIDENCE = "low_confidence"

W_AMOUNT = 0.6
W_DATE = 0.2
W_MERCHANT = 0.2
TIP_SCORE = 0.7
SPLIT_SCORE = 0.95
FX_BEST = 0.95
FX_WORST = 0.7


@dataclass(frozen=True, slots=True)
class Payment:
    """A card payment as the engine sees it.

    ``amount`` is the magnitude charged in the card's (settlement) ``currency``, in minor units
    (positive for a purchase). ``merchant_amount``/``merchant_currency`` are what the merchant
    charged, when the feed says so. ``refund`` payments are reported, never matched.
    """

    id: int
    card: str
    on: date
    amount: int
    currency: str
    merchant: str = ""
    merchant_amount: int | None = None
    merchant_currency: str | None = None
    refund: bool = False


@dataclass(frozen=True, slots=True)
class Expense:
    """A card expense as the engine sees it.

    ``amount`` is in the expense's ``currency`` (the receipt's); ``base_amount`` is the same amount
    converted with the expense's own exchange rate into ``base_currency`` (the legal entity's).
    """

    id: int
    card: str
    on: date
    amount: int
    currency: str
    merchant: str = ""
    base_amount: int | None = None
    base_currency: str | None = None


@dataclass(frozen=True)
class Settings:
    """Tuning of the matcher; the defaults are the ones measured in docs/benchmarks.md."""

    max_lag_days: int = 7
    max_lead_days: int = 1
    fx_tolerance_bp: int = 300  # 3 % in basis points
    tip_tolerance_bp: int = 2500  # the card may charge up to 25 % more than the receipt (tip)
    tip_min_merchant: float = 0.6
    auto_threshold: float = 0.7
    candidate_threshold: float = 0.5
    ambiguity_margin: float = 0.1
    max_exact_component: int = 12


@dataclass(frozen=True, slots=True)
class FxDifference:
    """Document amount vs base amount vs card amount of a matched foreign-currency expense.

    ``difference`` = card amount - base amount, in minor units of the base currency, when the card
    settles in the base currency (else ``None``: the two amounts are in different currencies).
    """

    document_amount: int
    document_currency: str
    base_amount: int | None
    base_currency: str | None
    card_amount: int
    card_currency: str
    difference: int | None


@dataclass(frozen=True, slots=True)
class Proposal:
    """One payment and the expense(s) that explain it, with the score's parts."""

    payment_id: int
    expense_ids: tuple[int, ...]
    kind: str  # matched | ambiguous | low_confidence
    score: float
    group: int  # proposals of one ambiguous choice share a group number
    amount_rule: str
    amount_score: float
    date_score: float
    merchant_score: float
    lag_days: int
    fx: FxDifference | None = None

    def reasons(self) -> list[dict[str, object]]:
        """The evidence behind the score, strongest first, as plain data."""
        amount_detail = {
            AMOUNT_EXACT: "equal amounts in the card currency",
            MERCHANT_AMOUNT_EXACT: "equal amounts in the merchant's currency (purchase abroad)",
            SPLIT_SUM_EXACT: "the expenses sum exactly to the payment (a split receipt)",
            FX_WITHIN_TOLERANCE: "the expense converted with its own rate is within the FX tolerance",
            AMOUNT_PLUS_TIP: "the card charged a little more than the receipt (a tip)",
        }[self.amount_rule]
        out: list[dict[str, object]] = [
            {
                "code": self.amount_rule,
                "weight": W_AMOUNT,
                "score": round(self.amount_score, 4),
                "detail": amount_detail,
            },
            {
                "code": "date_distance",
                "weight": W_DATE,
                "score": round(self.date_score, 4),
                "detail": f"payment {self.lag_days:+d} days from the expense date",
            },
            {
                "code": "merchant_similarity",
                "weight": W_MERCHANT,
                "score": round(self.merchant_score, 4),
                "detail": "merchant names compared after normalisation",
            },
        ]
        if self.kind == AMBIGUOUS:
            out.append(
                {
                    "code": "ambiguous",
                    "weight": 0.0,
                    "score": 0.0,
                    "detail": "another assignment scores within the ambiguity margin",
                }
            )
        if self.fx is not None:
            out.append(
                {
                    "code": "fx_difference",
                    "weight": 0.0,
                    "score": 0.0,
                    "detail": f"card {self.fx.card_amount} {self.fx.card_currency} vs base "
                    f"{self.fx.base_amount} {self.fx.base_currency} (minor units)",
                }
            )
        return out


@dataclass
class Result:
    """Everything a run finds."""

    proposals: list[Proposal] = field(default_factory=list)
    unmatched_payments: list[int] = field(default_factory=list)  # spend without an expense
    unmatched_expenses: list[int] = field(default_factory=list)  # card expenses without a payment
    refunds: list[int] = field(default_factory=list)

    @property
    def matched(self) -> list[Proposal]:
        return [p for p in self.proposals if p.kind == MATCHED]

    @property
    def fx_differences(self) -> list[Proposal]:
        """Matched proposals whose expense is in another currency than the card."""
        return [p for p in self.proposals if p.kind == MATCHED and p.fx is not None]


# --------------------------------------------------------------------------------------------------
# Merchant names
# --------------------------------------------------------------------------------------------------

_NON_ALNUM = re.compile(r"[^0-9A-Z]+")
# Descriptor noise: payment processors, web prefixes, legal forms, generic words.
_STOP_WORDS = """
    SQ SQU SUMUP IZ ZTL PAYPAL PP STRIPE ADYEN WWW HTTP HTTPS COM NET ORG THE AND GMBH AG SL SLU SA SAS
    SARL SRL SPA BV NV LTD LIMITED PLC INC LLC CO CORP KG OY AB AS POS CARD PURCHASE PAYMENT PAGO COMPRA
    TPV MKTP MARKETPLACE HELP BILL EU DE ES FR IT UK GB US NL IE LU
"""
_STOP = frozenset(_STOP_WORDS.split())
# Well-known abbreviations used in card descriptors.
_ALIASES = {
    "AMZN": "AMAZON",
    "AMZ": "AMAZON",
    "GOOGL": "GOOGLE",
    "MSFT": "MICROSOFT",
    "MCDONALD": "MCDONALDS",
    "SBUX": "STARBUCKS",
    "FB": "FACEBOOK",
    "META": "FACEBOOK",
    "ITUNES": "APPLE",
    "UBR": "UBER",
    "LYFT": "LYFT",
}

_Key = tuple[str, frozenset[str], frozenset[str]]
_EMPTY: _Key = ("", frozenset(), frozenset())


def merchant_key(name: str | None) -> _Key:
    """Normalised merchant: (joined tokens, token set, character trigrams). Empty when unknown."""
    if not name:
        return _EMPTY
    text = _NON_ALNUM.sub(" ", name.upper().replace("'", ""))
    tokens: list[str] = []
    for raw in text.split():
        token = _ALIASES.get(raw, raw)
        # Store numbers, references and codes (``2K4``, ``0423``) carry no name.
        if any(c.isdigit() for c in token) or len(token) < 2 or token in _STOP:
            continue
        tokens.append(token)
    if not tokens:
        return _EMPTY
    joined = "".join(tokens)
    grams = frozenset(joined[i : i + 3] for i in range(max(1, len(joined) - 2)))
    return (joined, frozenset(tokens), grams)


def merchant_similarity(a: _Key, b: _Key) -> float:
    """0..1; 0.5 when either name is unknown."""
    if not a[0] or not b[0]:
        return 0.5
    if a[0] == b[0]:
        return 1.0
    ta, tb = a[1], b[1]
    shared = len(ta & tb)
    if shared:
        return min(1.0, 0.75 + 0.25 * shared / min(len(ta), len(tb)))
    # One name abbreviates the other ("MCDONALD" / "MCDONALDS", "RENFE" / "RENFEVIAJEROS").
    for x in ta:
        if len(x) >= 4:
            for y in tb:
                if len(y) >= 4 and (x.startswith(y) or y.startswith(x)):
                    return 0.8
    if a[0] in b[0] or b[0] in a[0]:
        shorter = min(len(a[0]), len(b[0]))
        if shorter >= 4:
            return 0.8
    ga, gb = a[2], b[2]
    return 2 * len(ga & gb) / (len(ga) + len(gb))


# --------------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Edge:
    score: float
    p: int  # index into the block's payments
    es: tuple[int, ...]  # indices into the block's expenses (1, or 2 for a split)
    rule: str
    a: float
    d: float
    m: float
    lag: int
    sig: tuple[int, ...] = ()  # twin classes of the payment and expenses (set by ``_assign``)


def reconcile(
    payments: Iterable[Payment],
    expenses: Iterable[Expense],
    *,
    rejected: Collection[tuple[int, int]] = (),
    settings: Settings | None = None,
) -> Result:
    """Match ``payments`` with ``expenses``; ``rejected`` (payment id, expense id) pairs are skipped."""
    cfg = settings or Settings()
    rejected_set = set(rejected)
    by_card_p: dict[str, list[Payment]] = {}
    refunds: list[int] = []
    for p in payments:
        if p.refund:
            refunds.append(p.id)
        else:
            by_card_p.setdefault(p.card, []).append(p)
    by_card_e: dict[str, list[Expense]] = {}
    for e in expenses:
        by_card_e.setdefault(e.card, []).append(e)

    result = Result(refunds=sorted(refunds))
    keys: dict[str, _Key] = {}
    sims: dict[tuple[str, str], float] = {}
    group = 0
    for card in sorted(by_card_p.keys() | by_card_e.keys()):
        pays = sorted(by_card_p.get(card, ()), key=lambda x: (x.on, x.id))
        exps = sorted(by_card_e.get(card, ()), key=lambda x: (x.on, x.id))
        if not pays or not exps:
            result.unmatched_payments.extend(p.id for p in pays)
            result.unmatched_expenses.extend(e.id for e in exps)
            continue
        edges = _candidates(pays, exps, cfg, rejected_set, keys, sims)
        group = _assign(pays, exps, edges, cfg, result, group, keys)

    result.proposals.sort(key=lambda x: (x.payment_id, x.expense_ids, x.kind))
    result.unmatched_payments.sort()
    result.unmatched_expenses.sort()
    return result


def _key(keys: dict[str, _Key], name: str) -> _Key:
    found = keys.get(name)
    if found is None:
        found = keys[name] = merchant_key(name)
    return found


def _date_score(lag: int, max_lag: int) -> float:
    """Concave in the lag: among repeated purchases, keeping the order scores higher."""
    return 1.0 - 0.8 * (lag / max_lag) ** 2 if lag >= 0 else 0.6


def _candidates(
    pays: list[Payment],
    exps: list[Expense],
    cfg: Settings,
    rejected: set[tuple[int, int]],
    keys: dict[str, _Key],
    sims: dict[tuple[str, str], float],
) -> list[_Edge]:
    """Every plausible (payment, expense) pair of one card, scored."""
    edays = [e.on.toordinal() for e in exps]
    ekeys = [_key(keys, e.merchant) for e in exps]
    max_lag, max_lead = cfg.max_lag_days, cfg.max_lead_days
    fx_bp, tip_bp = cfg.fx_tolerance_bp, cfg.tip_tolerance_bp
    floor = cfg.candidate_threshold
    edges: list[_Edge] = []
    for pi, p in enumerate(pays):
        pday = p.on.toordinal()
        lo = bisect_left(edays, pday - max_lag)
        hi = bisect_right(edays, pday + max_lead)
        if lo >= hi:
            continue
        pkey = _key(keys, p.merchant)
        pa, pc = p.amount, p.currency
        ma, mc = p.merchant_amount, p.merchant_currency
        exact_found = False
        for j in range(lo, hi):
            e = exps[j]
            ea, ec = e.amount, e.currency
            if ec == pc:
                if ea == pa:
                    rule, a = AMOUNT_EXACT, 1.0
                elif pa > ea > 0 and (pa - ea) * 10000 <= tip_bp * ea:
                    rule, a = AMOUNT_PLUS_TIP, TIP_SCORE
                else:
                    continue
            elif mc is not None and ec == mc and ma is not None and ea == ma:
                rule, a = MERCHANT_AMOUNT_EXACT, 1.0
            elif e.base_currency == pc and e.base_amount is not None:
                diff = abs(e.base_amount - pa)
                allowed = fx_bp * pa
                # One minor unit of slack: both amounts were rounded once.
                if (diff - 1) * 10000 <= allowed:
                    gap = min(1.0, diff * 10000 / allowed) if allowed else 0.0
                    rule, a = FX_WITHIN_TOLERANCE, FX_BEST - (FX_BEST - FX_WORST) * gap
                elif (
                    mc is not None
                    and ec == mc
                    and ma is not None
                    and ma > ea > 0
                    and ((ma - ea) * 10000 <= tip_bp * ea)
                ):
                    rule, a = AMOUNT_PLUS_TIP, TIP_SCORE
                else:
                    continue
            else:
                continue
            if (p.id, e.id) in rejected:
                continue
            lag = pday - edays[j]
            d = _date_score(lag, max_lag)
            ek = ekeys[j]
            sk = (pkey[0], ek[0])
            m = sims.get(sk)
            if m is None:
                m = sims[sk] = merchant_similarity(pkey, ek)
            if rule is AMOUNT_PLUS_TIP and m < cfg.tip_min_merchant:
                continue
            score = W_AMOUNT * a + W_DATE * d + W_MERCHANT * m
            if score < floor:
                continue
            if a == 1.0:
                exact_found = True
            edges.append(_Edge(score, pi, (j,), rule, a, d, m, lag))
        if not exact_found and hi - lo >= 2:
            edges.extend(_splits(p, pi, pday, pkey, exps, edays, ekeys, lo, hi, cfg, rejected, sims))
    return edges


def _splits(
    p: Payment,
    pi: int,
    pday: int,
    pkey: _Key,
    exps: list[Expense],
    edays: list[int],
    ekeys: list[_Key],
    lo: int,
    hi: int,
    cfg: Settings,
    rejected: set[tuple[int, int]],
    sims: dict[tuple[str, str], float],
) -> list[_Edge]:
    """Two expenses of one day that sum exactly to the payment (a receipt filed in two parts)."""
    targets: list[tuple[str, int]] = [(p.currency, p.amount)]
    if (
        p.merchant_currency is not None
        and p.merchant_amount is not None
        and p.merchant_currency != p.currency
    ):
        targets.append((p.merchant_currency, p.merchant_amount))
    found: list[_Edge] = []
    for currency, total in targets:
        seen: dict[int, list[int]] = {}
        for j in range(lo, hi):
            e = exps[j]
            if e.currency != currency or not 0 < e.amount < total or (p.id, e.id) in rejected:
                continue
            for k in seen.get(total - e.amount, ()):
                if edays[k] != edays[j]:
                    continue
                lag = pday - edays[j]
                d = _date_score(lag, cfg.max_lag_days)
                m = min(_sim(sims, pkey, ekeys[k]), _sim(sims, pkey, ekeys[j]))
                score = W_AMOUNT * SPLIT_SCORE + W_DATE * d + W_MERCHANT * m
                if score >= cfg.candidate_threshold:
                    found.append(_Edge(score, pi, (k, j), SPLIT_SUM_EXACT, SPLIT_SCORE, d, m, lag))
            seen.setdefault(e.amount, []).append(j)
    return found


def _sim(sims: dict[tuple[str, str], float], a: _Key, b: _Key) -> float:
    sk = (a[0], b[0])
    m = sims.get(sk)
    if m is None:
        m = sims[sk] = merchant_similarity(a, b)
    return m


def _twin_classes(items: list[Payment] | list[Expense], keys: dict[str, _Key], days: int) -> list[int]:
    """Class number per item: same currency, amount and (normalised) merchant, dated within ``days``.

    Twins are told apart only by their dates, so trading one twin for another is not an ambiguity:
    the best assignment (the dates decide) is kept, and among twins of equal score the one filed
    first (lowest id) is taken. Payments a day apart are twins (repeated purchases: paired in date
    order); expenses only on the same day (the same receipt filed twice: the copy is left over).
    """
    order = sorted(
        range(len(items)),
        key=lambda i: (items[i].currency, items[i].amount, _key(keys, items[i].merchant)[0], items[i].on),
    )
    classes = [0] * len(items)
    current = -1
    prev: tuple[str, int, str] | None = None
    prev_day = 0
    for i in order:
        item = items[i]
        ident = (item.currency, item.amount, _key(keys, item.merchant)[0])
        day = item.on.toordinal()
        if ident != prev or day - prev_day > days:
            current = i
        classes[i] = current
        prev, prev_day = ident, day
    return classes


def _assign(
    pays: list[Payment],
    exps: list[Expense],
    edges: list[_Edge],
    cfg: Settings,
    result: Result,
    group: int,
    keys: dict[str, _Key],
) -> int:
    """Solve one card's candidate graph component by component; returns the next group number."""
    n_p = len(pays)
    parent = list(range(n_p + len(exps)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for edge in edges:
        root = find(edge.p)
        for j in edge.es:
            other = find(n_p + j)
            if other != root:
                parent[other] = root
    components: dict[int, list[_Edge]] = {}
    for edge in edges:
        components.setdefault(find(edge.p), []).append(edge)
    if any(len(c) > 1 for c in components.values()):
        p_class = _twin_classes(pays, keys, 1)
        e_class = _twin_classes(exps, keys, 0)
        for edge in edges:
            edge.sig = (p_class[edge.p], *(e_class[j] for j in edge.es))

    used_p: set[int] = set()
    used_e: set[int] = set()
    for root in sorted(components):
        comp = components[root]
        ambiguous: list[_Edge] = []
        if len(comp) == 1:
            chosen = comp
        else:
            chosen, ambiguous = _solve(comp, cfg, pays, exps)
        for edge in chosen:
            kind = MATCHED if edge.score >= cfg.auto_threshold else LOW_CONFIDENCE
            result.proposals.append(_proposal(pays, exps, edge, kind, group))
            used_p.add(edge.p)
            used_e.update(edge.es)
        for edge in ambiguous:
            result.proposals.append(_proposal(pays, exps, edge, AMBIGUOUS, group))
            used_p.add(edge.p)
            used_e.update(edge.es)
        group += 1
    result.unmatched_payments.extend(p.id for i, p in enumerate(pays) if i not in used_p)
    result.unmatched_expenses.extend(e.id for j, e in enumerate(exps) if j not in used_e)
    return group


def _proposal(pays: list[Payment], exps: list[Expense], edge: _Edge, kind: str, group: int) -> Proposal:
    p = pays[edge.p]
    fx: FxDifference | None = None
    if len(edge.es) == 1:
        e = exps[edge.es[0]]
        if e.currency != p.currency:
            same = e.base_amount is not None and e.base_currency == p.currency
            fx = FxDifference(
                document_amount=e.amount,
                document_currency=e.currency,
                base_amount=e.base_amount,
                base_currency=e.base_currency,
                card_amount=p.amount,
                card_currency=p.currency,
                difference=p.amount - e.base_amount if same and e.base_amount is not None else None,
            )
    return Proposal(
        payment_id=p.id,
        expense_ids=tuple(sorted(exps[j].id for j in edge.es)),
        kind=kind,
        score=round(edge.score, 6),
        group=group,
        amount_rule=edge.rule,
        amount_score=edge.a,
        date_score=edge.d,
        merchant_score=edge.m,
        lag_days=edge.lag,
        fx=fx,
    )


def _edge_order(edge: _Edge) -> tuple[float, int, tuple[int, ...]]:
    return (-edge.score, edge.p, edge.es)


def _solve(
    comp: list[_Edge], cfg: Settings, pays: list[Payment], exps: list[Expense]
) -> tuple[list[_Edge], list[_Edge]]:
    """(confident edges, ambiguous edges) of one connected component.

    Perfect pairs come first: a payment and an expense that are each other's only exact match (same
    day, exact amount, identical merchant) are paired before any optimisation, so a global trade-off
    can never give away an exact pair to improve the total score of others.
    """
    perfect = _perfect_pairs(comp)
    if perfect:
        taken_p = {e.p for e in perfect}
        taken_e = {j for e in perfect for j in e.es}
        rest = [e for e in comp if e.p not in taken_p and not (set(e.es) & taken_e)]
        if not rest:
            return perfect, []
        solved, contested_edges = _solve(rest, cfg, pays, exps)
        return [*perfect, *solved], contested_edges
    comp = sorted(comp, key=_edge_order)
    p_nodes = sorted({e.p for e in comp})
    e_nodes = sorted({j for e in comp for j in e.es})
    if len(p_nodes) > cfg.max_exact_component or len(e_nodes) > cfg.max_exact_component:
        return _greedy(comp, cfg)
    bit = {j: 1 << i for i, j in enumerate(e_nodes)}
    by_p: dict[int, list[tuple[_Edge, int]]] = {p: [] for p in p_nodes}
    for edge in comp:
        mask = 0
        for j in edge.es:
            mask |= bit[j]
        by_p[edge.p].append((edge, mask))

    best_value, best = _best_assignment(p_nodes, by_p, ())
    best = _first_filed(best, comp, pays, exps)
    margin = cfg.ambiguity_margin
    confident: list[_Edge] = []
    contested: list[tuple[_Edge, list[_Edge]]] = []
    given_away = _perfect_given_away(comp, best)
    for edge in best:
        rivals_of = [pe for pe in given_away if pe.p == edge.p or set(pe.es) & set(edge.es)]
        if rivals_of:
            # The best total pairs this payment or expense elsewhere than with its perfect partner:
            # either reading may be the true one (a receipt filed twice, or two purchases), so a
            # person decides; the optimiser does not trade an exact pair away on its own.
            contested.append((edge, rivals_of))
            continue
        # The best assignment that pairs neither this payment nor its twins with these expenses or
        # their twins: if it is nearly as good, a person must decide.
        alt_value, alt = _best_assignment(p_nodes, by_p, edge.sig)
        if best_value - alt_value >= margin:
            confident.append(edge)
        else:
            contested.append((edge, alt))
    taken_p = {e.p for e in confident}
    taken_e = {j for e in confident for j in e.es}
    ambiguous: list[_Edge] = []
    seen: set[int] = set()
    for edge, alt in contested:
        rivals = [
            x
            for x in alt
            if (x.p == edge.p or set(x.es) & set(edge.es))
            and x.p not in taken_p
            and not (set(x.es) & taken_e)
        ]
        for x in (edge, *rivals):
            if id(x) not in seen:
                seen.add(id(x))
                ambiguous.append(x)
    ambiguous.sort(key=_edge_order)
    return confident, ambiguous


def _perfect_given_away(comp: list[_Edge], best: list[_Edge]) -> list[_Edge]:
    """Perfect edges (same day, exact amount, same merchant) whose payment or expense the best
    assignment pairs with something else."""
    in_best = {id(e) for e in best}
    taken_p = {e.p for e in best}
    taken_e = {j for e in best for j in e.es}
    return [
        e for e in comp if _is_perfect(e) and id(e) not in in_best and (e.p in taken_p or set(e.es) & taken_e)
    ]


def _is_perfect(edge: _Edge) -> bool:
    return len(edge.es) == 1 and edge.rule == AMOUNT_EXACT and edge.lag == 0 and edge.m >= 1.0


def _full_evidence(edge: _Edge) -> bool:
    """Exact amount and the same merchant, whatever the days between: perfect but for the date."""
    return len(edge.es) == 1 and edge.rule == AMOUNT_EXACT and edge.m >= 1.0


def _perfect_pairs(comp: list[_Edge]) -> list[_Edge]:
    """Perfect edges whose payment and expense have no other candidate as good but for the date.

    A receipt filed twice (once on the purchase day, once on the settlement day) gives the payment two
    such candidates; the copy dated on the settlement day looks perfect. Those are left to the
    assignment, which prefers the first filed or asks for review, instead of being paired up front.
    """
    strong = [e for e in comp if _full_evidence(e)]
    per_p: dict[int, int] = {}
    per_e: dict[int, int] = {}
    for e in strong:
        per_p[e.p] = per_p.get(e.p, 0) + 1
        per_e[e.es[0]] = per_e.get(e.es[0], 0) + 1
    return sorted(
        (e for e in strong if _is_perfect(e) and per_p[e.p] == 1 and per_e[e.es[0]] == 1), key=_edge_order
    )


def _first_filed(
    best: list[_Edge], comp: list[_Edge], pays: list[Payment], exps: list[Expense]
) -> list[_Edge]:
    """Among interchangeable twins (same class, same score), pair the earliest-filed (lowest ids) first."""
    occupied_p = {e.p for e in best}
    occupied_e = {j for e in best for j in e.es}
    used_p: set[int] = set()
    used_e: set[int] = set()
    out: list[_Edge] = []
    for edge in best:
        own_e = set(edge.es)
        options = [
            x
            for x in comp
            if x.sig == edge.sig
            and abs(x.score - edge.score) < 1e-9
            and x.p not in used_p
            and (x.p == edge.p or x.p not in occupied_p)
            and not (set(x.es) & used_e)
            and all(j in own_e or j not in occupied_e for j in x.es)
        ]
        pick = min(options, key=lambda x: (pays[x.p].id, sorted(exps[j].id for j in x.es)), default=edge)
        out.append(pick)
        used_p.add(pick.p)
        used_e.update(pick.es)
        occupied_p.add(pick.p)
        occupied_e.update(pick.es)
    return out


def _best_assignment(
    p_nodes: list[int], by_p: dict[int, list[tuple[_Edge, int]]], banned: tuple[int, ...]
) -> tuple[float, list[_Edge]]:
    """Largest total score over disjoint edges (exact, memoised over the expenses already used)."""
    memo: dict[tuple[int, int], tuple[float, tuple[_Edge, ...]]] = {}
    n = len(p_nodes)

    def go(i: int, used: int) -> tuple[float, tuple[_Edge, ...]]:
        if i == n:
            return 0.0, ()
        key = (i, used)
        hit = memo.get(key)
        if hit is not None:
            return hit
        best = go(i + 1, used)
        for edge, mask in by_p[p_nodes[i]]:
            if mask & used or (banned and edge.sig == banned):
                continue
            value, picked = go(i + 1, used | mask)
            value += edge.score
            # Strictly better only: on equal totals the earlier (higher-ranked) choice stays.
            if value > best[0] + 1e-12:
                best = (value, (edge, *picked))
        memo[key] = best
        return best

    value, picked = go(0, 0)
    return value, list(picked)


def _greedy(comp: list[_Edge], cfg: Settings) -> tuple[list[_Edge], list[_Edge]]:
    """Large components: take edges by descending score; a close rival makes both ambiguous."""
    used_p: set[int] = set()
    used_e: set[int] = set()
    by_node: dict[tuple[str, int], list[_Edge]] = {}
    for edge in comp:
        by_node.setdefault(("p", edge.p), []).append(edge)
        for j in edge.es:
            by_node.setdefault(("e", j), []).append(edge)
    confident: list[_Edge] = []
    ambiguous: list[_Edge] = []
    for edge in comp:  # already in descending score order
        if edge.p in used_p or any(j in used_e for j in edge.es):
            continue
        rivals: list[_Edge] = []
        for node in (("p", edge.p), *(("e", j) for j in edge.es)):
            for other in by_node[node]:
                if (
                    other is not edge
                    and other.sig != edge.sig
                    and other.score > edge.score - cfg.ambiguity_margin
                    and other.p not in used_p
                    and not any(j in used_e for j in other.es)
                    and all(other is not x for x in rivals)
                ):
                    rivals.append(other)
        if rivals:
            ambiguous.extend((edge, *rivals))
            for x in (edge, *rivals):
                used_p.add(x.p)
                used_e.update(x.es)
        else:
            confident.append(edge)
            used_p.add(edge.p)
            used_e.update(edge.es)
    return confident, ambiguous
