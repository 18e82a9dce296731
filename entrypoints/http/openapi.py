"""The OpenAPI document as a whole: its metadata and bearer security scheme, its ids and paths
(a route answering GET and HEAD shown by its GET alone), and the pages that serve it, all of
their files from this service.
"""

from copy import copy
from dataclasses import dataclass, fields
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from litestar import HttpMethod, Router
from litestar._openapi.utils import default_operation_id_creator
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, OpenAPI, SecurityScheme
from litestar.static_files import create_static_files_router
from litestar.types import Method
from litestar.types.internal_types import PathParameterDefinition

DOCS_PATH = "/schema"
DOCS_ASSETS = f"{DOCS_PATH}/static"


def openapi_config() -> OpenAPIConfig:
    """The document's metadata and the bearer security scheme every route needs unless it says;
    the document as JSON and YAML, and Swagger UI (at /schema and /schema/swagger) loading its
    scripts, styles and icon from this service, not from a CDN: a custody service often has no
    way out to the internet.
    """
    return _GetWithoutHead(
        title="wallet-orchestrator",
        version="0.1.0",
        description="One Stellar wallet per user, created atomically and idempotently.",
        path=DOCS_PATH,
        components=Components(
            security_schemes={"BearerToken": SecurityScheme(type="http", scheme="bearer")}
        ),
        security=[{"BearerToken": []}],
        operation_id_creator=_operation_id,
        render_plugins=[_swagger_ui(), YamlRenderPlugin()],
        openapi_router=Router(
            DOCS_PATH,
            route_handlers=[
                create_static_files_router(
                    DOCS_ASSETS.removeprefix(DOCS_PATH), directories=[_swagger_ui_files()]
                )
            ],
            include_in_schema=False,
        ),
    )


def _swagger_ui() -> SwaggerRenderPlugin:
    """Swagger UI at /schema and /schema/swagger, its files from DOCS_ASSETS."""
    icon = f"{DOCS_ASSETS}/favicon-32x32.png"
    return SwaggerRenderPlugin(
        path=["/", "/swagger"],
        js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        css_url=f"{DOCS_ASSETS}/swagger-ui.css",
        standalone_preset_js_url=f"{DOCS_ASSETS}/swagger-ui-standalone-preset.js",
        favicon=f'<link rel="icon" type="image/png" href="{icon}">',
    )


def _swagger_ui_files() -> Path:
    """Swagger UI's own files, as the swagger-ui-py package ships them (found, not imported: its
    code is for other frameworks).
    """
    spec = find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the swagger-ui-py package is not installed")
    return Path(spec.submodule_search_locations[0]) / "static"


@dataclass
class _GetWithoutHead(OpenAPIConfig):
    """A document that shows a route answering GET and HEAD (controllers/head.py) by its GET
    alone: HEAD is GET without the body (RFC 9110), and shown it would repeat every GET.
    """

    def to_openapi_schema(self) -> OpenAPI:
        document = super().to_openapi_schema()
        return _OpenAPIWithoutHead(**{f.name: getattr(document, f.name) for f in fields(document)})


@dataclass
class _OpenAPIWithoutHead(OpenAPI):
    def to_schema(self) -> dict[str, Any]:
        document = super().to_schema()
        for path_item in document.get("paths", {}).values():
            path_item.pop("head", None)
        return document


def _operation_id(
    handler: HTTPRouteHandler,
    method: Method,
    path_components: list[str | PathParameterDefinition],
) -> str:
    """Litestar's id, with a GET that also answers HEAD named as a GET alone (as it was before it
    answered HEAD), so that the document's ids do not change.
    """
    if method != HttpMethod.HEAD:
        handler = copy(handler)
        handler.http_methods = handler.http_methods - {HttpMethod.HEAD}
    return default_operation_id_creator(handler, method, path_components)
