"""One operation as the OpenAPI document shows it beyond its handler's signature: its successes,
the problems it can answer (one response per status, each problem a named example), its named
request examples, and for a protected one the scope its token needs (enforced by the same
route arguments that document it).
"""

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import msgspec
from litestar.enums import ParamType
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import (
    Example,
    OpenAPIHeader,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    RequestBody,
    Schema,
)

from entrypoints.http import idempotency, request_checks
from entrypoints.http.auth import SCOPE
from entrypoints.http.doc_examples import NamedExample, ProblemExample
from entrypoints.http.problems import HEADERS_TOO_LARGE, PROBLEM_JSON
from entrypoints.http.schemas.problems import ProblemBody
from entrypoints.scopes import Scope

BEARER = "BearerToken"
"""The document's name of the bearer security scheme."""


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
    idempotency: str | None = None
    """How it takes an Idempotency-Key: idempotency.REPLAY, RERUN, or None (it changes
    nothing)."""

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
        return _operation_class(self.requests, keyed=self.idempotency)

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
        opt: dict[str, Any] = {}
        if self.scope is not None:
            opt[SCOPE] = self.scope
            route["security"] = [{BEARER: [str(self.scope)]}]
        if self.idempotency is not None:
            opt[idempotency.OPT] = self.idempotency
        if opt:
            route["opt"] = opt
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


def _operation_class(examples: tuple[NamedExample, ...], *, keyed: str | None) -> type[Operation]:
    """An Operation that shows `examples` next to its request body's schema, named, as the
    responses show theirs (Litestar's `Body(examples=...)` writes them, unnamed, into the body's
    schema and its shared component instead), every integer in its query within the bounds
    request_checks holds it to, and, when `keyed`, the Idempotency-Key header it takes (worded
    for how it takes it).
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
            if keyed is not None:
                self.parameters = [*(self.parameters or ()), _idempotency_key(keyed)]
            if keyed == idempotency.REPLAY:
                for status, response in (self.responses or {}).items():
                    if status.startswith("2") and isinstance(response, OpenAPIResponse):
                        response.headers = {**(response.headers or {}), **_REPLAYED}

    return DocumentedOperation


_KEY_MEANINGS = {
    idempotency.REPLAY: "Makes a retry safe: the first request with a key runs and its answer is "
    "kept for this token (WALLET_IDEMPOTENCY_TTL_SECONDS); the same request again gets that "
    "answer, with `Idempotent-Replayed: true`, without running.",
    idempotency.RERUN: "This operation's answer holds a secret and is never kept: a repeat with "
    "the same key waits for the first request if it still runs, then runs again (another "
    "answer, another event); the key used for another request meanwhile is refused.",
}


_REPLAYED = {
    idempotency.REPLAYED_HEADER: OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING, enum=["true"]),
        description="Present on an answer kept for an earlier request with the same "
        "Idempotency-Key, sent again without running.",
        required=False,
        example="true",
    )
}


def _idempotency_key(keyed: str) -> Parameter:
    return Parameter(
        name="Idempotency-Key",
        param_in=ParamType.HEADER,
        required=False,
        description=f"{_KEY_MEANINGS[keyed]} 1 to 255 printable ASCII characters.",
        schema=Schema(type=OpenAPIType.STRING, min_length=1, max_length=255, pattern="^[ -~]+$"),
    )


def _bound_integer(schema: object) -> None:
    if isinstance(schema, Schema) and schema.type == OpenAPIType.INTEGER:
        highest, lowest = request_checks.MAX_QUERY_INT, request_checks.MIN_QUERY_INT
        schema.maximum = highest if schema.maximum is None else min(schema.maximum, highest)
        schema.minimum = lowest if schema.minimum is None else max(schema.minimum, lowest)


_EVERY_OPERATION = (
    ProblemExample(HEADERS_TOO_LARGE, request_checks.HEADERS_TOO_LARGE, HEADERS_TOO_LARGE.meaning),
)
"""What any request can be answered, public or not, before anything else is looked at."""
