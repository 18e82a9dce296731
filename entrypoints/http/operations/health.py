"""What the OpenAPI document says of the operators' routes (liveness, readiness: public; the
metrics) beyond their handlers' signatures.
"""

from http import HTTPStatus

from domain.errors import StoreUnavailable
from entrypoints.http import examples
from entrypoints.http.docs import (
    RATE_LIMITED_EXAMPLE,
    UNAUTHORIZED_EXAMPLE,
    OperationDocs,
    Success,
    example,
    raised,
    scope_example,
)
from entrypoints.http.schemas.health import StatusBody
from entrypoints.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from entrypoints.scopes import Scope

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
    (raised(examples.ERROR_EXAMPLES[StoreUnavailable]),),
)
METRICS = OperationDocs(
    {
        HTTPStatus.OK: Success(
            str,
            "Every worker's metrics in the Prometheus text format.",
            (example("metrics", "An excerpt", examples.METRICS_EXAMPLE),),
            media_type=METRICS_CONTENT_TYPE,
        )
    },
    (UNAUTHORIZED_EXAMPLE, RATE_LIMITED_EXAMPLE, scope_example(Scope.READ)),
    scope=Scope.READ,
)
