"""The HTTP side of a resource description: its list and get routes, built from the description.

:func:`mount` adds ``GET /{key}`` and ``GET /{key}/{id}`` to a router. The list's query parameters are
a Pydantic model made from the description's filters (each with its wire name as alias, its type and
its OpenAPI text), so the OpenAPI documents and the parsing come from the same lines. A version that
does not serve the resource answers 404 ``not_in_version``.
"""

import inspect
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, create_model
from starlette.responses import Response

from expensehub.api.deps import ApiContext, Ctx, ItemId, Paging, path_id
from expensehub.api.openapi import VERSIONS_KEY, doc_list, doc_one
from expensehub.api.responses import list_response, object_response
from expensehub.db.resources import Filter, Resource, get_scoped, list_page, views_of
from expensehub.errors import NotFound
from expensehub.versions import ApiVersion

Adapt = Callable[[ApiVersion, Any], Mapping[str, Any]]


def _query_model(name: str, doc: str, filters: tuple[Filter, ...]) -> type[BaseModel]:
    """A query model: one optional field per filter, aliased to its wire name."""
    fields: dict[str, Any] = {
        f.attr: (f.annotation | None, Field(None, alias=f.name, description=f.description)) for f in filters
    }
    model: type[BaseModel] = create_model(
        name, __config__=ConfigDict(populate_by_name=True), __doc__=doc, **fields
    )
    return model


def _model_name(resource: Resource[Any]) -> str:
    return "".join(part.title() for part in resource.key.split("/")[-1].split("_"))


def filters_model(resource: Resource[Any]) -> type[BaseModel]:
    """The query model of ``resource``'s list: one optional field per filter, aliased to its wire name."""
    return _query_model(
        f"{_model_name(resource)}Filters", f"Filters of ``GET {resource.key}``.", resource.filters
    )


def get_params_model(resource: Resource[Any]) -> type[BaseModel]:
    """The query model of ``resource``'s get (``get_filters``: values the view reads, no condition)."""
    return _query_model(
        f"{_model_name(resource)}GetParams",
        f"Query parameters of ``GET {resource.key}/{{id}}``.",
        resource.get_filters,
    )


def _served(ctx: ApiContext, resource: Resource[Any]) -> None:
    if not resource.served_in(ctx.version.name):
        raise NotFound(
            f"{resource.key} is not served in API version {ctx.version.name}", code="not_in_version"
        )


def _with_signature(fn: Callable[..., Response], **params: Any) -> Callable[..., Response]:
    """``fn`` with the parameters FastAPI reads (the filters model is made at run time)."""
    fn.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=kind)
            for name, kind in params.items()
        ]
    )
    return fn


def _singular(word: str) -> str:
    return word[:-3] + "y" if word.endswith("ies") else word.removesuffix("s")


def mount(
    router: APIRouter, resource: Resource[Any], *, adapt: Adapt | None = None, context: Any = None
) -> None:
    """Add the list of ``resource`` (and its get, when the resource documents one) to ``router``.

    A resource served by some versions only says so in its operations (``x-versions``); each version's
    OpenAPI document leaves out the operations it does not serve (``api/openapi.py``). ``adapt``, for
    views holding data that is itself rendered per version (an event's payload), turns a view into what
    the request's version renders; by default views are rendered as they are.

    ``context``, when given, is a dependency (``Annotated[T, Depends(...)]``) both routes resolve and
    hand the view as ``scope.context`` (e.g. the URL signer of the request, for download links).
    """
    filters = filters_model(resource)

    def adapted(version: ApiVersion, views: list[Any]) -> list[Any]:
        return views if adapt is None else [adapt(version, view) for view in views]

    tail = resource.key.split("/")[-1]
    extra = {VERSIONS_KEY: sorted(resource.versions)} if resource.versions is not None else None

    needs = {"context": context} if context is not None else {}

    def list_items(ctx: ApiContext, paging: Any, f: BaseModel, context: object = None) -> Response:
        _served(ctx, resource)
        listing = list_page(
            ctx.session, resource, company_id=ctx.company_id, values=dict(f), page=paging, context=context
        )
        return list_response(ctx.version, resource.key, listing.page, adapted(ctx.version, listing.items))

    router.add_api_route(
        resource.path,
        _with_signature(list_items, ctx=Ctx, paging=Paging, f=Annotated[filters, Query()], **needs),
        methods=["GET"],
        tags=[resource.tag],
        summary=resource.list_doc.summary,
        description=resource.list_doc.description,
        responses=doc_list(resource.out),
        name=f"list_{tail}",
        openapi_extra=extra,
    )
    if resource.get_doc is None:
        return

    def get_item(ctx: ApiContext, id: str, f: BaseModel | None = None, context: object = None) -> Response:
        _served(ctx, resource)
        values = dict(f) if f is not None else None
        view = get_scoped(
            ctx.session,
            resource,
            company_id=ctx.company_id,
            item_id=path_id(id),
            values=values,
            context=context,
        )
        return object_response(ctx.version, resource.key, adapted(ctx.version, [view])[0])

    params: dict[str, Any] = {"ctx": Ctx, "id": ItemId, **needs}
    if resource.get_filters:
        params["f"] = Annotated[get_params_model(resource), Query()]
    router.add_api_route(
        f"{resource.path}/{{id}}",
        _with_signature(get_item, **params),
        methods=["GET"],
        tags=[resource.tag],
        summary=resource.get_doc.summary,
        description=resource.get_doc.description,
        responses=doc_one(resource.out),
        name=f"get_{_singular(tail)}",
        openapi_extra=extra,
    )


def written(
    ctx: ApiContext, resource: Resource[Any], obj: object, status_code: int = 200, *, bare: bool = False
) -> Response:
    """A write's result ``obj``, rendered by ``resource``'s own view builder as its get renders it
    (``bare``: never wrapped in ``data``, for an operation marked ``openapi.BARE``)."""
    view = views_of(ctx.session, resource, company_id=ctx.company_id, rows=[(obj,)])[0]
    return object_response(ctx.version, resource.key, view, status_code, bare=bare)
