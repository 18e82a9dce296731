"""TransactionInspector on stellar-sdk's XDR types: signatures verified with its Keypair, each
operation's threshold category as stellar-core decides it (`getThresholdLevel` of each
operation frame).
"""

from stellar_sdk import Keypair, StrKey
from stellar_sdk import xdr as stellar_xdr
from stellar_sdk.exceptions import BadSignatureError

from adapters.crypto.stellar_signer import (
    decode_envelope,
    hash_for,
    signatures_and_transaction,
)
from domain.authorization import InspectedEnvelope, SignedTransaction, ThresholdCategory
from domain.errors import Field, InvalidInput

_TYPE = stellar_xdr.OperationType
_LOW = frozenset(
    {
        _TYPE.ALLOW_TRUST,
        _TYPE.BUMP_SEQUENCE,
        _TYPE.CLAIM_CLAIMABLE_BALANCE,
        _TYPE.EXTEND_FOOTPRINT_TTL,
        _TYPE.INFLATION,
        _TYPE.INVOKE_HOST_FUNCTION,
        _TYPE.RESTORE_FOOTPRINT,
        _TYPE.SET_TRUST_LINE_FLAGS,
    }
)
_HIGH = frozenset({_TYPE.ACCOUNT_MERGE})
_TAGGED = stellar_xdr.TransactionSignaturePayloadTaggedTransaction


class StellarTransactionInspector:
    """Inspects a v0, v1 or fee-bump envelope without changing it. A signature counts for a
    listed key when its hint is that key's and it verifies over the transaction's hash (as
    stellar-core checks it); each key counts once, so a second signature by it is unmatched.
    """

    def inspect(
        self, envelope_xdr: str, network_passphrase: str, keys: tuple[str, ...]
    ) -> InspectedEnvelope:
        signers = _keypairs(keys)
        envelope = decode_envelope(envelope_xdr)
        signatures, tagged = signatures_and_transaction(envelope)
        if envelope.fee_bump is None:
            operations = _operations(envelope)
            return InspectedEnvelope(
                _signed(signatures, tagged, operations, network_passphrase, signers), None
            )
        outer = _signed(signatures, tagged, [], network_passphrase, signers)
        inner = envelope.fee_bump.tx.inner_tx.v1
        if inner is None:  # the only inner envelope type XDR allows is v1
            raise InvalidInput(
                Field.TRANSACTION_XDR, "is not a Stellar transaction envelope in XDR"
            )
        inner_tagged = _TAGGED(stellar_xdr.EnvelopeType.ENVELOPE_TYPE_TX, tx=inner.tx)
        return InspectedEnvelope(
            _signed(
                inner.signatures, inner_tagged, inner.tx.operations, network_passphrase, signers
            ),
            outer,
        )


def _keypairs(keys: tuple[str, ...]) -> list[Keypair]:
    for index, key in enumerate(keys):
        if not StrKey.is_valid_ed25519_public_key(key):
            raise InvalidInput(Field.SIGNERS, f"[{index}].key is not a Stellar account key (G…)")
    return [Keypair.from_public_key(key) for key in keys]


def _operations(envelope: stellar_xdr.TransactionEnvelope) -> list[stellar_xdr.Operation]:
    if envelope.v1 is not None:
        return list(envelope.v1.tx.operations)
    if envelope.v0 is not None:
        return list(envelope.v0.tx.operations)
    return []


def _signed(
    signatures: list[stellar_xdr.DecoratedSignature],
    tagged: stellar_xdr.TransactionSignaturePayloadTaggedTransaction,
    operations: list[stellar_xdr.Operation],
    network_passphrase: str,
    signers: list[Keypair],
) -> SignedTransaction:
    transaction_hash = hash_for(tagged, network_passphrase)
    unmatched = list(signers)
    signed_by: list[str] = []
    for signature in signatures:
        signer = _verifying(signature, transaction_hash, unmatched)
        if signer is not None:
            unmatched.remove(signer)
            signed_by.append(signer.public_key)
    return SignedTransaction(
        transaction_hash.hex(),
        ThresholdCategory.highest(tuple(map(category_of, operations))),
        tuple(signed_by),
        len(signatures) - len(signed_by),
    )


def _verifying(
    signature: stellar_xdr.DecoratedSignature, transaction_hash: bytes, signers: list[Keypair]
) -> Keypair | None:
    for signer in signers:
        if signer.signature_hint() != signature.hint.signature_hint:
            continue
        try:
            signer.verify(transaction_hash, signature.signature.signature)
        except BadSignatureError:
            continue
        return signer
    return None


def category_of(operation: stellar_xdr.Operation) -> ThresholdCategory:
    """The threshold category stellar-core asks of an operation's source account."""
    kind = operation.body.type
    if kind in _HIGH:
        return ThresholdCategory.HIGH
    if kind in _LOW:
        return ThresholdCategory.LOW
    options = operation.body.set_options_op
    if kind == _TYPE.SET_OPTIONS and options is not None:
        changed = (
            options.master_weight,
            options.low_threshold,
            options.med_threshold,
            options.high_threshold,
            options.signer,
        )
        if any(value is not None for value in changed):
            return ThresholdCategory.HIGH
    return ThresholdCategory.MEDIUM
