"""How operations/ states each operation's `OperationDocs`: `protected(scope, successes,
*raises, ...)` adds the problems every operation of its kind shares (token, scope, rate limit,
internal error, the store, the body, a path id) to those its route says it raises. The means it
takes are re-exported here: named examples (doc_examples.py) and OperationDocs (operation_docs.py);
openapi.py writes the document itself.
"""

from http import HTTPStatus

from domain.errors import (
    DomainError,
    Field,
    IdempotencyKeyReused,
    InvalidInput,
    RequestInProgress,
    StoreUnavailable,
)
from domain.model import MAX_ID_CHARS
from entrypoints.errors import INVALID_INPUT
from entrypoints.http import request_checks
from entrypoints.http.auth import NO_VALID_TOKEN, lacks_scope
from entrypoints.http.doc_examples import (
    NamedExample,
    ProblemExample,
    example,
    field_error,
    raised,
)
from entrypoints.http.examples import ERROR_EXAMPLES, WALLET_EXAMPLE
from entrypoints.http.operation_docs import OperationDocs, Success
from entrypoints.http.problems import (
    INSUFFICIENT_SCOPE,
    INTERNAL_ERROR,
    NO_BODY,
    RATE_LIMITED,
    TOO_LARGE,
    UNAUTHORIZED,
)
from entrypoints.http.schemas.wallets import WalletBody
from entrypoints.scopes import Scope

__all__ = [
    "RATE_LIMITED_EXAMPLE",
    "UNAUTHORIZED_EXAMPLE",
    "NamedExample",
    "OperationDocs",
    "ProblemExample",
    "Raises",
    "Success",
    "example",
    "field_error",
    "protected",
    "raised",
    "scope_example",
    "wallet_success",
]

Raises = type[DomainError] | ProblemExample
"""What a route says it can raise: an error class (shown by its example in ERROR_EXAMPLES), or
an example of its own."""


def _documented(entry: Raises) -> ProblemExample:
    return entry if isinstance(entry, ProblemExample) else raised(ERROR_EXAMPLES[entry])


UNAUTHORIZED_EXAMPLE = ProblemExample(UNAUTHORIZED, NO_VALID_TOKEN, UNAUTHORIZED.meaning)
RATE_LIMITED_EXAMPLE = ProblemExample(
    RATE_LIMITED, HTTPStatus.TOO_MANY_REQUESTS.description, RATE_LIMITED.meaning
)
_EVERY_PROTECTED_ROUTE = (
    UNAUTHORIZED_EXAMPLE,
    RATE_LIMITED_EXAMPLE,
    ProblemExample(INTERNAL_ERROR, INTERNAL_ERROR.detail or "", INTERNAL_ERROR.meaning),
)
_EVERY_STORED_ROUTE = (raised(ERROR_EXAMPLES[StoreUnavailable]),)
_EVERY_KEYED_ROUTE = (
    raised(
        InvalidInput(
            Field.IDEMPOTENCY_KEY, "must be one header of 1 to 255 printable ASCII characters"
        ),
        "The Idempotency-Key header is empty, over 255 characters, not printable ASCII, or "
        "given twice.",
        name="invalid-input-idempotency-key",
    ),
    raised(ERROR_EXAMPLES[IdempotencyKeyReused]),
    raised(ERROR_EXAMPLES[RequestInProgress]),
)


def _every_body(requests: tuple[NamedExample, ...]) -> tuple[ProblemExample, ...]:
    """What every body can be answered. A repeated key is shown as the first field of the first
    request example (if it has one), which is how the server names it.
    """
    first = requests[0].value if requests else None
    names = list(first) if isinstance(first, dict) else []
    repeated = (
        f"{names[0]}: {request_checks.REPEATED_FIELD}" if names else request_checks.REPEATED_KEY
    )
    return (
        _bad_body(
            NO_BODY, "The body is missing, is not JSON, or lacks a required field.", "no-body"
        ),
        _bad_body(request_checks.NOT_UTF8, "The body is not valid UTF-8.", "not-utf8"),
        _bad_body(
            request_checks.TOO_DEEP,
            f"The body has arrays or objects nested over {request_checks.MAX_DEPTH} deep.",
            "too-deep",
        ),
        _bad_body(
            repeated,
            "An object in the body has a key more than once (a proxy in front might read the "
            "first, this service the last); a field of the body is named.",
            "repeated-key",
        ),
        ProblemExample(TOO_LARGE, "Entity is too large", TOO_LARGE.meaning),
    )


def _bad_body(detail: str, meaning: str, name: str) -> ProblemExample:
    return ProblemExample(
        INVALID_INPUT, detail, meaning, errors=(detail,), name=f"invalid-input-{name}"
    )


_BAD_PATH_ID = field_error(
    f"userId: Expected `str` of length <= {MAX_ID_CHARS}",
    f"The userId in the path is over {MAX_ID_CHARS} characters, or is not an id (NUL, '.', '..').",
    name="invalid-input-path",
)


def protected(  # noqa: PLR0913 - what the document says of one operation
    scope: Scope,
    successes: dict[HTTPStatus, Success],
    *raises: Raises,
    requests: tuple[NamedExample, ...] = (),
    path_id: bool = False,
    store: bool = True,
    keyed: str | None = None,
) -> OperationDocs:
    """An operation behind the bearer token, for tokens with `scope`, which can raise `raises`.
    It can also answer what every such operation can (token, scope, rate limit, internal
    error), what every body can when it takes one (shown by `requests`), a bad user id when
    `path_id` says it has one, unless `store` says it touches none, that the store is
    unavailable, and when it changes state and takes an Idempotency-Key (`keyed`:
    idempotency.REPLAY or RERUN), what a key can be answered.
    """
    lacking = scope_example(scope)
    return OperationDocs(
        successes,
        (
            *((_BAD_PATH_ID,) if path_id else ()),
            *map(_documented, raises),
            *_EVERY_PROTECTED_ROUTE,
            lacking,
            *(_EVERY_STORED_ROUTE if store else ()),
            *(_every_body(requests) if requests else ()),
            *(_EVERY_KEYED_ROUTE if keyed else ()),
        ),
        requests,
        scope,
        keyed,
    )


def scope_example(scope: Scope) -> ProblemExample:
    """The 403 of a token without `scope`."""
    return ProblemExample(INSUFFICIENT_SCOPE, lacks_scope(scope), INSUFFICIENT_SCOPE.meaning)


def wallet_success(meaning: str, *examples: NamedExample) -> Success:
    """A wallet body; an active wallet unless other `examples` are given."""
    return Success(
        WalletBody, meaning, examples or (example("wallet", "A wallet", WALLET_EXAMPLE),)
    )
