"""Request and response bodies: msgspec Structs in camelCase, converted to and from the
application's requests and results here and nowhere else.
"""

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar.params import Parameter

from application.inspect_transaction import InspectRequest, InspectResult
from application.results import UserResult, WalletResult
from application.sign_transaction import SignResult
from application.wallet_events import EventPage
from domain.authorization import MAX_WEIGHT, Authorization, Signer, Signers, Thresholds
from domain.model import MAX_EMAIL_CHARS, MAX_ID_CHARS
from domain.secrets import EncryptionKey


def wire_name(name: str) -> str:
    """A field's JSON name: msgspec's `rename="camel"` of the Python name (user_id: userId)."""
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


_TEXT = "No NUL characters or lone surrogates."
Id = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_ID_CHARS,
        description=f"One URL path segment: no '/', not '.' or '..'. {_TEXT}",
    ),
]
Email = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=MAX_EMAIL_CHARS,
        # The '@' rule of domain.model.check_email: text on both sides of the last '@'.
        pattern=r"[\s\S]@[^@]+$",
        description=f"Text on both sides of its last '@'. {_TEXT}",
    ),
]
UserIdPath = Parameter(min_length=1, max_length=MAX_ID_CHARS)
"""The `user_id` path parameter (errors name it `userId`, as bodies do)."""
Key = Annotated[
    str,
    msgspec.Meta(
        min_length=EncryptionKey.MIN_CHARS,
        max_length=EncryptionKey.MAX_CHARS,
        description="Never stored or echoed. No lone surrogates.",
    ),
]


class CreateWalletBody(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    """Create (or fetch) the wallet of `userId`; `encryptionKey` is never stored or echoed."""

    user_id: Id
    encryption_key: Key

    def __repr__(self) -> str:
        return f"CreateWalletBody(user_id={self.user_id!r}, encryption_key=<redacted>)"


class RegisterUserBody(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    """Register a user; without `id`, one is generated."""

    email: Email
    id: Id | None = None


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


class UserBody(msgspec.Struct, rename="camel"):
    """A user."""

    id: str
    email: str
    created_at: datetime

    @classmethod
    def of(cls, result: UserResult) -> "UserBody":
        return cls(result.id, result.email, result.created_at)


class StatusBody(msgspec.Struct):
    """Liveness or readiness."""

    status: str


class ProblemBody(msgspec.Struct, omit_defaults=True):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[str] | None = None


Xdr = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=60_000,
        description="Base64 XDR of a transaction envelope or a fee-bump transaction envelope.",
    ),
]
Passphrase = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=256,
        description="The network passphrase; one of WALLET_NETWORKS (by default the Stellar test "
        "network and the public network).",
    ),
]
RecipientKey = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=128, description="An X25519 public key: 32 bytes, base64."
    ),
]


class SignBody(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    """Sign a transaction with the user's wallet."""

    encryption_key: Key
    transaction_xdr: Xdr
    network_passphrase: Passphrase

    def __repr__(self) -> str:
        return "SignBody(encryption_key=<redacted>, ...)"


class SignedBody(msgspec.Struct, rename="camel"):
    """The envelope with the wallet's signature added, and the hash it signed (hex)."""

    signed_transaction_xdr: str
    transaction_hash: str
    public_key: str

    @classmethod
    def of(cls, result: SignResult) -> "SignedBody":
        return cls(result.signed_transaction_xdr, result.transaction_hash, result.public_key)


class RotateKeyBody(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    """Re-seal the wallet's seed from `encryptionKey` to `newEncryptionKey`."""

    encryption_key: Key
    new_encryption_key: Key

    def __repr__(self) -> str:
        return "RotateKeyBody(<redacted>)"


class ExportBody(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    """Seal the wallet's seed to a recovery recipient."""

    encryption_key: Key
    recipient_public_key: RecipientKey

    def __repr__(self) -> str:
        return f"ExportBody(encryption_key=<redacted>, recipient={self.recipient_public_key!r})"


class SealedSecretBody(msgspec.Struct, rename="camel"):
    """The seed in a libsodium sealed box to the recipient's key, base64."""

    sealed_secret: str


class EmptyBody(msgspec.Struct, forbid_unknown_fields=False):
    """No fields."""


class EventBody(msgspec.Struct, rename="camel"):
    """One audit event of a wallet; `hash` chains it to the previous event's."""

    sequence: int
    type: str
    occurred_at: datetime
    token_id: str | None
    details: dict[str, str]
    prev_hash: str
    hash: str


class EventPageBody(msgspec.Struct, rename="camel"):
    """A page of events; pass `nextCursor` as `cursor` for the next one (null at the end)."""

    events: list[EventBody]
    next_cursor: int | None

    @classmethod
    def of(cls, page: EventPage) -> "EventPageBody":
        events = [
            EventBody(
                e.sequence,
                e.type,
                e.occurred_at,
                e.token_id,
                {wire_name(name): value for name, value in e.details.items()},
                e.prev_hash,
                e.hash,
            )
            for e in page.events
        ]
        return cls(events, page.next_cursor)


Weight = Annotated[int, msgspec.Meta(ge=0, le=MAX_WEIGHT)]
AccountKey = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=56, description="An ed25519 account key ('G…')."),
]


class SignerBody(msgspec.Struct):
    """One signer of the account, with its weight."""

    key: AccountKey
    weight: Weight


class ThresholdsBody(msgspec.Struct):
    """The account's thresholds."""

    low: Weight
    medium: Weight
    high: Weight


class InspectBody(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    """Check a transaction's signatures against an account's signers and thresholds."""

    transaction_xdr: Xdr
    network_passphrase: Passphrase
    # An account has its master key and at most 20 other signers.
    signers: Annotated[list[SignerBody], msgspec.Meta(max_length=21)]
    thresholds: ThresholdsBody

    def request(self) -> InspectRequest:
        """The use case's request; InvalidInput for duplicate signer keys."""
        signers = Signers(tuple(Signer(signer.key, signer.weight) for signer in self.signers))
        t = self.thresholds
        return InspectRequest(
            self.transaction_xdr,
            self.network_passphrase,
            signers,
            Thresholds(t.low, t.medium, t.high),
        )


class AuthorizationBody(msgspec.Struct, rename="camel"):
    """Which listed signers signed the transaction (signatures verified over its hash for the
    network), their total weight, the threshold category it needs and whether that weight meets
    it; signatures by no listed key are counted in `unmatchedSignatures`.
    """

    transaction_hash: str
    signatures: list[SignerBody]
    unmatched_signatures: int
    weight: int
    required: Literal["low", "medium", "high"]
    met: bool

    @classmethod
    def of(cls, result: Authorization) -> "AuthorizationBody":
        return cls(
            result.transaction_hash,
            [SignerBody(signer.key, signer.weight) for signer in result.signatures],
            result.unmatched_signatures,
            result.weight,
            result.required.value,
            result.met,
        )


class InspectionBody(AuthorizationBody, rename="camel"):
    """The transaction's authorization; for a fee-bump envelope, its inner transaction's, and
    the outer one's in `feeBump` (null for other envelopes).
    """

    fee_bump: AuthorizationBody | None

    @classmethod
    def of_result(cls, result: InspectResult) -> "InspectionBody":
        inner = AuthorizationBody.of(result.transaction)
        fee_bump = None if result.fee_bump is None else AuthorizationBody.of(result.fee_bump)
        return cls(**msgspec.structs.asdict(inner), fee_bump=fee_bump)
