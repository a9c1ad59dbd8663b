"""``Client`` and ``AsyncClient``: the resources of a Factorial-compatible API as attributes.

::

    from expensehub.client import Client

    with Client("http://127.0.0.1:8000", api_key="ehk_...") as api:
        for claim in api.expenses.expensables.list(status=["approved"]):   # pages as you iterate
            ...
        employee = api.employees.employees.get(7)
        api.employees.employees.terminate(id=7, terminated_on="2026-12-31")

The same against Factorial: ``Client("https://api.factorialhr.com", api_key=...)``; an OAuth access token
goes in ``token=``. ``AsyncClient`` has the same resources, with ``await`` and ``async for``.

Each resource offers what the API serves for it (``generated.RESOURCES``): ``list(**filters)``,
``get(id)``, ``create(...)``, ``update(id, ...)``, ``delete(id)`` and its actions as methods
(``submit``, ``terminate``, ``bulk_set_to_paid``...). List filters are keyword arguments; a list value is
sent as ``name[]=`` repeated, as the API reads it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

import httpx

from expensehub.client import engine
from expensehub.client.engine import Budget, Op, Request, RetryPolicy
from expensehub.client.errors import ClientError
from expensehub.client.generated import RESOURCES, AsyncNamespaces, Namespaces

DEFAULT_VERSION = "2026-10-01"
PAGE_MODE_BEFORE = "2026-07-01"  # versions before it page with ?page=N (2026-04-01's community clients)
M = TypeVar("M")


def _query(filters: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword filters as the API reads them: lists as ``name[]``, booleans as ``true``/``false``."""
    query: dict[str, Any] = {}
    for name, value in filters.items():
        if value is None:
            continue
        if isinstance(value, list | tuple | set | frozenset):
            query[name if name.endswith("[]") else f"{name}[]"] = [_scalar(v) for v in value]
        else:
            query[name] = _scalar(value)
    return query


def _scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _body(body: Mapping[str, Any] | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    return {**(body or {}), **fields}


class _Operations(Generic[M]):
    """The operations of one resource as effect generators (``engine``), for both flavours."""

    def __init__(self, owner: _Base, key: str) -> None:
        if key not in RESOURCES:
            raise ClientError(f"unknown resource {key!r}")
        self.key = key
        self.owner = owner
        self.operations, self.actions, self.model = RESOURCES[key]

    def _needs(self, operation: str) -> None:
        if operation not in self.operations:
            raise ClientError(
                f"{self.key} has no {operation} (it serves {', '.join(sorted(self.operations))})"
            )

    def _call(self, request: Request) -> Op[Any]:
        return engine.call(request, self.owner.retry, self.owner.budget)

    def _one(self, request: Request) -> Op[M]:
        body = yield from self._call(request)
        result: M = engine.unwrap(body)
        return result

    def list_op(self, filters: Mapping[str, Any], limit: int) -> Op[None]:
        self._needs("list")
        return engine.pages(
            self.key,
            _query(filters),
            page_mode=self.owner.version < PAGE_MODE_BEFORE,
            limit=limit,
            policy=self.owner.retry,
            budget=self.owner.budget,
        )

    def batches_op(self, filters: Mapping[str, Any], limit: int, start: str | None) -> Op[None]:
        self._needs("list")
        return engine.batches(
            self.key,
            _query(filters),
            page_mode=self.owner.version < PAGE_MODE_BEFORE,
            limit=limit,
            policy=self.owner.retry,
            budget=self.owner.budget,
            start=start,
        )

    def get_op(self, item_id: Any, params: Mapping[str, Any]) -> Op[M]:
        self._needs("get")
        return self._one(Request("GET", f"{self.key}/{item_id}", params=_query(params)))

    def create_op(self, body: dict[str, Any], files: Any) -> Op[M]:
        self._needs("create")
        if files is not None:  # multipart: the fields as form values
            data = {k: v if isinstance(v, str) else _scalar(v) for k, v in body.items()}
            return self._one(Request("POST", self.key, data=data, files=files))
        return self._one(Request("POST", self.key, json=body))

    def update_op(self, item_id: Any, body: dict[str, Any]) -> Op[M]:
        self._needs("update")
        return self._one(Request("PUT", f"{self.key}/{item_id}", json=body))

    def delete_op(self, item_id: Any) -> Op[M]:
        self._needs("delete")
        return self._one(Request("DELETE", f"{self.key}/{item_id}"))

    def action_op(self, name: str, body: dict[str, Any]) -> Op[Any]:
        if name not in self.actions:
            raise AttributeError(
                f"{self.key} has no action {name!r} (it has {', '.join(sorted(self.actions))})"
            )
        return self._one(Request("POST", f"{self.key}/{name}", json=body))


class Resource(Generic[M]):
    """A resource of a ``Client``: blocking calls; ``list`` is a lazy iterator over every page."""

    def __init__(self, owner: Client, key: str) -> None:
        self._ops: _Operations[M] = _Operations(owner, key)
        self._http = owner.http

    def list(self, *, limit: int = 100, **filters: Any) -> Iterator[M]:
        return engine.iterate(self._ops.list_op(filters, limit), self._http)

    def pages(self, *, limit: int = 100, start: str | None = None, **filters: Any) -> Iterator[engine.Page]:
        """The pages of the list, each with where the next starts (to resume a long walk later)."""
        return engine.iterate(self._ops.batches_op(filters, limit, start), self._http)

    def get(self, id: Any, /, **params: Any) -> M:
        return engine.run(self._ops.get_op(id, params), self._http)

    def create(self, body: Mapping[str, Any] | None = None, /, *, files: Any = None, **fields: Any) -> M:
        return engine.run(self._ops.create_op(_body(body, fields), files), self._http)

    def update(self, id: Any, body: Mapping[str, Any] | None = None, /, **fields: Any) -> M:
        return engine.run(self._ops.update_op(id, _body(body, fields)), self._http)

    def delete(self, id: Any, /) -> M:
        return engine.run(self._ops.delete_op(id), self._http)

    def action(self, action: str, body: Mapping[str, Any] | None = None, /, **fields: Any) -> Any:
        return engine.run(self._ops.action_op(action, _body(body, fields)), self._http)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_") or name not in self._ops.actions:
            raise AttributeError(f"{self._ops.key} has no {name!r}")
        return lambda body=None, /, **fields: self.action(name, body, **fields)


class AsyncResource(Generic[M]):
    """A resource of an ``AsyncClient``: the same operations, awaited; ``list`` is an async iterator."""

    def __init__(self, owner: AsyncClient, key: str) -> None:
        self._ops: _Operations[M] = _Operations(owner, key)
        self._http = owner.http

    def list(self, *, limit: int = 100, **filters: Any) -> AsyncIterator[M]:
        return engine.aiterate(self._ops.list_op(filters, limit), self._http)

    def pages(
        self, *, limit: int = 100, start: str | None = None, **filters: Any
    ) -> AsyncIterator[engine.Page]:
        """The pages of the list, each with where the next starts (to resume a long walk later)."""
        return engine.aiterate(self._ops.batches_op(filters, limit, start), self._http)

    def get(self, id: Any, /, **params: Any) -> Awaitable[M]:
        return engine.arun(self._ops.get_op(id, params), self._http)

    def create(
        self, body: Mapping[str, Any] | None = None, *, files: Any = None, **fields: Any
    ) -> Awaitable[M]:
        return engine.arun(self._ops.create_op(_body(body, fields), files), self._http)

    def update(self, id: Any, body: Mapping[str, Any] | None = None, /, **fields: Any) -> Awaitable[M]:
        return engine.arun(self._ops.update_op(id, _body(body, fields)), self._http)

    def delete(self, id: Any, /) -> Awaitable[M]:
        return engine.arun(self._ops.delete_op(id), self._http)

    def action(self, action: str, body: Mapping[str, Any] | None = None, /, **fields: Any) -> Awaitable[Any]:
        return engine.arun(self._ops.action_op(action, _body(body, fields)), self._http)

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        if name.startswith("_") or name not in self._ops.actions:
            raise AttributeError(f"{self._ops.key} has no {name!r}")
        return lambda body=None, /, **fields: self.action(name, body, **fields)


class _Namespace:
    """``client.expenses``: the resources of one namespace, as attributes."""

    def __init__(self, name: str, make: Callable[[str], Any]) -> None:
        self._name = name
        self._make = make
        self._resources: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        key = f"{self._name}/{name}"
        if key not in RESOURCES:
            raise AttributeError(f"no resource {key!r}")
        if key not in self._resources:
            self._resources[key] = self._make(key)
        return self._resources[key]

    def __dir__(self) -> list[str]:
        return sorted(k.split("/", 1)[1] for k in RESOURCES if k.startswith(self._name + "/"))


class _Base:
    """What both flavours share: where the API is, the credential, the version, the policies."""

    version: str
    retry: RetryPolicy
    budget: Budget

    def _configure(
        self,
        base_url: str,
        api_key: str | None,
        token: str | None,
        version: str,
        retry: RetryPolicy | None,
        budget: Budget | None,
    ) -> tuple[str, dict[str, str]]:
        if (api_key is None) == (token is None):
            raise ClientError("give either api_key or token")
        self.version = version
        self.retry = retry or RetryPolicy()
        self.budget = budget or Budget()
        headers = {"x-api-key": api_key} if api_key is not None else {"authorization": f"Bearer {token}"}
        headers["accept"] = "application/json"
        headers["user-agent"] = "expensehub-client"
        return f"{base_url.rstrip('/')}/api/{version}/resources/", headers

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or not any(k.startswith(name + "/") for k in RESOURCES):
            raise AttributeError(name)
        namespace = _Namespace(name, self._resource)
        setattr(self, name, namespace)
        return namespace

    def _resource(self, key: str) -> Any:
        raise NotImplementedError


class Client(_Base, Namespaces):
    """A blocking client. Use as a context manager, or call ``close()``."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        token: str | None = None,
        version: str = DEFAULT_VERSION,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        budget: Budget | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        base, headers = self._configure(base_url, api_key, token, version, retry, budget)
        self.http = httpx.Client(base_url=base, headers=headers, timeout=timeout, transport=transport)

    def _resource(self, key: str) -> Resource[Any]:
        return Resource(self, key)

    def resource(self, key: str) -> Resource[Any]:
        """A resource by its key, e.g. ``client.resource("expenses/expensables")``."""
        return Resource(self, key)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient(_Base, AsyncNamespaces):
    """An asyncio client with the same resources. Use as an async context manager, or ``await aclose()``."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        token: str | None = None,
        version: str = DEFAULT_VERSION,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        budget: Budget | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        base, headers = self._configure(base_url, api_key, token, version, retry, budget)
        self.http = httpx.AsyncClient(base_url=base, headers=headers, timeout=timeout, transport=transport)

    def _resource(self, key: str) -> AsyncResource[Any]:
        return AsyncResource(self, key)

    def resource(self, key: str) -> AsyncResource[Any]:
        """A resource by its key, e.g. ``client.resource("expenses/expensables")``."""
        return AsyncResource(self, key)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
