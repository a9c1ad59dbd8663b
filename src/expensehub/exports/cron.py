"""Five-field cron expressions in UTC: a thin adapter over the ``cronsim`` library.

``minute hour day-of-month month day-of-week``, each field ``*``, a number, a range ``a-b``, a step
``*/n`` / ``a-b/n`` / ``a/n``, or a comma list of those. Months and weekdays also take names
(``jan``..``dec``, ``sun``..``sat``); weekday 0 and 7 are Sunday. cronsim also reads ``L`` (the last day
of the month), ``LW`` (its last weekday), ``5L`` (the month's last Friday) and ``1#2`` (its second
Monday). Days follow Vixie/Debian cron: when either day field starts with ``*`` a day must match both,
otherwise either. Shorthands (ours, cronsim has none): ``@yearly`` (``@annually``), ``@monthly``,
``@weekly``, ``@daily`` (``@midnight``), ``@hourly``.

cronsim decides what is valid and computes every run time. This module adds what it leaves out: the
five-field limit (cronsim also takes a seconds field), the shorthands, UTC for naive times, and an error
that says why a field was refused (cronsim says only ``Bad minute``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cronsim import CronSim, CronSimError

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (name, low, high, names), in field order.
_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)
_DIGITS = frozenset("0123456789")
# Validation starts here; cronsim looks 50 years ahead before it gives up.
_VALIDATION_START = datetime(2024, 1, 1, tzinfo=UTC)


class CronError(ValueError):
    """A cron expression that cannot be parsed or never fires."""


@dataclass(frozen=True)
class Cron:
    """A validated cron expression (``expression`` is its normal form: lower case, shorthand expanded)."""

    expression: str

    def next_after(self, after: datetime) -> datetime:
        """The first minute strictly after ``after`` (tz-aware; naive means UTC) at which it fires."""
        moment = (after if after.tzinfo else after.replace(tzinfo=UTC)).astimezone(UTC)
        try:
            return next(CronSim(self.expression, moment))
        except (StopIteration, OverflowError):
            raise CronError(f"{self.expression!r} never fires") from None


def parse_cron(expression: str) -> Cron:
    """Parse and validate ``expression``; raises :class:`CronError` with the reason."""
    text = " ".join(expression.strip().lower().split())
    if not text:
        raise CronError("empty cron expression")
    text = _MACROS.get(text, text)
    if text.startswith("@"):
        raise CronError(f"unknown shorthand {expression.strip()!r}; use one of {', '.join(_MACROS)}")
    parts = text.split(" ")
    if len(parts) != 5:
        raise CronError(
            f"a cron expression has 5 fields (minute hour day-of-month month day-of-week); got {len(parts)}"
        )
    try:
        CronSim(text, _VALIDATION_START)
    except CronSimError:
        raise CronError(_why_refused(parts)) from None
    cron = Cron(
        " ".join(_single_value_ranges(part, names) for part, (*_, names) in zip(parts, _FIELDS, strict=True))
    )
    cron.next_after(_VALIDATION_START)  # refuses what does not fire within cronsim's 50 years
    return cron


def _single_value_ranges(field: str, names: tuple[str, ...]) -> str:
    """Write a stepped range of one value (``5-5/10``) as that value: cronsim 2.8 reads it as ``5/10``."""
    items = field.split(",")
    for index, item in enumerate(items):
        bounds, slash, _step = item.partition("/")
        first, dash, last = bounds.partition("-")
        if slash and dash and _number(first, names) == _number(last, names):
            items[index] = first
    return ",".join(items)


def _number(text: str, names: tuple[str, ...]) -> int:
    """A field value cronsim accepted (digits or a name) as its number."""
    if text in names:
        return names.index(text) + (1 if names is _MONTHS else 0)
    return int(text)


def _accepted(parts: list[str]) -> bool:
    try:
        CronSim(" ".join(parts), _VALIDATION_START)
    except CronSimError:
        return False
    return True


def _why_refused(parts: list[str]) -> str:
    """Name the field and list item cronsim refused, and why; cronsim itself says only ``Bad <field>``."""
    for index, (name, low, high, names) in enumerate(_FIELDS):
        alone = ["*"] * 5
        for item in parts[index].split(","):
            alone[index] = item
            if not _accepted(alone):
                return f"{name}: {_explain(item, parts[index], low, high, names)}"
    # Every item is valid on its own: the day of month exists in none of the months (30 February).
    return f"{' '.join(parts)!r} never fires"


def _explain(item: str, field: str, low: int, high: int, names: tuple[str, ...]) -> str:
    if not item:
        return f"empty list item in {field!r}"
    base, slash, step = item.partition("/")
    if slash and (not step or not set(step) <= _DIGITS or int(step) == 0):
        return f"step must be a positive integer in {item!r}"
    if base == "*":
        return f"{item!r} is not valid"
    if "#" in base:
        return f"{item!r}: WEEKDAY#N takes a weekday (0-7 or a name) and N from 1 to 5"
    values = base.split("-", 1)
    for value in values:
        if value in names:
            continue
        if not value or not set(value) <= _DIGITS:
            return f"{value!r} is not a number" + (f" or a name ({', '.join(names)})" if names else "")
        if not low <= int(value) <= high:
            return f"{int(value)} is out of range {low}-{high}"
    if len(values) == 2:
        return f"range {base!r} runs backwards"
    return f"{item!r} is not valid"
