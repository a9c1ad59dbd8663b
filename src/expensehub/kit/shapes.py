"""What a response shape is written with: one ``TypedDict`` per shape, which is at once the type the
service hands the router (mypy checks every key) and the OpenAPI component documenting it.

```python
class AccountOut(TypedDict):
    \"\"\"A ledger account (``finance/accounts``).\"\"\"

    id: Annotated[IdOut, Field(description="Ledger account id")]
    name: Annotated[str | None, Field(description="Name of the account")]
    _company_id: Private[int]      # for a version transform; never on the wire, never documented
```

- ``TypedDict`` comes from ``typing_extensions``: Pydantic reads a shape's field descriptions from it
  (Python 3.11's ``typing.TypedDict`` lacks what Pydantic needs).
- ``IdOut`` is an id: an integer in the view, documented as the JSON string the current version sends
  (the version registry types it as an integer in the documents of versions before 2026-07-01).
- ``Private[T]``: a ``_``-prefixed key routers pass along for version transforms, left out of the
  documents (and stripped from responses by ``versions.ApiVersion.render``).
- A key sometimes absent from the object is ``NotRequired[...]``; every other key is always sent
  (``null`` when there is no value), so the documents list it as required.
"""

from __future__ import annotations

from typing import Annotated, NotRequired, TypeVar

from pydantic import WithJsonSchema
from pydantic.json_schema import SkipJsonSchema
from typing_extensions import TypedDict

T = TypeVar("T")

IdOut = Annotated[int, WithJsonSchema({"type": "string"})]
"""An id in a response: an integer here, a JSON string on the wire from 2026-07-01 on."""

Private = Annotated[T, SkipJsonSchema()]
"""``Private[T]``: a key for version transforms only, never documented nor sent."""

__all__ = ["IdOut", "NotRequired", "Private", "TypedDict"]
