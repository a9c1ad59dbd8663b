"""Webhook subscriptions of the demo company, when asked for (``expensehub demo --webhook-url URL``).

One subscription per event type of ``EVENTS`` (a subscription has one type, as in Factorial), created
through the webhooks service after everything else is seeded, so seeding queues nothing: the first
deliveries are the changes made afterwards. They share one signing secret, so one receiver
(``expensehub webhooks listen --secret S``) verifies them all; it is printed once.
"""

from __future__ import annotations

from dataclasses import dataclass

from expensehub.demo.seed.state import Demo
from expensehub.webhooks import service as webhooks

# The claim lifecycle, receipts, card payments and reconciliation: what an integration of the demo
# company would listen to.
EVENTS = (
    "expenses/expensable/create",
    "expenses/expensable/submit",
    "expenses/expensable/approve",
    "expenses/expensable/reject",
    "expenses/expensable/bulk_set_to_paid",
    "documents/document/create",
    "banking/card_payment/create",
    "reconciliation/run/completed",
)


@dataclass(frozen=True)
class Hooks:
    """The subscriptions made: their target, ids and event types, and the shared signing secret."""

    url: str
    ids: list[int]
    types: tuple[str, ...]
    secret: str


def subscribe(demo: Demo, url: str, *, allow_private: bool) -> Hooks:
    """Subscribe ``url`` to ``EVENTS`` for the demo company (422 for a URL the service refuses)."""
    author = webhooks.Author.company(demo.company_id)
    ids: list[int] = []
    shared: str | None = None
    for event in EVENTS:
        sub, secret = webhooks.create_subscription(
            demo.s,
            company_id=demo.company_id,
            subscription_type=event,
            target_url=url,
            allow_private=allow_private,
            name=f"demo: {event}",
            author=author,
        )
        if shared is None:
            shared = secret
        else:
            sub.secret = shared  # one secret for the demo's receiver
        ids.append(sub.id)
    demo.s.flush()
    assert shared is not None
    return Hooks(url=url, ids=ids, types=EVENTS, secret=shared)
