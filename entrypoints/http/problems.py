"""Errors to RFC 9457 problem details, by the one table in entrypoints/errors.py (domain errors)
and the rows below (what the framework itself refuses). The only place that answers errors.
"""

import logging
import re
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from domain.errors import (
    DomainError,
    EnvelopeTampered,
    KmsKeyMismatch,
    KmsRefused,
    KmsUnavailable,
    SealingFailed,
    StoreUnavailable,
)
from entrypoints.errors import INVALID_INPUT, ProblemType, detail_of, problem_type_of
from entrypoints.http.observed import set_problem
from entrypoints.http.request_checks import MAX_HEADER_BYTES
from entrypoints.http.schemas import ProblemBody, wire_name
from entrypoints.logs import Throttled
from entrypoints.metrics import count_tampering

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = "2"
UNAVAILABLE_LOG_SECONDS = 5.0
"""At most one 'database unavailable' line per worker this often, with a count of the rest."""

AnyRequest = Request[Any, Any, Any]
_MISSING_FIELD = re.compile(r"Object missing required field `([A-Za-z]+)`")
_UNKNOWN_FIELD = re.compile(r"Object contains unknown field `([A-Za-z]{1,64})`")
NO_BODY = "a JSON object body is required"
NOT_JSON = "the request body is not valid JSON of the expected shape"

UNAUTHORIZED = ProblemType(
    HTTPStatus.UNAUTHORIZED,
    "unauthorized",
    "Unauthorized",
    "The 'Authorization: Bearer <token>' header is missing or its token is not accepted "
    "(the response has 'WWW-Authenticate: Bearer').",
)
INSUFFICIENT_SCOPE = ProblemType(
    HTTPStatus.FORBIDDEN,
    "insufficient-scope",
    "Forbidden",
    "The token is valid but lacks the scope this operation needs (its scopes follow it in "
    "WALLET_API_TOKENS or WALLET_API_TOKEN_HASHES).",
)
RATE_LIMITED = ProblemType(
    HTTPStatus.TOO_MANY_REQUESTS,
    "too-many-requests",
    "Too Many Requests",
    "Over this token's rate limit, when WALLET_RATE_LIMIT is set (with 'Retry-After').",
    retry_after=True,
)
TOO_LARGE = ProblemType(
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    "request-entity-too-large",
    "Request Entity Too Large",  # not 3.13's phrase: a problem type must not change with Python
    "The body is over 64 KiB.",
)
HEADERS_TOO_LARGE = ProblemType(
    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
    "request-header-fields-too-large",
    "Request Header Fields Too Large",
    f"The request's headers are over {MAX_HEADER_BYTES // 1024} KiB in all.",
)
INTERNAL_ERROR = ProblemType(
    HTTPStatus.INTERNAL_SERVER_ERROR,
    "internal-error",
    "Internal Server Error",
    "The request failed and nothing was changed.",
    detail="the request failed; nothing was changed",
)
FRAMEWORK_PROBLEMS = {
    row.status: row
    for row in (
        INVALID_INPUT,
        UNAUTHORIZED,
        INSUFFICIENT_SCOPE,
        RATE_LIMITED,
        TOO_LARGE,
        HEADERS_TOO_LARGE,
    )
}
"""The statuses Litestar answers by itself with a problem of ours; others (an unknown route or
method) take the status's own phrase."""

_log = logging.getLogger("wallet_orchestrator.http")
_unavailable_warning = Throttled(UNAVAILABLE_LOG_SECONDS)
_kms_unavailable_warning = Throttled(UNAVAILABLE_LOG_SECONDS)


def problem(
    row: ProblemType,
    detail: str,
    *,
    errors: list[str] | None = None,
    headers: dict[str, str] | None = None,
    members: Mapping[str, Any] | None = None,
) -> Response[ProblemBody]:
    set_problem(row.slug)
    body = _body(row, detail, errors, members)
    if row.retry_after:
        headers = {"Retry-After": RETRY_AFTER_SECONDS, **(headers or {})}
    return Response(body, status_code=row.status.value, media_type=PROBLEM_JSON, headers=headers)


def http_detail(error: DomainError) -> str:
    """The error's detail as HTTP says it: fields by their JSON names."""
    return detail_of(error, wire_name)


def domain_error(request: AnyRequest, error: DomainError) -> Response[ProblemBody]:
    row = problem_type_of(error)
    if row is None:
        return internal_error(request, error)
    _report(request, error)
    members = None if row.members is None else row.members(error)
    return problem(row, http_detail(error), members=members)


def item_problem(request: AnyRequest, error: DomainError) -> ProblemBody:
    """The problem body the single operation answers for `error`, for one item of a batch that
    is answered 200: the same row and words (`problem_body`), reported to the operators alike,
    but not the request's own problem (its log line and metrics stay the request's).
    """
    if problem_type_of(error) is None:  # every error a batch item may end in has a row
        _log.error("unhandled error in a batch item: %s", type(error).__name__)
    else:
        _report(request, error)
    return problem_body(error)


def problem_body(error: DomainError) -> ProblemBody:
    """The body of the answer to `error`, by its row of the table (an internal error's if none)."""
    row = problem_type_of(error)
    if row is None:
        return _body(INTERNAL_ERROR, INTERNAL_ERROR.detail or "", None, None)
    members = None if row.members is None else row.members(error)
    return _body(row, http_detail(error), None, members)


def _body(
    row: ProblemType, detail: str, errors: list[str] | None, members: Mapping[str, Any] | None
) -> ProblemBody:
    return ProblemBody(row.type, row.title, row.status.value, detail, errors, **(members or {}))


def _report(request: AnyRequest, error: DomainError) -> None:
    report = _REPORTS.get(type(error))
    if report is not None:
        report(request, error)


def _report_tampering(request: AnyRequest, error: DomainError) -> None:
    count_tampering()
    reason, wallet = (
        (error.reason, error.wallet_id) if isinstance(error, EnvelopeTampered) else ("?", None)
    )
    _log.error("envelope integrity failure (%s) on %s, wallet %s", reason, _route(request), wallet)


def _report_sealing(request: AnyRequest, _: DomainError) -> None:
    _log.error("a new envelope failed its self-check on %s; nothing stored", _route(request))


def _route(request: AnyRequest) -> str:
    """The route's template, never the raw path: that holds a user id."""
    return str(request.scope.get("path_template", "?"))


def _report_unavailable(_: AnyRequest, error: DomainError) -> None:
    cause = type(error).__name__
    if isinstance(error, StoreUnavailable):
        cause = error.cause + (" waiting for a connection" if error.waiting_for_connection else "")

    def warn(held_back: int) -> None:
        _log.warning(
            "database unavailable: %s (%d more such answers since the last line)", cause, held_back
        )

    _unavailable_warning(warn)


def _report_kms_unavailable(_: AnyRequest, error: DomainError) -> None:
    backend, cause = (
        (error.backend, error.cause) if isinstance(error, KmsUnavailable) else ("?", "?")
    )

    def warn(held_back: int) -> None:
        _log.warning(
            "key-management backend %s unavailable: %s (%d more such answers since the last line)",
            backend,
            cause,
            held_back,
        )

    _kms_unavailable_warning(warn)


def _report_kms_refused(request: AnyRequest, error: DomainError) -> None:
    if isinstance(error, KmsRefused):
        route = request.scope.get("path_template", "?")
        _log.error(
            "key-management backend %s refused key %r on %s: %s",
            error.backend,
            error.key_label,
            route,
            error.reason,
        )


def _report_kms_mismatch(request: AnyRequest, error: DomainError) -> None:
    if isinstance(error, KmsKeyMismatch):
        route = request.scope.get("path_template", "?")
        _log.error(
            "wallet %s: second factor of another %s key (%s) on %s",
            error.wallet_id,
            error.backend,
            error.reason,
            route,
        )


_REPORTS: dict[type[DomainError], Callable[[AnyRequest, DomainError], None]] = {
    EnvelopeTampered: _report_tampering,
    SealingFailed: _report_sealing,
    StoreUnavailable: _report_unavailable,
    KmsUnavailable: _report_kms_unavailable,
    KmsRefused: _report_kms_refused,
    KmsKeyMismatch: _report_kms_mismatch,
}
"""What the operators must hear of besides the answer (the problem's own log line)."""


def validation_error(_: AnyRequest, error: ValidationException) -> Response[ProblemBody]:
    messages = [
        _field_message(item)
        for item in (error.extra if isinstance(error.extra, list) else [])
        if isinstance(item, dict)
    ]
    detail = messages[0] if messages else NOT_JSON
    return problem(INVALID_INPUT, detail, errors=messages or None)


def _field_message(item: dict[str, object]) -> str:
    """'field: message', from Litestar's error item, the field by its JSON name (path and query
    parameters included). Values are never quoted back.
    """
    message = str(item.get("message", "invalid value"))
    key = item.get("key")
    if key == "data":  # Litestar's name for the whole body
        missing = _MISSING_FIELD.fullmatch(message)
        if missing is not None:
            return f"{missing[1]}: a value is required"
        unknown = _UNKNOWN_FIELD.fullmatch(message)
        if unknown is not None:
            return f"{unknown[1]}: is not a member of this body"
        return NO_BODY
    return f"{wire_name(key)}: {message}" if isinstance(key, str) and key else message


def http_error(request: AnyRequest, error: HTTPException) -> Response[ProblemBody]:
    status = HTTPStatus(error.status_code)
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:  # raised inside the framework: our 500
        return internal_error(request, error)
    row = FRAMEWORK_PROBLEMS.get(status) or ProblemType(
        status, status.phrase.lower().replace(" ", "-"), status.phrase, status.description
    )
    detail = error.detail if error.detail != status.phrase else status.description
    headers = dict(error.headers or {})
    if status == HTTPStatus.TOO_MANY_REQUESTS and "RateLimit-Reset" in headers:
        headers["Retry-After"] = str(max(1, int(headers["RateLimit-Reset"])))
    if status == HTTPStatus.UNAUTHORIZED:
        headers["WWW-Authenticate"] = "Bearer"
    return problem(row, detail, headers=headers)


def internal_error(_: AnyRequest, error: Exception) -> Response[ProblemBody]:
    # Type only: third-party messages may quote values; our own errors never hold secrets anyway.
    _log.error("unhandled error: %s", type(error).__name__)
    return problem(INTERNAL_ERROR, INTERNAL_ERROR.detail or "")


def exception_handlers() -> dict[type[Exception] | int, object]:
    return {
        DomainError: domain_error,
        ValidationException: validation_error,
        HTTPException: http_error,
        Exception: internal_error,
    }
