"""The JSON shapes of signing policies: the document a wallet's policy is set with, and the
policy in force with where it comes from.
"""

from typing import Annotated, Any, Literal

import msgspec

from adapters.stellar.policy_document import MAX_LIST_ITEMS, document_of, policy_of
from domain.errors import Field, InvalidInput
from domain.policy import PolicyInForce, SigningPolicy
from entrypoints.http.schemas.fields import AccountKey, Amount

OperationName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        description="A stellar-sdk operation class name in camelCase (payment, changeTrust, …).",
    ),
]
AssetName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=69,
        description="`native`, or CODE:ISSUER (1 to 12 letters or digits, an account key).",
    ),
]


class LimitDocument(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """How much of one asset may leave the wallet per transaction and per rolling 24 hours;
    null or missing: no limit of that kind. An amount equal to a limit is within it.
    """

    asset: AssetName
    per_transaction: Amount | msgspec.UnsetType | None = msgspec.UNSET
    per_day: Amount | msgspec.UnsetType | None = msgspec.UNSET


class PolicyDocument(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """What a wallet may sign. A missing (or null) list or limit restricts nothing of its kind;
    foreign sources and foreign fee bumps are refused unless allowed. Unknown members are
    refused: a misspelt restriction must not pass as none.
    """

    allowed_operations: (
        Annotated[list[OperationName], msgspec.Meta(max_length=MAX_LIST_ITEMS)]
        | msgspec.UnsetType
        | None
    ) = msgspec.UNSET
    allowed_destinations: (
        Annotated[list[AccountKey], msgspec.Meta(max_length=MAX_LIST_ITEMS)]
        | msgspec.UnsetType
        | None
    ) = msgspec.UNSET
    limits: (
        Annotated[list[LimitDocument], msgspec.Meta(max_length=MAX_LIST_ITEMS)]
        | msgspec.UnsetType
        | None
    ) = msgspec.UNSET
    allow_foreign_source: bool = False
    allow_foreign_fee_bump: bool = False

    def policy(self) -> SigningPolicy:
        """The policy (InvalidInput naming the member at fault)."""
        return policy_of(msgspec.to_builtins(self))

    @classmethod
    def strictly(cls, body: bytes) -> "PolicyDocument":
        """The document in a request body, read strictly: the framework would take `0` or
        `"true"` for a boolean, which a policy must not (InvalidInput naming the member).
        """
        try:
            return msgspec.json.decode(body, type=cls, strict=True)
        except msgspec.ValidationError as wrong:
            raise InvalidInput(Field.POLICY, str(wrong)) from None

    @classmethod
    def of(cls, policy: SigningPolicy) -> "PolicyDocument":
        """The policy as a document, leaving out what restricts nothing (a list or amount of
        null) rather than writing null.
        """
        return msgspec.convert(_without_nulls(document_of(policy)), cls)


class PolicyBody(msgspec.Struct):
    """The signing policy in force for a wallet, and where it comes from: the wallet's own,
    the deployment's default (WALLET_SIGNING_POLICY), or the built-in one.
    """

    policy: PolicyDocument
    source: Literal["wallet", "deployment", "built-in"]

    @classmethod
    def of(cls, in_force: PolicyInForce) -> "PolicyBody":
        return cls(PolicyDocument.of(in_force.policy), in_force.source.value)


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {name: _without_nulls(item) for name, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value
