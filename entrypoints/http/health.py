"""Liveness and readiness: public, no token needed."""

from collections.abc import Awaitable, Callable
from http import HTTPStatus

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.openapi.spec import SecurityRequirement

from entrypoints.http.auth import PUBLIC
from entrypoints.http.openapi import OperationDocs, Problem, Success, example
from entrypoints.http.problems import RETRY_AFTER_SECONDS, problem
from entrypoints.http.schemas import ProblemBody, StatusBody

ReadinessCheck = Callable[[], Awaitable[bool]]

NO_TOKEN: list[SecurityRequirement] = [{}]
"""OpenAPI: no token needed. (An empty list would say so too, but Litestar drops it, and the
operation would then inherit the document's bearer requirement.)"""

_UNREACHABLE = "the database is unreachable"

HEALTH = OperationDocs(
    {
        HTTPStatus.OK: Success(
            StatusBody, "The process is serving.", (example("ok", "Serving", StatusBody("ok")),)
        )
    },
    (),
)
READY = OperationDocs(
    {
        HTTPStatus.OK: Success(
            StatusBody, "The database answers.", (example("ready", "Ready", StatusBody("ready")),)
        )
    },
    (
        Problem(
            HTTPStatus.SERVICE_UNAVAILABLE,
            "database-unavailable",
            "The database is unreachable (with 'Retry-After').",
            _UNREACHABLE,
        ),
    ),
)


@get(
    "/health",
    opt={PUBLIC: True},
    security=NO_TOKEN,
    summary="Liveness",
    tags=["health"],
    responses=HEALTH.responses,
)
async def health() -> StatusBody:
    return StatusBody("ok")


@get(
    "/ready",
    opt={PUBLIC: True},
    security=NO_TOKEN,
    summary="Readiness: 503 when the database is unreachable",
    tags=["health"],
    responses=READY.responses,  # both of the handler's body types are spelled out there
)
async def ready(
    readiness_check: NamedDependency[ReadinessCheck],
) -> Response[StatusBody] | Response[ProblemBody]:
    if await readiness_check():
        return Response(StatusBody("ready"))
    return problem(
        HTTPStatus.SERVICE_UNAVAILABLE,
        "database-unavailable",
        _UNREACHABLE,
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


ROUTES = [health, ready]
