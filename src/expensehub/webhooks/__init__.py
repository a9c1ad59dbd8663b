"""Webhooks: Factorial-compatible subscriptions, a transactional outbox, signed deliveries with retries."""
