"""Named examples for the OpenAPI document: of a body (a request's or a success's), and of a
problem, as the server words it. Problems come from the error table (entrypoints/errors.py), so
the document shows exactly what the server sends.
"""

from dataclasses import KW_ONLY, dataclass
from typing import Any

import msgspec
from litestar.openapi.spec import Example

from domain.errors import DomainError
from entrypoints.errors import INVALID_INPUT, ProblemType, problem_type_of
from entrypoints.http.problems import http_detail
from entrypoints.http.schemas.problems import ProblemBody


@dataclass
class NamedExample(Example):
    """An example whose `id` names it in its `examples` map. Litestar also writes `id` into the
    Example Object itself, which OpenAPI 3.1 does not allow; this one leaves it out.
    """

    @property
    def _exclude_fields(self) -> set[str]:
        return {"id"}


@dataclass
class NullsKeptExample(NamedExample):
    """A NamedExample whose value is written as it is, null members included (Litestar leaves
    them out of other examples' values): for a body whose nulls are members the server sends.
    """

    def to_schema(self) -> dict[str, Any]:
        schema = super().to_schema()
        schema["value"] = self.value
        return schema


def example(name: str, summary: str, value: object, *, nulls: bool = False) -> NamedExample:
    """A named example of a body (a Struct is written as its JSON). Litestar drops null members
    from example values, so examples hold none, unless `nulls` keeps them.
    """
    kind = NullsKeptExample if nulls else NamedExample
    return kind(id=name, summary=summary, value=msgspec.to_builtins(value))


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
    members: tuple[tuple[str, Any], ...] = ()
    """The extension members the answer carries (a policy violation's rule and operation)."""

    def example(self) -> NamedExample:
        errors = list(self.errors) or None
        body = ProblemBody(
            self.row.type,
            self.row.title,
            self.row.status.value,
            self.detail,
            errors,
            **dict(self.members),
        )
        return example(self.name or self.row.slug, self.meaning, body)


def raised(error: DomainError, meaning: str = "", *, name: str = "") -> ProblemExample:
    """The answer to `error`, by the table, with the meaning of its row unless one is given."""
    row = problem_type_of(error)
    if row is None:
        raise ValueError(f"{type(error).__name__} has no row in the error table")
    members = tuple(row.members(error).items()) if row.members is not None else ()
    return ProblemExample(
        row, http_detail(error), meaning or row.meaning, name=name, members=members
    )


def field_error(message: str, meaning: str, *, name: str = "") -> ProblemExample:
    """A 400 for a value the framework refuses, worded as Litestar's validation words it."""
    return ProblemExample(INVALID_INPUT, message, meaning, errors=(message,), name=name)
