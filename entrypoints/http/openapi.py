"""How the OpenAPI document shows an operation beyond its handler's signature: named examples of
its request body, of each success and of every problem it can answer, each problem with the exact
type the server sends for it (problems.py). Here are the means, the problems many operations
share, and the bearer security scheme; each route module states its operations' `OperationDocs`
next to their handlers.
"""

from dataclasses import KW_ONLY, dataclass
from http import HTTPStatus

import msgspec
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.spec import Components, Example, Operation, RequestBody, SecurityScheme

from domain.errors import (
    SealingFailed,
    UserNotFound,
    WalletKeyMismatch,
    WalletNotFound,
    WalletSuspended,
)
from entrypoints.http.problems import PROBLEM_BASE, PROBLEM_JSON
from entrypoints.http.schemas import EXAMPLE_USER_ID, WALLET_EXAMPLE, ProblemBody, WalletBody


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
class Problem:
    """A problem the server answers with: status, type (PROBLEM_BASE + slug), what it means,
    and an example `detail` (and `errors`) as the server words them. `name` tells apart two
    examples of one type.
    """

    status: HTTPStatus
    slug: str
    meaning: str
    detail: str
    _: KW_ONLY
    errors: tuple[str, ...] = ()
    name: str = ""

    @property
    def type(self) -> str:
        return PROBLEM_BASE + self.slug

    def example(self) -> NamedExample:
        errors = list(self.errors) or None
        body = ProblemBody(self.type, self.status.phrase, self.status.value, self.detail, errors)
        return example(self.name or self.slug, self.meaning, body)


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
    problems: tuple[Problem, ...]
    requests: tuple[NamedExample, ...] = ()

    @property
    def responses(self) -> dict[int, ResponseSpec]:
        """Every documented status, the handler's own success included, with its examples."""
        by_status: dict[HTTPStatus, list[Problem]] = {}
        for problem in self.problems:
            by_status.setdefault(problem.status, []).append(problem)
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
        return _with_request_examples(self.requests)


def _problem_response(problems: list[Problem]) -> ResponseSpec:
    """One status's problem response: each type named in the description, each problem shown."""
    meanings: dict[str, list[str]] = {}
    for problem in problems:
        meanings.setdefault(problem.type, []).append(problem.meaning)
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


def _with_request_examples(examples: tuple[NamedExample, ...]) -> type[Operation]:
    """An Operation that shows `examples` next to its request body's schema, named, as the
    responses show theirs. Litestar's `Body(examples=...)` writes them, unnamed, into the body's
    schema and its shared component instead.
    """
    if not examples:
        return Operation
    named: dict[str, Example] = {example.id or "": example for example in examples}

    @dataclass
    class OperationWithRequestExamples(Operation):
        def __post_init__(self) -> None:
            if isinstance(self.request_body, RequestBody):
                for media_type in self.request_body.content.values():
                    media_type.examples = dict(named)

    return OperationWithRequestExamples


# The problems, as problems.py answers them. Statuses and slugs must stay exactly the server's:
# tests/test_openapi_document.py sends a request for each and compares.
UNAUTHORIZED = Problem(
    HTTPStatus.UNAUTHORIZED,
    "unauthorized",
    "The 'Authorization: Bearer <token>' header is missing or its token is not accepted "
    "(the response has 'WWW-Authenticate: Bearer').",
    "a valid 'Authorization: Bearer <token>' header is required",
)
RATE_LIMITED = Problem(
    HTTPStatus.TOO_MANY_REQUESTS,
    "too-many-requests",
    "Over this token's rate limit, when WALLET_RATE_LIMIT is set (with 'Retry-After').",
    HTTPStatus.TOO_MANY_REQUESTS.description,
)
INTERNAL_ERROR = Problem(
    HTTPStatus.INTERNAL_SERVER_ERROR,
    "internal-error",
    "The request failed and nothing was changed.",
    "the request failed; nothing was changed",
)
DATABASE_UNAVAILABLE = Problem(
    HTTPStatus.SERVICE_UNAVAILABLE,
    "database-unavailable",
    "The database is unavailable (with 'Retry-After').",
    "the database is unavailable; retry later",
)
TOO_LARGE = Problem(
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    "request-entity-too-large",
    "The body is over 64 KiB.",
    "Entity is too large",
)
_REQUIRED = "a JSON object body is required"
NO_BODY = Problem(
    HTTPStatus.BAD_REQUEST,
    "invalid-input",
    "The body is missing, is not JSON, or lacks a required field.",
    _REQUIRED,
    errors=(_REQUIRED,),
    name="invalid-input-no-body",
)
_TOO_LONG = "user_id: Expected `str` of length <= 128"
BAD_PATH_ID = Problem(
    HTTPStatus.BAD_REQUEST,
    "invalid-input",
    "The userId in the path is over 128 characters, or is not an id (NUL, '.', '..').",
    _TOO_LONG,
    errors=(_TOO_LONG,),
    name="invalid-input-path",
)
ENVELOPE_TAMPERED = Problem(
    HTTPStatus.INTERNAL_SERVER_ERROR,
    "envelope-tampered",
    "The wallet's stored encrypted seed fails its integrity check; nothing was returned or "
    "changed.",
    "the stored encrypted key of this wallet is damaged or was altered; nothing was returned "
    "or changed",
)
SEALING_FAILED = Problem(
    HTTPStatus.INTERNAL_SERVER_ERROR,
    "sealing-failed",
    "The newly sealed seed did not open back to its public key; nothing was stored.",
    str(SealingFailed()),
)
USER_NOT_FOUND = Problem(
    HTTPStatus.NOT_FOUND,
    "user-not-found",
    "No user has this id.",
    str(UserNotFound(EXAMPLE_USER_ID)),
)
WALLET_NOT_FOUND = Problem(
    HTTPStatus.NOT_FOUND,
    "wallet-not-found",
    "No such user, or no wallet yet.",
    str(WalletNotFound(EXAMPLE_USER_ID)),
)
WRONG_KEY = Problem(
    HTTPStatus.FORBIDDEN,
    "wrong-encryption-key",
    "The encryptionKey does not open this wallet.",
    str(WalletKeyMismatch(EXAMPLE_USER_ID)),
)
SUSPENDED = Problem(
    HTTPStatus.LOCKED,
    "wallet-suspended",
    "The wallet is suspended.",
    str(WalletSuspended(EXAMPLE_USER_ID)),
)
_EVERY_PROTECTED_ROUTE = (UNAUTHORIZED, RATE_LIMITED, INTERNAL_ERROR, DATABASE_UNAVAILABLE)
_EVERY_BODY = (NO_BODY, TOO_LARGE)


def field_error(message: str, meaning: str) -> Problem:
    """A 400 for a body field, worded as Litestar's validation words it."""
    return Problem(HTTPStatus.BAD_REQUEST, "invalid-input", meaning, message, errors=(message,))


def protected(
    successes: dict[HTTPStatus, Success],
    *problems: Problem,
    requests: tuple[NamedExample, ...] = (),
) -> OperationDocs:
    """An operation behind the bearer token: besides its own `problems`, it can answer those of
    every such operation, and those of every body when it takes one (shown by `requests`).
    """
    every = _EVERY_PROTECTED_ROUTE + (_EVERY_BODY if requests else ())
    return OperationDocs(successes, (*problems, *every), requests)


def wallet_success(meaning: str, *examples: NamedExample) -> Success:
    """A wallet body; an active wallet unless other `examples` are given."""
    return Success(
        WalletBody, meaning, examples or (example("wallet", "A wallet", WALLET_EXAMPLE),)
    )


def openapi_config() -> OpenAPIConfig:
    """The document's metadata and the bearer security scheme every route needs unless it says."""
    return OpenAPIConfig(
        title="wallet-orchestrator",
        version="0.1.0",
        description="One Stellar wallet per user, created atomically and idempotently.",
        path="/schema",
        components=Components(
            security_schemes={"BearerToken": SecurityScheme(type="http", scheme="bearer")}
        ),
        security=[{"BearerToken": []}],
    )
