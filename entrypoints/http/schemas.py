"""Request and response bodies: msgspec Structs in camelCase, converted to and from the
application's requests and results here and nowhere else.
"""

from contextlib import ExitStack
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar.params import Parameter

from application.account_transactions import AccountTransaction
from application.activate_account import ActivateRequest, HeldSponsor
from application.change_signers import NEW_ACCOUNT_THRESHOLDS, ChangeSignersRequest
from application.get_escrow import EscrowResult
from application.inspect_transaction import InspectRequest, InspectResult
from application.results import UserResult, WalletResult
from application.sign_transaction import SignResult
from application.wallet_events import EventPage
from domain.accounts import (
    DEFAULT_BASE_FEE,
    MAX_TRUSTLINES,
    MAX_UINT32,
    MIN_BASE_FEE,
    Terms,
    Trustline,
    sequence_number,
)
from domain.authorization import MAX_WEIGHT, Authorization, Signer, Signers, Thresholds
from domain.errors import Field, InvalidInput
from domain.model import MAX_EMAIL_CHARS, MAX_ID_CHARS
from domain.secrets import EncryptionKey


def wire_name(name: str) -> str:
    """A field's JSON name: msgspec's `rename="camel"` of the Python name (user_id: userId);
    a field sent as a header, by the header's name.
    """
    if name == Field.IDEMPOTENCY_KEY:
        return "Idempotency-Key"
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
    rule: str | msgspec.UnsetType = msgspec.UNSET
    """policy-violation: the rule broken."""
    operation: int | msgspec.UnsetType | None = msgspec.UNSET
    """policy-violation: the 0-based index of the operation, null for the whole transaction."""


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

    def thresholds(self) -> Thresholds:
        return Thresholds(self.low, self.medium, self.high)


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
        return InspectRequest(
            self.transaction_xdr, self.network_passphrase, signers, self.thresholds.thresholds()
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


Sequence = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=19,
        pattern="^[0-9]+$",
        description="A sequence number, in decimal (as Horizon writes it).",
    ),
]
Fee = Annotated[int, msgspec.Meta(ge=MIN_BASE_FEE, le=MAX_UINT32)]
UnixTime = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1, description="Unix time, seconds.")]
AssetCode = Annotated[
    str, msgspec.Meta(min_length=1, max_length=12, description="1 to 12 letters or digits.")
]
Amount = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=20, description="A decimal amount, at most 7 decimal places."
    ),
]


class SponsorBody(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    """The sponsor: a wallet held here (`userId` and its `encryptionKey`: it signs too), or the
    `publicKey` of an account held elsewhere (its holder adds its signature).
    """

    user_id: Id | None = None
    encryption_key: Key | None = None
    public_key: AccountKey | None = None

    def __repr__(self) -> str:
        return f"SponsorBody(user_id={self.user_id!r}, public_key={self.public_key!r}, ...)"

    def sponsor(self, stack: ExitStack) -> HeldSponsor | str:
        """The use case's sponsor; its key, if any, wiped when `stack` closes. InvalidInput
        unless exactly one of a held wallet (`userId` with `encryptionKey`) or a `publicKey`.
        """
        if self.public_key is not None:
            if self.user_id is not None or self.encryption_key is not None:
                raise InvalidInput(
                    Field.SPONSOR, "give either userId and encryptionKey, or publicKey"
                )
            return self.public_key
        if self.user_id is None or self.encryption_key is None:
            raise InvalidInput(Field.SPONSOR, "give either userId and encryptionKey, or publicKey")
        key = stack.enter_context(
            EncryptionKey.from_text(self.encryption_key, Field.SPONSOR_ENCRYPTION_KEY)
        )
        return HeldSponsor(self.user_id, key)


class TrustlineBody(msgspec.Struct):
    """An asset to trust: its code, its issuer, and a limit (default: the largest)."""

    code: AssetCode
    issuer: AccountKey
    limit: Amount | None = None


class ActivationBody(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    """Build, sign and optionally submit the sponsored activation of the user's wallet."""

    encryption_key: Key
    network_passphrase: Passphrase
    sponsor: SponsorBody
    sponsor_sequence: Sequence | None = None
    trustlines: Annotated[list[TrustlineBody], msgspec.Meta(max_length=MAX_TRUSTLINES)] = []
    base_fee: Fee = DEFAULT_BASE_FEE
    valid_until: UnixTime | None = None
    submit: bool = False

    def __repr__(self) -> str:
        return "ActivationBody(encryption_key=<redacted>, ...)"

    def request(
        self, user_id: str, key: EncryptionKey, stack: ExitStack, actor: str | None
    ) -> ActivateRequest:
        """The use case's request (InvalidInput for a malformed sequence or sponsor)."""
        return ActivateRequest(
            user_id,
            key,
            self.sponsor.sponsor(stack),
            _sequence(Field.SPONSOR_SEQUENCE, self.sponsor_sequence),
            tuple(Trustline(t.code, t.issuer, t.limit) for t in self.trustlines),
            Terms(self.network_passphrase, self.base_fee, self.valid_until),
            submit=self.submit,
            actor=actor,
        )


class SignerChangeBody(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    """Build, sign and optionally submit a change of the signers of the user's account."""

    encryption_key: Key
    network_passphrase: Passphrase
    sequence: Sequence | None = None
    current_signers: Annotated[list[SignerBody], msgspec.Meta(max_length=21)] = []
    add: Annotated[list[SignerBody], msgspec.Meta(max_length=20)] = []
    remove: Annotated[list[AccountKey], msgspec.Meta(max_length=20)] = []
    master_weight: Weight | None = None
    thresholds: ThresholdsBody | None = None
    current_thresholds: ThresholdsBody | None = None
    allow_lockout: bool = False
    base_fee: Fee = DEFAULT_BASE_FEE
    valid_until: UnixTime | None = None
    submit: bool = False

    def __repr__(self) -> str:
        return "SignerChangeBody(encryption_key=<redacted>, ...)"

    def request(self, user_id: str, key: EncryptionKey, actor: str | None) -> ChangeSignersRequest:
        """The use case's request (InvalidInput for a malformed sequence, duplicate keys)."""
        return ChangeSignersRequest(
            user_id,
            key,
            _sequence(Field.SEQUENCE, self.sequence),
            Terms(self.network_passphrase, self.base_fee, self.valid_until),
            current=_signers(Field.CURRENT_SIGNERS, self.current_signers),
            add=_signers(Field.ADD, self.add),
            remove=tuple(self.remove),
            master_weight=self.master_weight,
            thresholds=None if self.thresholds is None else self.thresholds.thresholds(),
            current_thresholds=NEW_ACCOUNT_THRESHOLDS
            if self.current_thresholds is None
            else self.current_thresholds.thresholds(),
            allow_lockout=self.allow_lockout,
            submit=self.submit,
            actor=actor,
        )


class SubmittedBody(msgspec.Struct):
    """Where the network applied the transaction."""

    hash: str
    ledger: int


class AccountTransactionBody(msgspec.Struct, rename="camel", omit_defaults=True):
    """The transaction (base64 XDR) with the signatures of the wallets held here, its hash for
    the network (hex), the account it sets up, its sponsor (activations only), the keys that
    signed it in order, and where the network applied it (only when submitted).
    """

    transaction_xdr: str
    transaction_hash: str
    public_key: str
    signed_by: list[str]
    sponsor_public_key: str | None = None
    submitted: SubmittedBody | None = None

    @classmethod
    def of(cls, result: AccountTransaction) -> "AccountTransactionBody":
        submitted = result.submitted
        return cls(
            result.transaction_xdr,
            result.transaction_hash,
            result.public_key,
            list(result.signed_by),
            result.sponsor_public_key,
            None
            if submitted is None
            else SubmittedBody(submitted.transaction_hash, submitted.ledger),
        )


def _sequence(field: Field, text: str | None) -> int | None:
    return None if text is None else sequence_number(field, text)


def _signers(field: Field, bodies: list[SignerBody]) -> Signers:
    return Signers.listed(field, tuple(Signer(body.key, body.weight) for body in bodies))


class EscrowBody(msgspec.Struct, rename="camel"):
    """A wallet's escrow: its seed sealed (libsodium sealed box, base64) to the offline recovery
    key named by `recoveryKeyId`. Only that key's private half opens it; keep a copy with your
    own records, since it is what survives a database restored to an earlier point.
    """

    wallet_id: str
    user_id: str
    public_key: str
    recovery_key_id: str
    sealed_seed: str

    @classmethod
    def of(cls, result: EscrowResult) -> "EscrowBody":
        return cls(
            result.wallet_id,
            result.user_id,
            result.public_key,
            result.recovery_key_id,
            result.sealed_seed,
        )
