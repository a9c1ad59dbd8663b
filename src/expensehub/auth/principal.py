"""The Principal: who is calling, for which company."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """The authenticated caller. Every query a request makes is scoped to ``company_id``."""

    company_id: int
    credential_type: str
    credential_id: int
    employee_id: int | None = None
    access_id: int | None = None

    @property
    def public_id(self) -> str:
        """The credential id as ``api_public/credentials`` shows it: ``api_key-12``."""
        return f"{self.credential_type}-{self.credential_id}"
