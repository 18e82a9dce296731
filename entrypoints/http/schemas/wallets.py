"""The bodies of wallets: creating one, a wallet, and creating many (a batch and its results)."""

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from application.create_wallets import ItemOutcome
from application.results import WalletResult
from domain.errors import DomainError
from domain.model import MAX_ID_CHARS
from entrypoints.http.schemas.fields import Id, Key
from entrypoints.http.schemas.problems import ProblemBody


class CreateWalletBody(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    """Create (or fetch) the wallet of `userId`; `encryptionKey` is never stored or echoed."""

    user_id: Id
    encryption_key: Key

    def __repr__(self) -> str:
        return f"CreateWalletBody(user_id={self.user_id!r}, encryption_key=<redacted>)"


class WalletBody(msgspec.Struct, rename="camel"):
    """A wallet: never its encrypted or plain seed."""

    wallet_id: str
    public_key: str
    user_id: str
    created_at: datetime
    status: Literal["active", "suspended"]

    @classmethod
    def of(cls, result: WalletResult) -> "WalletBody":
        return cls(
            result.wallet_id,
            result.public_key,
            result.user_id,
            result.created_at,
            "suspended" if result.status == "suspended" else "active",
        )


MAX_BATCH_ITEMS = 100
MAX_REF_CHARS = 255
RefId = Annotated[
    str,
    msgspec.Meta(
        max_length=MAX_REF_CHARS, description="The caller's own reference for the item, echoed."
    ),
]


class BatchItemBody(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    """One user whose wallet to create, and the caller's reference for it."""

    user_id: Annotated[
        str,
        msgspec.Meta(
            description="Checked per item: an id the single creation refuses (empty, over "
            f"{MAX_ID_CHARS} characters, with '/', '.' or '..', NUL) is this item's 400."
        ),
    ]
    ref_id: RefId | None = None


class CreateWalletsBody(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    """Create (or fetch) the wallet of each item's `userId`, all under `encryptionKey` (never
    stored or echoed).
    """

    encryption_key: Key
    items: Annotated[list[BatchItemBody], msgspec.Meta(min_length=1, max_length=MAX_BATCH_ITEMS)]

    def __repr__(self) -> str:
        return f"CreateWalletsBody(items={self.items!r}, encryption_key=<redacted>)"


class BatchResultBody(msgspec.Struct, rename="camel"):
    """One item's outcome: `status` as the single creation would answer it, with the wallet
    (201, 200) or the problem it would answer (4xx, 5xx), the other null.
    """

    ref_id: str | None
    user_id: str
    status: int
    wallet: WalletBody | None
    problem: ProblemBody | None

    @classmethod
    def of(
        cls,
        item: BatchItemBody,
        outcome: ItemOutcome,
        problem_of: Callable[[DomainError], ProblemBody],
    ) -> "BatchResultBody":
        """The item's outcome, a refusal worded by `problem_of` (the single creation's words)."""
        if isinstance(outcome.result, DomainError):
            problem = problem_of(outcome.result)
            return cls(item.ref_id, item.user_id, problem.status, None, problem)
        status = 201 if outcome.result.created else 200
        return cls(item.ref_id, item.user_id, status, WalletBody.of(outcome.result), None)


class BatchResultsBody(msgspec.Struct):
    """Each item's outcome, in the order of the items."""

    results: list[BatchResultBody]

    @classmethod
    def of(
        cls,
        items: Sequence[BatchItemBody],
        outcomes: Sequence[ItemOutcome],
        problem_of: Callable[[DomainError], ProblemBody],
    ) -> "BatchResultsBody":
        return cls(
            [
                BatchResultBody.of(item, outcome, problem_of)
                for item, outcome in zip(items, outcomes, strict=True)
            ]
        )
