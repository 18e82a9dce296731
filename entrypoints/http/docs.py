"""How the OpenAPI document shows an operation beyond its handler's signature: named examples of
its request body, of each success and of every problem it can answer. Problems come from the
error table (entrypoints/errors.py) through the errors a route says it raises, so the document
shows exactly what the server sends. Here are the means, the problems every operation of a kind
shares; operations.py states each operation's `OperationDocs`, openapi.py the document itself.
"""

from dataclasses import KW_ONLY, dataclass
from http import HTTPStatus
from typing import Any

import msgspec
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import (
    Example,
    OpenAPIType,
    Operation,
    Parameter,
    RequestBody,
    Schema,
)

from domain.errors import DomainError, StoreUnavailable
from domain.model import MAX_ID_CHARS
from entrypoints.errors import INVALID_INPUT, ProblemType, problem_type_of
from entrypoints.http import request_checks
from entrypoints.http.auth import NO_VALID_TOKEN, lacks_scope, needs
from entrypoints.http.examples import ERROR_EXAMPLES, WALLET_EXAMPLE
from entrypoints.http.problems import (
    HEADERS_TOO_LARGE,
    INSUFFICIENT_SCOPE,
    INTERNAL_ERROR,
    NO_BODY,
    PROBLEM_JSON,
    RATE_LIMITED,
    TOO_LARGE,
    UNAUTHORIZED,
    http_detail,
)
from entrypoints.http.schemas import ProblemBody, WalletBody
from entrypoints.scopes import Scope

BEARER = "BearerToken"
"""The document's name of the bearer security scheme."""


@dataclass
class NamedExample(Example):
    """An example whose `id` names it in its `examples` map. Litestar also writes `id` into the
    Example Object itself, which OpenAPI 3.1 does not allow; this one leaves it out.
    """

    @property
    def _exclude_fields(self) -> set[str]:
        return {"id"}


def example(name: str, summary: str, value: object) -> NamedExample:
    """A named example of a body (a Struct is written as its JSON). Litestar drops null members
    from example values, so examples hold none.
    """
    return NamedExample(id=name, summary=summary, value=msgspec.to_builtins(value))


@dataclass(frozen=True)
class ProblemExample:
    """One documented answer of a problem type: the `detail` (and `errors`) as the server words
    it, what it means there, and a name that tells apart two examples of one type.
    """

    row: ProblemType
    detail: str
    meaning: str
    _: KW_ONLY
    errors: tuple[str, ...] = ()
    name: str = ""

    def example(self) -> NamedExample:
        errors = list(self.errors) or None
        body = ProblemBody(
            self.row.type, self.row.title, self.row.status.value, self.detail, errors
        )
        return example(self.name or self.row.slug, self.meaning, body)


def raised(error: DomainError, meaning: str = "", *, name: str = "") -> ProblemExample:
    """The answer to `error`, by the table, with the meaning of its row unless one is given."""
    row = problem_type_of(error)
    if row is None:
        raise ValueError(f"{type(error).__name__} has no row in the error table")
    return ProblemExample(row, http_detail(error), meaning or row.meaning, name=name)


def field_error(message: str, meaning: str, *, name: str = "") -> ProblemExample:
    """A 400 for a value the framework refuses, worded as Litestar's validation words it."""
    return ProblemExample(INVALID_INPUT, message, meaning, errors=(message,), name=name)


Raises = type[DomainError] | ProblemExample
"""What a route says it can raise: an error class (shown by its example in ERROR_EXAMPLES), or
an example of its own."""


def _documented(entry: Raises) -> ProblemExample:
    return entry if isinstance(entry, ProblemExample) else raised(ERROR_EXAMPLES[entry])


@dataclass(frozen=True)
class Success:
    """A success status: its body type, what it means, and examples."""

    body: type[msgspec.Struct] | type[str]
    meaning: str
    examples: tuple[NamedExample, ...]
    media_type: str | None = None


@dataclass(frozen=True)
class OperationDocs:
    """All the document says about one operation beyond its handler's signature; its route
    decorator takes `responses` and `operation_class`.
    """

    successes: dict[HTTPStatus, Success]
    problems: tuple[ProblemExample, ...]
    requests: tuple[NamedExample, ...] = ()
    scope: Scope | None = None
    """What a token needs for this operation (None: a public one)."""

    @property
    def responses(self) -> dict[int, ResponseSpec]:
        """Every documented status, the handler's own success included, with its examples."""
        by_status: dict[HTTPStatus, list[ProblemExample]] = {}
        for problem in (*self.problems, *_EVERY_OPERATION):
            by_status.setdefault(problem.row.status, []).append(problem)
        responses = {
            status.value: ResponseSpec(
                success.body,
                description=success.meaning,
                examples=list(success.examples),
                generate_examples=False,
                **({"media_type": success.media_type} if success.media_type else {}),
            )
            for status, success in self.successes.items()
        }
        for status, problems in by_status.items():
            responses[status.value] = _problem_response(problems)
        return dict(sorted(responses.items()))

    @property
    def operation_class(self) -> type[Operation]:
        return _operation_class(self.requests)

    @property
    def route(self) -> dict[str, Any]:
        """The route decorator's arguments that show this operation, and for a protected one
        the scope its token needs, enforced and shown in its security requirement:
        `**docs.route`.
        """
        route: dict[str, Any] = {
            "responses": self.responses,
            "operation_class": self.operation_class,
        }
        if self.scope is not None:
            route |= {"guards": [needs(self.scope)], "security": [{BEARER: [str(self.scope)]}]}
        return route


def _problem_response(problems: list[ProblemExample]) -> ResponseSpec:
    """One status's problem response: each type named in the description, each problem shown."""
    meanings: dict[str, list[str]] = {}
    for problem in problems:
        meanings.setdefault(problem.row.type, []).append(problem.meaning)
    types = [f"`{kind}`: {' '.join(dict.fromkeys(texts))}" for kind, texts in meanings.items()]
    description = (
        f"Problem type {types[0]}"
        if len(types) == 1
        else "Problem types:\n\n" + "\n".join(f"- {text}" for text in types)
    )
    return ResponseSpec(
        data_container=ProblemBody,
        media_type=PROBLEM_JSON,
        description=description,
        examples=[problem.example() for problem in problems],
        generate_examples=False,
    )


def _operation_class(examples: tuple[NamedExample, ...]) -> type[Operation]:
    """An Operation that shows `examples` next to its request body's schema, named, as the
    responses show theirs (Litestar's `Body(examples=...)` writes them, unnamed, into the body's
    schema and its shared component instead), and every integer in its query within the bounds
    request_checks holds it to.
    """
    named: dict[str, Example] = {example.id or "": example for example in examples}

    @dataclass
    class DocumentedOperation(Operation):
        def __post_init__(self) -> None:
            if named and isinstance(self.request_body, RequestBody):
                for media_type in self.request_body.content.values():
                    media_type.examples = dict(named)
            for parameter in self.parameters or ():
                if isinstance(parameter, Parameter) and parameter.param_in == "query":
                    _bound_integer(parameter.schema)

    return DocumentedOperation


def _bound_integer(schema: object) -> None:
    if isinstance(schema, Schema) and schema.type == OpenAPIType.INTEGER:
        highest, lowest = request_checks.MAX_QUERY_INT, request_checks.MIN_QUERY_INT
        schema.maximum = highest if schema.maximum is None else min(schema.maximum, highest)
        schema.minimum = lowest if schema.minimum is None else max(schema.minimum, lowest)


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
_EVERY_OPERATION = (
    ProblemExample(HEADERS_TOO_LARGE, request_checks.HEADERS_TOO_LARGE, HEADERS_TOO_LARGE.meaning),
)
"""What any request can be answered, public or not, before anything else is looked at."""


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


def protected(
    scope: Scope,
    successes: dict[HTTPStatus, Success],
    *raises: Raises,
    requests: tuple[NamedExample, ...] = (),
    path_id: bool = False,
    store: bool = True,
) -> OperationDocs:
    """An operation behind the bearer token, for tokens with `scope`, which can raise `raises`.
    It can also answer what every such operation can (token, scope, rate limit, internal
    error), what every body can when it takes one (shown by `requests`), a bad user id when
    `path_id` says it has one, and, unless `store` says it touches none, that the store is
    unavailable.
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
        ),
        requests,
        scope,
    )


def scope_example(scope: Scope) -> ProblemExample:
    """The 403 of a token without `scope`."""
    return ProblemExample(INSUFFICIENT_SCOPE, lacks_scope(scope), INSUFFICIENT_SCOPE.meaning)


def wallet_success(meaning: str, *examples: NamedExample) -> Success:
    """A wallet body; an active wallet unless other `examples` are given."""
    return Success(
        WalletBody, meaning, examples or (example("wallet", "A wallet", WALLET_EXAMPLE),)
    )
