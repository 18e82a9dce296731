"""Refusals by the service's rules: what a wallet's signing policy forbids, and an
Idempotency-Key that was used for another request or whose first request still runs.
"""

from domain.errors.base import DomainError


class PolicyViolation(DomainError):
    """The signing policy in force for a user's wallet refuses what it was asked to sign:
    `rule` (a domain.policy.Rule value) is the first rule broken, `operation` the 0-based index
    of the operation that breaks it (None for a rule of the whole transaction). Nothing was
    signed.
    """

    def __init__(self, user_id: str, rule: str, operation: int | None) -> None:
        where = "" if operation is None else f" (operation {operation})"
        super().__init__(
            f"the signing policy of user {user_id!r}'s wallet refuses this transaction: "
            f"{rule}{where}"
        )
        self.user_id = user_id
        self.rule = rule
        self.operation = operation


class IdempotencyKeyReused(DomainError):
    """The token used this idempotency key for another request (method, path or body differ):
    nothing was run.
    """

    def __init__(self) -> None:
        super().__init__(
            "this Idempotency-Key was used for a different request; use a new key for a new request"
        )


class RequestInProgress(DomainError):
    """The first request with this idempotency key is still running: nothing was run, and the
    same request may get its answer later.
    """

    def __init__(self) -> None:
        super().__init__(
            "a request with this Idempotency-Key is still in progress; retry later for its answer"
        )
