"""Python SDK for any Factorial-compatible API (expensehub or Factorial itself).

It imports nothing from the server, so it can be vendored or installed on its own.
"""

from expensehub.client.webhooks import WebhookVerificationError, check_challenge, verify_webhook

__all__ = ["WebhookVerificationError", "check_challenge", "verify_webhook"]
