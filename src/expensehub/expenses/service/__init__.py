"""Use cases of the expenses domain: create and edit drafts, move claims through the status machine
(``rules.py``), approval flows and duplicate detection; one module per concern, re-exported here.
(Lists and gets are the descriptions of ``expenses/resources.py``.)

Services flush, never commit. Every check runs before the first change, so a refused request changes
nothing even before the request's transaction is rolled back. Results are the typed views of
``schemas`` (``ExpensableOut``, ``ExpenseOut``...) built by the resources' view builders.
"""

from __future__ import annotations

from expensehub.expenses.service.actions import (
    bulk_set_to_paid,
    delete_expensable,
    request_changes,
    submit,
    update_reimbursable_amount,
)
from expensehub.expenses.service.approvals import decide_resource
from expensehub.expenses.service.claims import Actor, Decision, Kind
from expensehub.expenses.service.drafts import (
    Uploads,
    create_expense,
    create_mileage,
    create_per_diem,
    update_expense,
    update_mileage,
    update_per_diem,
)
from expensehub.expenses.service.mirror import KIND_FIELDS as MIRRORED_KIND_FIELDS
from expensehub.expenses.service.mirror import (
    delete_mirrored_claim,
    mirror_claim,
)

__all__ = [
    "MIRRORED_KIND_FIELDS",
    "Actor",
    "Decision",
    "Kind",
    "Uploads",
    "bulk_set_to_paid",
    "create_expense",
    "create_mileage",
    "create_per_diem",
    "decide_resource",
    "delete_expensable",
    "delete_mirrored_claim",
    "mirror_claim",
    "request_changes",
    "submit",
    "update_expense",
    "update_mileage",
    "update_per_diem",
    "update_reimbursable_amount",
]
