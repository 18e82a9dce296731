"""Errors to RFC 9457 problem details. The only place that decides HTTP statuses for errors."""

import logging
import re
from http import HTTPStatus
from typing import Any

import sqlalchemy.exc
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException

from adapters.sql.engine import UNAVAILABLE_ERRORS, database_unavailable
from domain.errors import (
    DomainError,
    EnvelopeTampered,
    ExportDisabled,
    InvalidInput,
    SealingFailed,
    StoreUnavailable,
    UserConflict,
    UserNotFound,
    WalletExistsUnderAnotherKey,
    WalletKeyMismatch,
    WalletNotFound,
    WalletSuspended,
)
from entrypoints.http.observed import set_problem
from entrypoints.http.schemas import ProblemBody
from entrypoints.logs import Throttled
from entrypoints.metrics import count_tampering

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://wallet-orchestrator.dev/problems/"
RETRY_AFTER_SECONDS = "2"
UNAVAILABLE_LOG_SECONDS = 5.0
"""At most one 'database unavailable' line per worker this often, with a count of the rest."""

AnyRequest = Request[Any, Any, Any]
_MISSING_FIELD = re.compile(r"Object missing required field `([A-Za-z]+)`")

_log = logging.getLogger("wallet_orchestrator.http")
_unavailable_warning = Throttled(UNAVAILABLE_LOG_SECONDS)

_DOMAIN_STATUS: dict[type[DomainError], tuple[HTTPStatus, str]] = {
    InvalidInput: (HTTPStatus.BAD_REQUEST, "invalid-input"),
    UserNotFound: (HTTPStatus.NOT_FOUND, "user-not-found"),
    WalletNotFound: (HTTPStatus.NOT_FOUND, "wallet-not-found"),
    UserConflict: (HTTPStatus.CONFLICT, "user-conflict"),
    # The subclass first: a creation replay under another key is a conflict, while any other
    # operation with a key that does not open the wallet is refused.
    WalletExistsUnderAnotherKey: (HTTPStatus.CONFLICT, "wallet-key-mismatch"),
    WalletKeyMismatch: (HTTPStatus.FORBIDDEN, "wrong-encryption-key"),
    WalletSuspended: (HTTPStatus.LOCKED, "wallet-suspended"),
    ExportDisabled: (HTTPStatus.FORBIDDEN, "export-disabled"),
}


_STABLE_TITLES = {
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "Request Entity Too Large",
    HTTPStatus.UNPROCESSABLE_ENTITY: "Unprocessable Entity",
}
"""Titles (and so problem types) that newer Pythons rename (3.13: "Content Too Large",
"Unprocessable Content"): a problem type is a contract and must not change with the runtime."""


def _title(status: HTTPStatus) -> str:
    return _STABLE_TITLES.get(status, status.phrase)


def problem(
    status: HTTPStatus,
    slug: str,
    detail: str,
    *,
    errors: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[ProblemBody]:
    set_problem(slug)
    body = ProblemBody(PROBLEM_BASE + slug, _title(status), status.value, detail, errors)
    return Response(body, status_code=status.value, media_type=PROBLEM_JSON, headers=headers)


def domain_error(request: AnyRequest, error: DomainError) -> Response[ProblemBody]:
    if isinstance(error, StoreUnavailable):
        return unavailable(request, error)
    for kind, (status, slug) in _DOMAIN_STATUS.items():
        if isinstance(error, kind):
            return problem(status, slug, str(error))
    if isinstance(error, EnvelopeTampered):
        count_tampering()
        _log.error("envelope integrity failure (%s) on %s", error.reason, request.url.path)
        return problem(
            HTTPStatus.INTERNAL_SERVER_ERROR,
            "envelope-tampered",
            "the stored encrypted key of this wallet is damaged or was altered; nothing was "
            "returned or changed",
        )
    if isinstance(error, SealingFailed):
        _log.error("new wallet failed its self-check on %s; nothing stored", request.url.path)
        return problem(HTTPStatus.INTERNAL_SERVER_ERROR, "sealing-failed", str(error))
    return internal_error(request, error)


def validation_error(_: AnyRequest, error: ValidationException) -> Response[ProblemBody]:
    messages = [
        _field_message(item)
        for item in (error.extra if isinstance(error.extra, list) else [])
        if isinstance(item, dict)
    ]
    detail = messages[0] if messages else "the request body is not valid JSON of the expected shape"
    return problem(HTTPStatus.BAD_REQUEST, "invalid-input", detail, errors=messages or None)


def _field_message(item: dict[str, object]) -> str:
    """'field: message', from Litestar's error item. Values are never quoted back."""
    message = str(item.get("message", "invalid value"))
    key = item.get("key")
    if key == "data":  # Litestar's name for the whole body
        missing = _MISSING_FIELD.fullmatch(message)
        if missing is not None:
            return f"{missing[1]}: a value is required"
        return "a JSON object body is required"
    return f"{key}: {message}" if isinstance(key, str) and key else message


def not_authorized(_: AnyRequest, error: NotAuthorizedException) -> Response[ProblemBody]:
    response = problem(HTTPStatus.UNAUTHORIZED, "unauthorized", error.detail)
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


def http_error(request: AnyRequest, error: HTTPException) -> Response[ProblemBody]:
    status = HTTPStatus(error.status_code)
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:  # raised inside the framework: our 500
        return internal_error(request, error)
    detail = error.detail if error.detail != status.phrase else status.description
    slug = (
        "invalid-input"
        if status == HTTPStatus.BAD_REQUEST
        else _title(status).lower().replace(" ", "-")
    )
    headers = dict(error.headers or {})
    if status == HTTPStatus.TOO_MANY_REQUESTS and "RateLimit-Reset" in headers:
        headers.setdefault("Retry-After", str(max(1, int(headers["RateLimit-Reset"]))))
    return problem(status, slug, detail, headers=headers)


def unavailable(_: AnyRequest, error: Exception) -> Response[ProblemBody]:
    kind = error.cause if isinstance(error, StoreUnavailable) else type(error).__name__

    def warn(held_back: int) -> None:
        _log.warning(
            "database unavailable: %s (%d more such answers since the last line)", kind, held_back
        )

    _unavailable_warning(warn)
    return problem(
        HTTPStatus.SERVICE_UNAVAILABLE,
        "database-unavailable",
        "the database is unavailable; retry later",
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


def database_error(request: AnyRequest, error: sqlalchemy.exc.DBAPIError) -> Response[ProblemBody]:
    if database_unavailable(error):
        return unavailable(request, error)
    return internal_error(request, error)


def internal_error(_: AnyRequest, error: Exception) -> Response[ProblemBody]:
    # Type only: third-party messages may quote values; our own errors never hold secrets anyway.
    _log.error("unhandled error: %s", type(error).__name__)
    return problem(
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "internal-error",
        "the request failed; nothing was changed",
    )


def exception_handlers() -> dict[type[Exception] | int, object]:
    handlers: dict[type[Exception] | int, object] = {
        DomainError: domain_error,
        ValidationException: validation_error,
        NotAuthorizedException: not_authorized,
        HTTPException: http_error,
        sqlalchemy.exc.DBAPIError: database_error,
        Exception: internal_error,
    }
    for kind in UNAVAILABLE_ERRORS:
        handlers[kind] = unavailable
    return handlers
