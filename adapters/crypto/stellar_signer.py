"""TransactionSigner on stellar-sdk's XDR types: one more signature, every other byte kept. Its
parsing and hashing serve StellarTransactionInspector too.
"""

import base64
import binascii
import hashlib

from stellar_sdk import Keypair, Network
from stellar_sdk import xdr as stellar_xdr

from domain.errors import Field, InvalidInput
from domain.ports import Signed
from domain.secrets import SecretSeed

_FIELD = Field.TRANSACTION_XDR
_MAX_SIGNATURES = 20  # `DecoratedSignature signatures<20>` in every envelope type


class StellarTransactionSigner:
    """Adds an ed25519 decorated signature to a v0, v1 or fee-bump envelope (base64 XDR).

    Works on the raw XDR objects, not on stellar-sdk's TransactionEnvelope models: those rebuild
    the transaction from their own classes, and any loss in that round trip would change the
    bytes the caller sent and the hash that gets signed. Here the envelope is decoded, must
    re-encode to exactly the bytes it came from (canonical XDR), and gets only a signature
    appended. A fee-bump envelope is signed over the fee-bump transaction (the outer one).
    Signing an envelope that already carries this key's signature returns it unchanged: ed25519
    is deterministic, so a second copy would be an unused signature, which stellar-core rejects
    (txBAD_AUTH_EXTRA).
    """

    def sign(self, envelope_xdr: str, network_passphrase: str, seed: SecretSeed) -> Signed:
        envelope = decode_envelope(envelope_xdr)
        signatures, tagged = signatures_and_transaction(envelope)
        transaction_hash = hash_for(tagged, network_passphrase)
        signature = (
            Keypair.from_raw_ed25519_seed(bytes(seed.reveal()))
            .sign_decorated(transaction_hash)
            .to_xdr_object()
        )
        if signature not in signatures:
            if len(signatures) >= _MAX_SIGNATURES:
                raise InvalidInput(_FIELD, f"already carries {_MAX_SIGNATURES} signatures")
            signatures.append(signature)
        return Signed(envelope_xdr=envelope.to_xdr(), transaction_hash=transaction_hash.hex())


def hash_for(
    tagged: stellar_xdr.TransactionSignaturePayloadTaggedTransaction, network_passphrase: str
) -> bytes:
    """The hash a transaction's signers sign on this network."""
    payload = stellar_xdr.TransactionSignaturePayload(
        stellar_xdr.Hash(Network(network_passphrase).network_id()), tagged
    )
    return hashlib.sha256(payload.to_xdr_bytes()).digest()


def decode_envelope(text: str) -> stellar_xdr.TransactionEnvelope:
    if not text:
        raise InvalidInput(_FIELD, "is empty")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):  # ValueError: text that is not ASCII
        raise InvalidInput(_FIELD, "is not standard base64") from None
    try:
        envelope = stellar_xdr.TransactionEnvelope.from_xdr_bytes(raw)
    # The decoder reads hostile bytes and raises ValueError, EOFError, xdrlib3 errors and
    # whatever its generated code trips on; the contract is InvalidInput and nothing else, and
    # `from None` keeps the decoder's messages (which may quote input) out of tracebacks.
    except Exception:  # noqa: BLE001
        raise InvalidInput(_FIELD, "is not a Stellar transaction envelope in XDR") from None
    # The decoder ignores padding bytes and reads any non-zero int as `true`; re-encoding would
    # silently change such input, so only the canonical form is signed.
    if envelope.to_xdr_bytes() != raw:
        raise InvalidInput(_FIELD, "is not in canonical XDR encoding")
    return envelope


def signatures_and_transaction(
    envelope: stellar_xdr.TransactionEnvelope,
) -> tuple[
    list[stellar_xdr.DecoratedSignature], stellar_xdr.TransactionSignaturePayloadTaggedTransaction
]:
    """The envelope's own signature list (to append to) and what its signers sign."""
    tagged = stellar_xdr.TransactionSignaturePayloadTaggedTransaction
    if envelope.fee_bump is not None:
        fee_bump = envelope.fee_bump
        kind = stellar_xdr.EnvelopeType.ENVELOPE_TYPE_TX_FEE_BUMP
        return fee_bump.signatures, tagged(kind, fee_bump=fee_bump.tx)
    kind = stellar_xdr.EnvelopeType.ENVELOPE_TYPE_TX
    if envelope.v1 is not None:
        return envelope.v1.signatures, tagged(kind, tx=envelope.v1.tx)
    if envelope.v0 is not None:
        return envelope.v0.signatures, tagged(kind, tx=_as_v1(envelope.v0.tx))
    raise InvalidInput(_FIELD, "is not a Stellar transaction envelope in XDR")


def _as_v1(v0: stellar_xdr.TransactionV0) -> stellar_xdr.Transaction:
    """The v1 transaction a v0 one is signed as (CAP-15): same fields, plain account, time
    bounds as a precondition.
    """
    source = stellar_xdr.MuxedAccount(
        stellar_xdr.CryptoKeyType.KEY_TYPE_ED25519, ed25519=v0.source_account_ed25519
    )
    if v0.time_bounds is None:
        cond = stellar_xdr.Preconditions(stellar_xdr.PreconditionType.PRECOND_NONE)
    else:
        cond = stellar_xdr.Preconditions(
            stellar_xdr.PreconditionType.PRECOND_TIME, time_bounds=v0.time_bounds
        )
    return stellar_xdr.Transaction(
        source_account=source,
        fee=v0.fee,
        seq_num=v0.seq_num,
        cond=cond,
        memo=v0.memo,
        operations=v0.operations,
        ext=stellar_xdr.TransactionExt(0),
    )
