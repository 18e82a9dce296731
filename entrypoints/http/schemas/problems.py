"""The body of every error answer: RFC 9457 problem details."""

import msgspec


class ProblemBody(msgspec.Struct, omit_defaults=True):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[str] | None = None
    rule: str | msgspec.UnsetType = msgspec.UNSET
    """policy-violation: the rule broken."""
    operation: int | msgspec.UnsetType | None = msgspec.UNSET
    """policy-violation: the 0-based index of the operation, null for the whole transaction."""
