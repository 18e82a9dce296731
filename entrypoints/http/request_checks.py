"""What a request must be before anything reads it, checked here and nowhere else.

No malformed request may reach a decoder, a driver or the database and come back as a 500:

- its headers: at most `MAX_HEADER_BYTES` in all (431), before the token is even looked at;
- its JSON body, before msgspec decodes it: valid UTF-8, nested at most `MAX_DEPTH` deep, and
  each object's keys once (400: a proxy in front may read the first of two, msgspec the last);
- its integer query parameters: within a signed 32-bit integer, the most every store can compare
  with (PostgreSQL's INTEGER), besides the bounds each route states (400).

Each refusal is a Litestar exception, which `problems` answers like the framework's own.
"""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from itertools import accumulate
from typing import Any, NoReturn

import msgspec
from litestar import Request
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.params import ParameterKwarg
from litestar.types import ASGIApp, Receive, Scope, Send

MAX_HEADER_BYTES = 16 * 1024
"""The header lines as sent: each name and value, and 4 bytes for its ': ' and CRLF."""
MAX_DEPTH = 16
"""Arrays and objects inside one another; a body of this API is 1 deep."""
MAX_QUERY_INT = 2**31 - 1
MIN_QUERY_INT = -(2**31)

HEADERS_TOO_LARGE = f"the request's headers are over {MAX_HEADER_BYTES // 1024} KiB in all"
NOT_UTF8 = "the body is not valid UTF-8"
TOO_DEEP = f"the body is nested more than {MAX_DEPTH} deep"
REPEATED_KEY = "an object in the body has the same key more than once"
REPEATED_FIELD = "appears more than once"

_HEADER_LINE_BYTES = 4
# A JSON string, escapes included; an unterminated one runs to the end. A match that starts at a
# quote always succeeds in one forward pass, so no body makes the scan quadratic.
_STRING = re.compile(rb'"[^"\\]*(?:\\(?:.|\Z)[^"\\]*)*(?:"|\Z)', re.DOTALL)
_NESTING = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 and -1 as signed bytes
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[{]}")))
_PATH_PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")


class HeaderLimitMiddleware:
    """431 for a request whose headers are over `MAX_HEADER_BYTES` in all."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and _header_bytes(scope["headers"]) > MAX_HEADER_BYTES:
            raise HTTPException(
                HEADERS_TOO_LARGE, status_code=HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
            )
        await self._app(scope, receive, send)


def _header_bytes(headers: Iterable[tuple[bytes, bytes]]) -> int:
    return sum(len(name) + len(value) + _HEADER_LINE_BYTES for name, value in headers)


@dataclass(frozen=True, slots=True)
class _Expects:
    """What a route reads: the Struct its body decodes to (None: no body), and its integer query
    parameters with the lowest and highest values it takes.
    """

    body: type | None
    int_queries: tuple[tuple[str, int, int], ...]


class RequestChecks:
    """Litestar's `before_request`: after authentication, before the handler's arguments are
    read. Raises ValidationException (400) for a query or body that must not reach the handler.

    One per app: what each route reads is worked out at its first request and kept here, with
    the app (a cache shared by all apps would keep every app made and dropped: tests make
    thousands).
    """

    def __init__(self) -> None:
        self._expects: dict[HTTPRouteHandler, _Expects] = {}

    async def __call__(self, request: Request[Any, Any, Any]) -> None:
        handler = request.route_handler
        expects = self._expects.get(handler)
        if expects is None:
            expects = self._expects[handler] = _expects(handler)
        if expects.int_queries and request.scope["query_string"]:
            _check_query(request, expects.int_queries)
        if expects.body is not None:
            body = await request.body()  # 413 over the size limit; kept for the handler
            if body:
                _check_body(body, expects.body)


def _expects(handler: HTTPRouteHandler) -> _Expects:
    parameters = handler.parsed_fn_signature.parameters
    in_path = {name for path in handler.paths for name in _PATH_PARAMETER.findall(path)}
    data = parameters.get("data")
    int_queries = []
    for name, field in parameters.items():
        kwarg = field.kwarg_definition
        if field.annotation is not int or name in in_path:
            continue
        if not isinstance(kwarg, ParameterKwarg):
            int_queries.append((name, MIN_QUERY_INT, MAX_QUERY_INT))
        elif kwarg.header is None and kwarg.cookie is None:
            lowest = MIN_QUERY_INT if kwarg.ge is None else max(int(kwarg.ge), MIN_QUERY_INT)
            highest = MAX_QUERY_INT if kwarg.le is None else min(int(kwarg.le), MAX_QUERY_INT)
            int_queries.append((kwarg.query or name, lowest, highest))
    return _Expects(None if data is None else data.annotation, tuple(int_queries))


def _check_query(request: Request[Any, Any, Any], bounds: tuple[tuple[str, int, int], ...]) -> None:
    """Refuses values past a signed 32-bit integer, worded with the route's own bound where it has
    a tighter one (as Litestar words it); values within are left to the route.
    """
    for name, lowest, highest in bounds:
        for raw in request.query_params.getall(name, []):
            try:
                value = msgspec.convert(raw, int, strict=False)  # as Litestar will read it
            except msgspec.ValidationError:
                continue  # not an integer at all: the route says so
            if value > MAX_QUERY_INT:
                _refuse(f"Expected `int` <= {highest}", name)
            if value < MIN_QUERY_INT:
                _refuse(f"Expected `int` >= {lowest}", name)


def _check_body(body: bytes, struct: type) -> None:
    try:
        text = body.decode()
    except UnicodeDecodeError:
        _refuse(NOT_UTF8)
    if _too_deep(body):
        _refuse(TOO_DEEP)
    if _has_repeated_key(text):
        field = _repeated_field(text, struct)
        if field is not None:
            _refuse(REPEATED_FIELD, field)
        _refuse(REPEATED_KEY)


def _too_deep(body: bytes) -> bool:
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:  # every body of this API
        return False
    nesting = _STRING.sub(b"", body).translate(_NESTING, _NOT_BRACKETS)
    depths = accumulate(memoryview(nesting).cast("b"))
    return next(filter(MAX_DEPTH.__lt__, depths), None) is not None  # stops at the first


class _RepeatedKey(Exception):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) < len(pairs):
        raise _RepeatedKey
    return members


# Made once: json.loads with a hook would make a decoder for every body.
_UNIQUE_KEYS = json.JSONDecoder(object_pairs_hook=_unique_keys, strict=False)
_MEMBERS = json.JSONDecoder(object_pairs_hook=list, strict=False)


def _has_repeated_key(text: str) -> bool:
    """Whether an object of the body has a key twice. False if this is not JSON at all: msgspec,
    which reads the body next, says how.
    """
    try:
        _UNIQUE_KEYS.decode(text)
    except _RepeatedKey:
        return True
    except ValueError:
        return False
    return False


def _repeated_field(text: str, struct: type) -> str | None:
    """The field of this route's body that the body object itself has twice, if it is one (any
    other key is the caller's text, never quoted back).
    """
    try:
        members = _MEMBERS.decode(text)
    except ValueError:  # malformed after the repeated key
        return None
    if not text.lstrip(" \t\r\n").startswith("{"):
        return None
    seen: set[str] = set()
    for key, _ in members:
        if key in seen:
            return key if key in _field_names(struct) else None
        seen.add(key)
    return None


def _field_names(struct: type) -> set[str]:
    if not (isinstance(struct, type) and issubclass(struct, msgspec.Struct)):
        return set()
    return {field.encode_name for field in msgspec.structs.fields(struct)}


def _refuse(message: str, key: str | None = None) -> NoReturn:
    """400, worded as Litestar's validation words it: 'key: message', or the message alone."""
    item = {"message": message} if key is None else {"key": key, "message": message}
    raise ValidationException(extra=[item])
