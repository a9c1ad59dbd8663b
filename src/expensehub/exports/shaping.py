"""Turning database rows into export rows: money formatting, FX, cost-centre splits (pure).

The hot loop of an export runs once per row, so the per-row code is kept to plain tuple building:
:func:`compile_row_function` generates a small function whose body indexes the record directly
(``(r[0], r[3], money(r[7], r[5]), ...)``) instead of looping over column descriptors. The generated
source contains only integer indexes and names of the helpers below, never user input.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from expensehub.kit.money import EXPONENTS, convert, split_largest_remainder


def money_text(minor: int | None, currency: str | None) -> str | None:
    """Minor units as a decimal string in major units: (1234, EUR) -> ``"12.34"``; (5, JPY) -> ``"5"``."""
    if minor is None:
        return None
    exp = _EXPONENT(currency, 2) if currency else 2
    if exp == 2 and minor >= 100:  # the common case, kept short: it runs for every amount of an export
        digits = str(minor)
        return digits[:-2] + "." + digits[-2:]
    if exp == 0:
        return str(minor)
    if minor < 0:
        return "-" + _positive_text(-minor, exp)
    return _positive_text(minor, exp)


_EXPONENT = EXPONENTS.get


def _positive_text(minor: int, exp: int) -> str:
    digits = str(minor)
    if len(digits) <= exp:
        digits = digits.rjust(exp + 1, "0")
    return digits[:-exp] + "." + digits[-exp:]


def money_decimal(minor: int | None, currency: str | None) -> Decimal | None:
    """Minor units as an exact ``Decimal`` in major units."""
    if minor is None:
        return None
    exp = EXPONENTS.get(currency, 2) if currency else 2
    return Decimal(minor).scaleb(-exp)


def money_float(minor: int | None, currency: str | None) -> float | None:
    """Minor units as a float in major units, for spreadsheet cells only (XLSX stores IEEE doubles)."""
    if minor is None:
        return None
    exp = EXPONENTS.get(currency, 2) if currency else 2
    return float(Decimal(minor).scaleb(-exp)) if exp else float(minor)


def base_amount(
    amount: int | None, currency: str | None, rate: str | None, base_currency: str | None
) -> int | None:
    """``amount`` in the legal entity's currency: exact, rounded half-even once (``kit.money.convert``).

    Same currency: the amount itself. Unknown rate or currency: ``None``.
    """
    if amount is None or currency is None or base_currency is None:
        return None
    if currency == base_currency:
        return amount
    if rate is None or currency not in EXPONENTS or base_currency not in EXPONENTS:
        return None
    try:
        return convert(amount, currency, Decimal(rate), base_currency)
    except InvalidOperation:
        return None


def single_rate(low: str | None, high: str | None) -> str | None:
    """The tax rate when every line shares it (min == max), else ``None``."""
    return low if low is not None and low == high else None


def split_record(
    record: Sequence[Any],
    shares: Sequence[tuple[str, str]],
    money_indexes: Sequence[int],
    code_index: int,
    share_index: int,
) -> list[list[Any]]:
    """One record per cost-centre share; each money field split by largest remainder (parts sum exactly)."""
    weights = [Decimal(share) for _, share in shares]
    if not weights or sum(weights, Decimal(0)) <= 0:
        weights = [Decimal(1)] * len(shares)
    parts: dict[int, list[int] | None] = {}
    for i in money_indexes:
        value = record[i]
        parts[i] = None if value is None else split_largest_remainder(value, weights)
    out = []
    for n, (code, share) in enumerate(shares):
        rec = list(record)
        for i, split in parts.items():
            rec[i] = None if split is None else split[n]
        rec[code_index] = code
        rec[share_index] = share
        out.append(rec)
    return out


def join_codes(shares: Sequence[tuple[str, str]]) -> tuple[str | None, str | None]:
    """Cost centres on one row: the codes joined with ``|``; the share only when there is one centre."""
    if not shares:
        return None, None
    codes = "|".join(code for code, _ in shares)
    return codes, (shares[0][1] if len(shares) == 1 else None)


# --------------------------------------------------------------------------------------------------
# Value formats (templates): dates, timestamps, decimals, truncation
# --------------------------------------------------------------------------------------------------


def date_formatter(fmt: str) -> Callable[[Any], str | None]:
    """Re-format a ``YYYY-MM-DD`` string (or a date) with a strftime format."""
    return _strftime(fmt, date)


def timestamp_formatter(fmt: str) -> Callable[[Any], str | None]:
    """Re-format a ``YYYY-MM-DDTHH:MM:SS.sssZ`` string (or a datetime) with a strftime format (UTC)."""
    return _strftime(fmt, datetime)


def _strftime(fmt: str, kind: type[date]) -> Callable[[Any], str | None]:
    """``fmt`` applied to a ``kind`` value, or to the ISO text of one (``kind.fromisoformat``)."""

    def render(value: Any) -> str | None:
        if value is None:
            return None
        moment = value if isinstance(value, kind) else kind.fromisoformat(value)
        return moment.strftime(fmt)

    return render


def decimal_separator(sep: str) -> Callable[[Any], Any]:
    """Swap the decimal point of a decimal string for ``sep`` (``","`` for German ERPs)."""

    def swap(value: Any) -> Any:
        return None if value is None else value.replace(".", sep)

    return swap


def truncate(limit: int) -> Callable[[Any], Any]:
    def cut(value: Any) -> Any:
        return value[:limit] if isinstance(value, str) and len(value) > limit else value

    return cut


def bool_text(value: Any) -> str | None:
    return None if value is None else ("true" if value else "false")


def chain(*steps: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def run(value: Any) -> Any:
        for step in steps:
            value = step(value)
        return value

    return run


# --------------------------------------------------------------------------------------------------
# Generated row functions
# --------------------------------------------------------------------------------------------------


class Cell:
    """How to compute one output value from a record.

    * ``index`` alone: the record's value as is.
    * ``index`` + ``currency_index``: money formatted with ``money`` (a function of (minor, currency)).
    * ``constant``: the same value on every row (``index`` is ignored).
    * ``post``: a function applied to the value afterwards (formats, truncation).
    """

    __slots__ = ("constant", "currency_index", "index", "money", "post")

    def __init__(
        self,
        index: int = -1,
        *,
        currency_index: int | None = None,
        money: Callable[[Any, Any], Any] | None = None,
        constant: Any = None,
        post: Callable[[Any], Any] | None = None,
    ) -> None:
        self.index = index
        self.currency_index = currency_index
        self.money = money
        self.constant = constant
        self.post = post


def compile_row_function(cells: Sequence[Cell], as_list: bool = False) -> Callable[[Sequence[Any]], Any]:
    """A function record -> output tuple for ``cells``, generated once per export (see module docs)."""
    namespace: dict[str, Any] = {}
    parts: list[str] = []
    for n, cell in enumerate(cells):
        if cell.index < 0:
            namespace[f"k{n}"] = cell.constant
            expr = f"k{n}"
        elif cell.money is not None and cell.currency_index is not None:
            namespace[f"m{n}"] = cell.money
            expr = f"m{n}(r[{int(cell.index)}], r[{int(cell.currency_index)}])"
        else:
            expr = f"r[{int(cell.index)}]"
        if cell.post is not None:
            namespace[f"p{n}"] = cell.post
            expr = f"p{n}({expr})"
        parts.append(expr)
    body = ", ".join(parts)
    source = f"def row(r):\n    return [{body}]\n" if as_list else f"def row(r):\n    return ({body},)\n"
    exec(compile(source, "<export-row>", "exec"), namespace)  # noqa: S102 - indexes and helper names only
    fn: Callable[[Sequence[Any]], Any] = namespace["row"]
    return fn
