"""What the OpenAPI document says about responses beyond each handler's success body: the problem
details every protected route can answer, and the other success statuses (200 on a replay).
"""

from collections.abc import Mapping
from http import HTTPStatus

import msgspec
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.spec import Components, SecurityScheme

from entrypoints.http.problems import PROBLEM_JSON
from entrypoints.http.schemas import ProblemBody

Responses = dict[int, ResponseSpec]

_EVERY_PROTECTED_ROUTE: dict[HTTPStatus, str] = {
    HTTPStatus.BAD_REQUEST: "Invalid input: wrong types, missing or empty fields, values over "
    "their limits, NUL characters, or a body that is not JSON.",
    HTTPStatus.UNAUTHORIZED: "The 'Authorization: Bearer <token>' header is missing or its token "
    "is not accepted (with 'WWW-Authenticate: Bearer').",
    HTTPStatus.TOO_MANY_REQUESTS: "Over this token's rate limit, when WALLET_RATE_LIMIT is set "
    "(with 'Retry-After').",
    HTTPStatus.INTERNAL_SERVER_ERROR: "The request failed and nothing was changed.",
    HTTPStatus.SERVICE_UNAVAILABLE: "The database is unavailable (with 'Retry-After').",
}


def problem_response(description: str) -> ResponseSpec:
    """An RFC 9457 problem details response."""
    return ResponseSpec(
        data_container=ProblemBody,
        media_type=PROBLEM_JSON,
        description=description,
        generate_examples=False,
    )


def success_response(body: type[msgspec.Struct], description: str) -> ResponseSpec:
    """A JSON success response other than the handler's default status."""
    return ResponseSpec(data_container=body, description=description, generate_examples=False)


def protected_route_responses(
    problems: Mapping[HTTPStatus, str], successes: Mapping[HTTPStatus, ResponseSpec] | None = None
) -> Responses:
    """The responses a route behind the bearer token documents besides its default success: the
    problems every such route can answer, this route's own `problems` (which may reword a common
    one), and its other `successes`.
    """
    descriptions = {**_EVERY_PROTECTED_ROUTE, **problems}
    documented = {status.value: problem_response(text) for status, text in descriptions.items()}
    return documented | {status.value: spec for status, spec in (successes or {}).items()}


def openapi_config() -> OpenAPIConfig:
    """The document's metadata and the bearer security scheme every route needs unless it says."""
    return OpenAPIConfig(
        title="wallet-orchestrator",
        version="0.1.0",
        description="One Stellar wallet per user, created atomically and idempotently.",
        path="/schema",
        components=Components(
            security_schemes={"BearerToken": SecurityScheme(type="http", scheme="bearer")}
        ),
        security=[{"BearerToken": []}],
    )
