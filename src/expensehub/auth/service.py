"""Use cases for credentials: create, authenticate and revoke API keys.

A key is ``ehk_`` followed by 43 URL-safe characters (256 random bits). Only its SHA-256 is stored:
with that much entropy a slow hash adds nothing, and a constant-time lookup by hash needs no scan.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy.orm import Session

from expensehub.auth import repository
from expensehub.auth.principal import Principal
from expensehub.companies import service as companies
from expensehub.errors import NotFound, Unauthenticated, ValidationFailed
from expensehub.kit.clock import utcnow
from expensehub.models import ApiKey

KEY_PREFIX = "ehk_"


def hash_key(plaintext: str) -> str:
    """Hex SHA-256 of a key."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def create_api_key(session: Session, *, company_id: int, name: str) -> tuple[ApiKey, str]:
    """Create a key for the company; returns the row and the plaintext, which is never stored."""
    companies.get_company(session, company_id)  # NotFound when it does not exist
    name = name.strip()
    if not name or len(name) > 120:
        raise ValidationFailed("invalid key name", fields={"name": ["must be 1 to 120 characters"]})
    plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        company_id=company_id,
        name=name,
        prefix=plaintext[:12],
        key_hash=hash_key(plaintext),
        created_at=utcnow(),
    )
    return repository.add_api_key(session, key), plaintext


def authenticate(session: Session, token: str) -> Principal:
    """The Principal a presented key stands for; ``Unauthenticated`` when unknown or revoked."""
    if not token:
        raise Unauthenticated("missing credentials: send x-api-key or Authorization: Bearer")
    key = repository.find_api_key_by_hash(session, hash_key(token))
    if key is None or key.revoked_at is not None:
        raise Unauthenticated("invalid or revoked credentials", code="invalid_credentials")
    return Principal(company_id=key.company_id, credential_type="api_key", credential_id=key.id)


def revoke_api_key(session: Session, *, company_id: int, key_id: int) -> ApiKey:
    """Revoke a key of the company; later requests with it get 401. Revoking twice is a no-op."""
    key = repository.get_api_key(session, company_id=company_id, key_id=key_id)
    if key is None:
        raise NotFound(f"api key {key_id} not found")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
    return key


def list_api_keys(session: Session, *, company_id: int | None = None) -> list[ApiKey]:
    """Keys (never their secrets), optionally of one company."""
    return repository.list_api_keys(session, company_id=company_id)
