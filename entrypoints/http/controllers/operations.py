"""For the operators: liveness and readiness (public), and the Prometheus metrics."""

from collections.abc import Awaitable, Callable

from litestar import Controller, Response
from litestar.di import NamedDependency
from litestar.openapi.spec import SecurityRequirement

from domain.errors import StoreUnavailable
from entrypoints import metrics
from entrypoints.http import operations
from entrypoints.http.auth import PUBLIC
from entrypoints.http.controllers.head import get_and_head
from entrypoints.http.schemas.health import StatusBody

ReadinessCheck = Callable[[], Awaitable[bool]]


class HealthController(Controller):
    """Public: no token needed."""

    path = "/"
    tags = ["health"]  # noqa: RUF012 - Litestar reads layer settings as class attributes
    opt = {PUBLIC: True}  # noqa: RUF012
    # An empty requirement says "no token" (an empty list would too, but Litestar drops it, and
    # the operations would then inherit the document's bearer requirement).
    security: list[SecurityRequirement] = [{}]  # noqa: RUF012

    @get_and_head("/health", summary="Liveness", **operations.HEALTH.route)
    async def health(self) -> StatusBody:
        return StatusBody("ok")

    @get_and_head(
        "/ready",
        summary="Readiness: 503 when the database is unreachable",
        **operations.READY.route,
    )
    async def ready(self, readiness_check: NamedDependency[ReadinessCheck]) -> StatusBody:
        if not await readiness_check():
            raise StoreUnavailable("ReadinessCheck")
        return StatusBody("ready")


class MetricsController(Controller):
    path = "/metrics"
    tags = ["operations"]  # noqa: RUF012 - Litestar reads layer settings as class attributes

    @get_and_head(
        summary="Prometheus metrics",
        description="Counters and histograms of every worker in the Prometheus text format: "
        "requests by route template and status, latencies, wallet creation outcomes, key "
        "derivations and key-cache lookups, tampering detections, database pool use and waits. "
        "No label holds a user id, key or token. Needs the bearer token (Prometheus: "
        "`authorization: {credentials_file: ...}` in the scrape config).",
        media_type=metrics.CONTENT_TYPE,
        **operations.METRICS.route,
    )
    async def prometheus_metrics(self) -> Response[bytes]:
        return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)
