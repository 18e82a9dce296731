"""Per-token rate limiting (off unless WALLET_RATE_LIMIT is set), on Litestar's middleware."""

from typing import Any, cast

from litestar import Request
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import DurationUnit, RateLimitConfig

from entrypoints.http.auth import PUBLIC, PUBLIC_PATHS

RateLimit = tuple[int, str]


def _token_id(request: Request[Any, Any, Any]) -> str:
    # Runs after authentication: `user` is the accepted token's non-secret id.
    return str(request.scope.get("user") or "anonymous")


def rate_limit_middleware(limit: RateLimit) -> DefineMiddleware:
    """At most `count` requests per `unit` for each API token, counted per process."""
    count, unit = limit
    config = RateLimitConfig(
        rate_limit=(cast("DurationUnit", unit), count),
        identifier_for_request=_token_id,
        exclude=[*PUBLIC_PATHS, "^/health$", "^/ready$"],
        exclude_opt_key=PUBLIC,
    )
    return config.middleware
