"""Liveness and readiness: public, no token needed."""

from collections.abc import Awaitable, Callable
from http import HTTPStatus

from litestar import Response, get
from litestar.di import NamedDependency

from entrypoints.http.auth import PUBLIC
from entrypoints.http.problems import RETRY_AFTER_SECONDS, problem
from entrypoints.http.schemas import ProblemBody, StatusBody

ReadinessCheck = Callable[[], Awaitable[bool]]


@get("/health", opt={PUBLIC: True}, security=[], summary="Liveness", tags=["health"])
async def health() -> StatusBody:
    return StatusBody("ok")


@get(
    "/ready",
    opt={PUBLIC: True},
    security=[],
    summary="Readiness: 503 when the database is unreachable",
    tags=["health"],
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
