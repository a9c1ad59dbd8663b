"""Python client for any Factorial-compatible API (expensehub or Factorial itself).

It imports nothing from the server (an import-linter contract keeps it so), so it can be installed or
vendored on its own: ``Client``/``AsyncClient`` (``api.py``), typed errors (``errors.py``), the retry policy
and request budget (``engine.py``), and webhook verification (``webhooks.py``).
"""

from expensehub.client.api import AsyncClient, AsyncResource, Client, Resource
from expensehub.client.engine import Budget, RetryPolicy
from expensehub.client.errors import (
    ApiError,
    BadRequest,
    ClientError,
    Conflict,
    Forbidden,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
    ValidationFailed,
)
from expensehub.client.webhooks import WebhookVerificationError, check_challenge, verify_webhook

__all__ = [
    "ApiError",
    "AsyncClient",
    "AsyncResource",
    "BadRequest",
    "Budget",
    "Client",
    "ClientError",
    "Conflict",
    "Forbidden",
    "NotFound",
    "RateLimited",
    "Resource",
    "RetryPolicy",
    "ServerError",
    "TransportError",
    "Unauthorized",
    "ValidationFailed",
    "WebhookVerificationError",
    "check_challenge",
    "verify_webhook",
]
