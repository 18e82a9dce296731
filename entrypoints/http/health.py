"""Liveness and readiness: public, no token needed."""

from collections.abc import Awaitable, Callable
from http import HTTPStatus

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.openapi.spec import SecurityRequirement

from entrypoints.http.auth import PUBLIC
from entrypoints.http.openapi import problem_response, success_response
from entrypoints.http.problems import RETRY_AFTER_SECONDS, problem
from entrypoints.http.schemas import ProblemBody, StatusBody

ReadinessCheck = Callable[[], Awaitable[bool]]

NO_TOKEN: list[SecurityRequirement] = [{}]
"""OpenAPI: no token needed. (An empty list would say so too, but Litestar drops it, and the
operation would then inherit the document's bearer requirement.)"""


@get(
    "/health",
    opt={PUBLIC: True},
    security=NO_TOKEN,
    summary="Liveness",
    tags=["health"],
    response_description="The process is serving.",
)
async def health() -> StatusBody:
    return StatusBody("ok")


@get(
    "/ready",
    opt={PUBLIC: True},
    security=NO_TOKEN,
    summary="Readiness: 503 when the database is unreachable",
    tags=["health"],
    responses={
        # The handler answers two body types, so both are spelled out here.
        HTTPStatus.OK: success_response(StatusBody, "The database answers."),
        HTTPStatus.SERVICE_UNAVAILABLE: problem_response(
            "The database is unreachable (with 'Retry-After')."
        ),
    },
)
async def ready(
    readiness_check: NamedDependency[ReadinessCheck],
) -> Response[StatusBody] | Response[ProblemBody]:
    if await readiness_check():
        return Response(StatusBody("ready"))
    return problem(
        HTTPStatus.SERVICE_UNAVAILABLE,
        "database-unavailable",
        "the database is unreachable",
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


ROUTES = [health, ready]
