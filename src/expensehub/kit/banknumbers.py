"""Bank account numbers: the formats Factorial names, and the IBAN and SWIFT/BIC checks. Pure.

One place for the rules that a company bank account (``banking/bank_accounts``) and an employee's
bank details (``employees/employees``, where reimbursements are paid) share.
"""

from __future__ import annotations

import re
from typing import Literal

AccountNumberType = Literal[
    "iban",
    "sort_code_and_account_number",
    "routing_number_and_account_number",
    "clabe",
    "other",
    "bank_name_and_account_number",
]
"""Factorial's enum of account number formats (bank accounts' ``account_number_type``, employees'
``bank_number_format``)."""

_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")


def compact_iban(text: str) -> str:
    """An IBAN as stored: spaces removed, upper case."""
    return text.replace(" ", "").upper()


def iban_ok(iban: str) -> bool:
    """Whether ``iban`` (compact, see ``compact_iban``) has an IBAN's form and its mod-97 checksum."""
    if not (15 <= len(iban) <= 34) or not iban[:2].isalpha() or not iban[2:4].isdigit():
        return False
    if not (iban.isascii() and iban.isalnum()):
        return False
    moved = iban[4:] + iban[:4]
    digits = "".join(str(int(c, 36)) for c in moved)
    return int(digits) % 97 == 1


def bic_ok(bic: str) -> bool:
    """Whether ``bic`` (upper case, no spaces) is a SWIFT/BIC: 8 or 11 characters of the ISO 9362 form."""
    return bool(_BIC.fullmatch(bic))
