"""The bodies of account transactions: a sponsored activation and a change of signers, built
and signed here, the transaction they give, and the inspection of a transaction's signatures.
"""

from contextlib import ExitStack
from typing import Annotated, Literal

import msgspec

from application.account_transactions import AccountTransaction
from application.activate_account import ActivateRequest, HeldSponsor
from application.change_signers import NEW_ACCOUNT_THRESHOLDS, ChangeSignersRequest
from application.inspect_transaction import InspectRequest, InspectResult
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
from domain.secrets import EncryptionKey
from entrypoints.http.schemas.fields import AccountKey, Amount, Id, Key, Passphrase, Xdr

Weight = Annotated[int, msgspec.Meta(ge=0, le=MAX_WEIGHT)]


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
