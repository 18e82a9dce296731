"""Every HTTP request observed once, around the whole app (unknown routes included): a request id
(the caller's X-Request-ID if it is a sane one, else a new one) returned in X-Request-ID and bound
to every log line of the request; one log line at the end; the request metrics.
"""

import os
import re
import time
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

import structlog
from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import (
    HTTPScope,
    LifeSpanReceive,
    LifeSpanScope,
    LifeSpanSend,
    Message,
    Receive,
    Scope,
    Send,
)

from entrypoints import metrics
from entrypoints.logs import REQUEST_LOG

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_HEADER = REQUEST_ID_HEADER.encode()
CREATE_WALLET_ROUTE = "/wallets/create-user-wallet"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

_CREATION_OUTCOMES_BY_PROBLEM = {
    "wallet-key-mismatch": "key_mismatch",
    "user-not-found": "unknown_user",
    "invalid-input": "invalid_input",
}


@dataclass(slots=True)
class RequestContext:
    request_id: str
    problem: str | None = None


_current: ContextVar[RequestContext | None] = ContextVar("wallet_request", default=None)


def set_problem(slug: str) -> None:
    """Note the problem type (its slug) the current request is answered with, for its log line
    and metrics.
    """
    context = _current.get()
    if context is not None:
        context.problem = slug


class ObservedLitestar(Litestar):
    """Litestar, with each HTTP request observed as this module says."""

    async def __call__(
        self,
        scope: Scope | LifeSpanScope,
        receive: Receive | LifeSpanReceive,
        send: Send | LifeSpanSend,
    ) -> None:
        if scope["type"] != ScopeType.HTTP:
            await super().__call__(scope, receive, send)
            return
        http_scope, http_send = cast("HTTPScope", scope), cast("Send", send)
        context = RequestContext(_request_id(http_scope))
        token = _current.set(context)
        structlog.contextvars.bind_contextvars(request_id=context.request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers") or [])
                headers.append((_REQUEST_ID_HEADER, context.request_id.encode()))
                message["headers"] = headers
            await http_send(message)

        try:
            await super().__call__(scope, receive, send_with_request_id)
        finally:
            _observe(http_scope, status, time.perf_counter() - started, context)
            structlog.contextvars.unbind_contextvars("request_id")
            _current.reset(token)


def _request_id(scope: HTTPScope) -> str:
    for name, value in scope["headers"]:
        if name == _REQUEST_ID_HEADER:
            presented = value.decode("latin-1")
            if _SANE_REQUEST_ID.fullmatch(presented):
                return presented
            break
    return os.urandom(16).hex()  # 32 hex digits like uuid4().hex, all random, at a quarter the CPU


def _observe(scope: HTTPScope, status: int, seconds: float, context: RequestContext) -> None:
    route = str(scope.get("path_template") or "unmatched")
    method = str(scope["method"])
    outcome = "ok" if status < 400 else "problem"
    metrics.observe_request(method, route, status, seconds)
    if route == CREATE_WALLET_ROUTE and method == "POST":
        outcome = _creation_outcome(status, context.problem)
        metrics.count_creation(outcome)
    fields: dict[str, Any] = {
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 3),
        "outcome": outcome,
    }
    if context.problem is not None:
        fields["problem"] = context.problem
    caller = scope.get("user")  # the token's id (its scopes are in "auth")
    if isinstance(caller, str):
        fields["caller"] = caller
    if status >= 500:
        REQUEST_LOG.logger.warning("request", **fields)
    else:
        REQUEST_LOG.logger.info("request", **fields)


def count_item_creations(statuses: Iterable[tuple[int, str | None]]) -> None:
    """Each item of a batch creation, by its status and problem type (the URI), counted in
    `wallet_creations_total` as the single creation's request would be.
    """
    for status, problem_type in statuses:
        slug = None if problem_type is None else problem_type.rpartition("/")[2]
        metrics.count_creation(_creation_outcome(status, slug))


def _creation_outcome(status: int, problem: str | None) -> str:
    if status == 201:
        return "created"
    if status == 200:
        return "replayed"
    if problem in _CREATION_OUTCOMES_BY_PROBLEM:
        return _CREATION_OUTCOMES_BY_PROBLEM[problem]
    return "failed" if status >= 500 else "rejected"
