"""SQL for credentials."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from expensehub.models import ApiKey, Company


def add_api_key(session: Session, key: ApiKey) -> ApiKey:
    session.add(key)
    session.flush()
    return key


def find_api_key_by_hash(session: Session, key_hash: str) -> ApiKey | None:
    """The key with this hash, only while its company exists (a key never outlives its company)."""
    return session.scalars(
        select(ApiKey).join(Company, Company.id == ApiKey.company_id).where(ApiKey.key_hash == key_hash)
    ).first()


def get_api_key(session: Session, *, company_id: int, key_id: int) -> ApiKey | None:
    return session.scalars(select(ApiKey).where(ApiKey.company_id == company_id, ApiKey.id == key_id)).first()


def list_api_keys(session: Session, *, company_id: int | None = None) -> list[ApiKey]:
    stmt = select(ApiKey).order_by(ApiKey.id)
    if company_id is not None:
        stmt = stmt.where(ApiKey.company_id == company_id)
    return list(session.scalars(stmt))
