"""GET /metrics: the Prometheus exposition, behind the same bearer token as the API."""

from http import HTTPStatus

from litestar import Response, get

from entrypoints import metrics
from entrypoints.http.openapi import RATE_LIMITED, UNAUTHORIZED, OperationDocs, Success, example

_EXAMPLE = """\
# HELP wallet_creations_total Wallet creation requests by outcome: created, replayed (...)
# TYPE wallet_creations_total counter
wallet_creations_total{outcome="created"} 1042.0
wallet_creations_total{outcome="replayed"} 311.0
wallet_creations_total{outcome="key_mismatch"} 2.0
# HELP wallet_db_pool_connections_in_use Database connections checked out of the pools, all workers.
# TYPE wallet_db_pool_connections_in_use gauge
wallet_db_pool_connections_in_use 3.0
"""

METRICS = OperationDocs(
    {
        HTTPStatus.OK: Success(
            str,
            "Every worker's metrics in the Prometheus text format.",
            (example("metrics", "An excerpt", _EXAMPLE),),
            media_type=metrics.CONTENT_TYPE,
        )
    },
    (UNAUTHORIZED, RATE_LIMITED),
)


@get(
    "/metrics",
    summary="Prometheus metrics",
    description="Counters and histograms of every worker in the Prometheus text format: "
    "requests by route template and status, latencies, wallet creation outcomes, key "
    "derivations and key-cache lookups, tampering detections, database pool use and waits. "
    "No label holds a user id, key or token. Needs the bearer token (Prometheus: "
    "`authorization: {credentials_file: ...}` in the scrape config).",
    tags=["operations"],
    media_type=metrics.CONTENT_TYPE,
    responses=METRICS.responses,
    operation_class=METRICS.operation_class,
)
async def prometheus_metrics() -> Response[bytes]:
    return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)


ROUTES = [prometheus_metrics]
