"""StellarTransactionSigner and SealedBoxSealer: signatures checked with stellar-sdk's own
hashing and verification, envelopes compared byte for byte, hostile input refused with
InvalidInput only; sealed seeds opened with PyNaCl."""

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.public import PrivateKey, SealedBox
from stellar_sdk import (
    Account,
    Asset,
    FeeBumpTransactionEnvelope,
    Keypair,
    Network,
    TransactionBuilder,
    TransactionEnvelope,
)
from stellar_sdk import xdr as stellar_xdr
from stellar_sdk.exceptions import BadSignatureError

from adapters.crypto.sealed_export import SealedBoxSealer
from adapters.crypto.stellar_signer import StellarTransactionSigner
from domain.errors import Field, InvalidInput
from domain.ports import SeedSealer, Signed, TransactionSigner
from domain.secrets import SecretSeed

SEED = bytes(range(32))
WALLET = Keypair.from_raw_ed25519_seed(SEED)
COSIGNER = Keypair.from_raw_ed25519_seed(bytes([7]) * 32)
FEE_PAYER = Keypair.from_raw_ed25519_seed(bytes([9]) * 32)
DESTINATION = Keypair.from_raw_ed25519_seed(bytes([11]) * 32).public_key
TESTNET = Network.TESTNET_NETWORK_PASSPHRASE
PUBLIC = Network.PUBLIC_NETWORK_PASSPHRASE
MEMO = b"memo!"  # five bytes: three padding bytes follow it in the XDR

SIGNER: TransactionSigner = StellarTransactionSigner()
SEALER: SeedSealer = SealedBoxSealer()

SIGNER_REASONS = {
    "is empty",
    "is not standard base64",
    "is not a Stellar transaction envelope in XDR",
    "is not in canonical XDR encoding",
    "already carries 20 signatures",
}


def _seed() -> SecretSeed:
    return SecretSeed(SEED)


def _build(network: str, source: Keypair = WALLET, *, v1: bool = True) -> TransactionEnvelope:
    builder = TransactionBuilder(Account(source.public_key, 1234), network, 100, v1=v1)
    builder.append_payment_op(DESTINATION, Asset.native(), "12.5")
    return builder.add_text_memo(MEMO).set_timeout(300).build()


def _sign(envelope_xdr: str, network: str) -> tuple[str, str]:
    signed = SIGNER.sign(envelope_xdr, network, _seed())
    return signed.envelope_xdr, signed.transaction_hash


def _raw(envelope_xdr: str) -> stellar_xdr.TransactionEnvelope:
    return stellar_xdr.TransactionEnvelope.from_xdr(envelope_xdr)


def _signatures(envelope: stellar_xdr.TransactionEnvelope) -> list[stellar_xdr.DecoratedSignature]:
    for body in (envelope.v0, envelope.v1, envelope.fee_bump):
        if body is not None:
            return body.signatures
    raise AssertionError(envelope.type)


def _without_signatures(envelope_xdr: str) -> bytes:
    envelope = _raw(envelope_xdr)
    _signatures(envelope).clear()
    return envelope.to_xdr_bytes()


def _assert_wallet_signed(signature: stellar_xdr.DecoratedSignature, tx_hash: bytes) -> None:
    assert signature.hint.signature_hint == WALLET.signature_hint()
    Keypair.from_public_key(WALLET.public_key).verify(tx_hash, signature.signature.signature)


@pytest.mark.parametrize("network", [TESTNET, PUBLIC])
@pytest.mark.parametrize("v1", [True, False], ids=["v1", "v0"])
@pytest.mark.parametrize("cosigned", [False, True], ids=["unsigned", "cosigned"])
def test_adds_one_verifiable_signature_and_changes_nothing_else(
    network: str, v1: bool, cosigned: bool
) -> None:
    before = _build(network, v1=v1)
    if cosigned:
        before.sign(COSIGNER)
    expected_hash = before.hash()  # stellar-sdk's own signature base, not the adapter's
    before_xdr = before.to_xdr()

    after_xdr, tx_hash = _sign(before_xdr, network)

    assert tx_hash == expected_hash.hex()
    after = TransactionEnvelope.from_xdr(after_xdr, network)
    assert after.transaction.v1 is v1
    assert after.hash() == expected_hash
    assert after.signatures[:-1] == before.signatures
    assert len(after.signatures) == len(before.signatures) + 1
    raw_signatures = _signatures(_raw(after_xdr))
    _assert_wallet_signed(raw_signatures[-1], expected_hash)
    if cosigned:
        COSIGNER.verify(expected_hash, raw_signatures[0].signature.signature)
    assert _without_signatures(after_xdr) == _without_signatures(before_xdr)


def test_a_v0_envelope_without_time_bounds_is_signed_as_its_v1_equivalent() -> None:
    raw = _raw(_build(TESTNET, v1=False).to_xdr())
    assert raw.v0 is not None
    raw.v0.tx.time_bounds = None
    envelope_xdr = raw.to_xdr()
    expected_hash = TransactionEnvelope.from_xdr(envelope_xdr, TESTNET).hash()

    after_xdr, tx_hash = _sign(envelope_xdr, TESTNET)

    assert tx_hash == expected_hash.hex()
    _assert_wallet_signed(_signatures(_raw(after_xdr))[-1], expected_hash)
    assert _without_signatures(after_xdr) == _without_signatures(envelope_xdr)


@pytest.mark.parametrize("network", [TESTNET, PUBLIC])
def test_signs_the_outer_fee_bump_transaction_and_keeps_the_inner_signature(
    network: str,
) -> None:
    inner = _build(network, source=COSIGNER)
    inner.sign(COSIGNER)
    fee_bump = TransactionBuilder.build_fee_bump_transaction(WALLET, 200, inner, network)
    before_xdr = fee_bump.to_xdr()

    after_xdr, tx_hash = _sign(before_xdr, network)

    after = FeeBumpTransactionEnvelope.from_xdr(after_xdr, network)
    assert tx_hash == fee_bump.hash_hex() == after.hash_hex()
    assert tx_hash != inner.hash_hex()
    assert len(after.signatures) == 1
    _assert_wallet_signed(_signatures(_raw(after_xdr))[0], fee_bump.hash())
    assert after.transaction.inner_transaction_envelope.signatures == inner.signatures
    COSIGNER.verify(
        inner.hash(), after.transaction.inner_transaction_envelope.signatures[0].signature
    )
    assert _without_signatures(after_xdr) == _without_signatures(before_xdr)


def test_a_testnet_signature_does_not_verify_for_the_public_network() -> None:
    after_xdr, tx_hash = _sign(_build(TESTNET).to_xdr(), TESTNET)
    signature = _signatures(_raw(after_xdr))[-1].signature.signature
    public_hash = TransactionEnvelope.from_xdr(after_xdr, PUBLIC).hash()

    assert public_hash.hex() != tx_hash
    WALLET.verify(bytes.fromhex(tx_hash), signature)
    with pytest.raises(BadSignatureError):
        Keypair.from_public_key(WALLET.public_key).verify(public_hash, signature)


def test_signing_twice_does_not_duplicate_the_signature() -> None:
    once, first_hash = _sign(_build(TESTNET).to_xdr(), TESTNET)
    twice, second_hash = _sign(once, TESTNET)

    assert (twice, second_hash) == (once, first_hash)
    assert len(_signatures(_raw(twice))) == 1


def test_an_envelope_with_twenty_signatures_is_refused_unless_one_is_ours() -> None:
    full = _build(TESTNET)
    for index in range(20):
        full.sign(Keypair.from_raw_ed25519_seed(bytes([100 + index]) * 32))

    with pytest.raises(InvalidInput) as refused:
        _sign(full.to_xdr(), TESTNET)
    assert refused.value.reason == "already carries 20 signatures"

    ours = _build(TESTNET)
    for index in range(19):
        ours.sign(Keypair.from_raw_ed25519_seed(bytes([100 + index]) * 32))
    ours.sign(WALLET)
    assert _sign(ours.to_xdr(), TESTNET)[0] == ours.to_xdr()


def test_the_seed_is_left_as_it_was() -> None:
    seed = _seed()
    SIGNER.sign(_build(TESTNET).to_xdr(), TESTNET, seed)
    assert bytes(seed.reveal()) == SEED


def _valid_raw() -> bytes:
    return base64.b64decode(_build(TESTNET).to_xdr())


def _non_canonical_padding() -> str:
    raw = bytearray(_valid_raw())
    raw[raw.index(MEMO) + len(MEMO)] = 1
    return base64.b64encode(raw).decode()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


MALFORMED = {
    "empty": ("", "is empty"),
    "words": ("this is not a transaction", "is not standard base64"),
    "non-ascii": ("AAAA\u00e9AAA", "is not standard base64"),
    "newline": (_build(TESTNET).to_xdr() + "\n", "is not standard base64"),
    "bad padding": (_build(TESTNET).to_xdr().rstrip("=") + "A", "is not standard base64"),
    "short bytes": (_b64(b"hello world"), "is not a Stellar transaction envelope in XDR"),
    "truncated": (_b64(_valid_raw()[:-4]), "is not a Stellar transaction envelope in XDR"),
    "trailing": (_b64(_valid_raw() + bytes(4)), "is not a Stellar transaction envelope in XDR"),
    "scp envelope type": (
        _b64(bytes([0, 0, 0, 1]) + _valid_raw()[4:]),
        "is not a Stellar transaction envelope in XDR",
    ),
    "bare transaction": (
        _build(TESTNET).transaction.to_xdr_object().to_xdr(),
        "is not a Stellar transaction envelope in XDR",
    ),
    "asset": (
        Asset.native().to_xdr_object().to_xdr(),
        "is not a Stellar transaction envelope in XDR",
    ),
    "non-zero padding": (_non_canonical_padding(), "is not in canonical XDR encoding"),
}


@pytest.mark.parametrize(("text", "reason"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_input_is_invalid_input_without_echoing_it(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        _sign(text, TESTNET)

    assert refused.value.field == Field.TRANSACTION_XDR
    assert refused.value.reason == reason
    message = str(refused.value)
    if text:
        assert text not in message
    for secret in (WALLET.secret, SEED.hex(), _b64(SEED)):
        assert secret not in message
    # no decoder error (whose message may quote the input) shows in the traceback
    assert refused.value.__cause__ is None
    assert refused.value.__context__ is None or refused.value.__suppress_context__


def _outcome(envelope_xdr: str) -> Signed | InvalidInput:
    """The signer's result, or the InvalidInput it raised; any other exception escapes."""
    try:
        return SIGNER.sign(envelope_xdr, TESTNET, _seed())
    except InvalidInput as refused:
        return refused


def _check_outcome(envelope_xdr: str) -> None:
    outcome = _outcome(envelope_xdr)
    if isinstance(outcome, InvalidInput):
        assert (outcome.field, outcome.__cause__) == (Field.TRANSACTION_XDR, None)
        assert outcome.reason in SIGNER_REASONS
        return
    signature = _signatures(_raw(outcome.envelope_xdr))[-1]
    _assert_wallet_signed(signature, bytes.fromhex(outcome.transaction_hash))
    assert _without_signatures(outcome.envelope_xdr) == _without_signatures(envelope_xdr)
    try:
        sdk_hash = TransactionBuilder.from_xdr(envelope_xdr, TESTNET).hash_hex()
    except ValueError:  # stellar-sdk's models refuse some decodable envelopes (min > max time)
        return
    assert outcome.transaction_hash == sdk_hash


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_is_signed_or_refused_with_invalid_input(text: str) -> None:
    _check_outcome(text)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_base64_bytes_are_signed_or_refused_with_invalid_input(raw: bytes) -> None:
    _check_outcome(_b64(raw))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_altered_envelopes_are_signed_correctly_or_refused(data: st.DataObject) -> None:
    raw = bytearray(_valid_raw())
    for _ in range(data.draw(st.integers(1, 3))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    _check_outcome(_b64(bytes(raw)))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(_valid_raw())), st.binary(max_size=8))
def test_cut_or_extended_envelopes_are_signed_correctly_or_refused(cut: int, tail: bytes) -> None:
    _check_outcome(_b64(_valid_raw()[:cut] + tail))


# Sealed export


RECIPIENT = PrivateKey(bytes([42]) * 32)


def _key_text(private_key: PrivateKey = RECIPIENT) -> str:
    return _b64(bytes(private_key.public_key))


def test_the_recipient_opens_the_sealed_seed() -> None:
    sealed = SEALER.seal(_seed(), _key_text())

    raw = base64.b64decode(sealed, validate=True)
    assert len(raw) == 32 + 48  # ephemeral public key, MAC, seed
    assert SealedBox(RECIPIENT).decrypt(raw) == SEED


def test_two_seals_of_one_seed_differ_and_both_open() -> None:
    first, second = (SEALER.seal(_seed(), _key_text()) for _ in range(2))

    assert first != second
    for sealed in (first, second):
        assert SealedBox(RECIPIENT).decrypt(base64.b64decode(sealed)) == SEED


def _url_safe_key() -> str:
    for byte in range(256):
        text = _key_text(PrivateKey(bytes([byte]) * 32))
        if "+" in text or "/" in text:
            return text.replace("+", "-").replace("/", "_")
    raise AssertionError("no key with + or / in 256 tries")


def _non_zero_trailing_bits() -> str:
    text = _key_text()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet.index(text[42])
    return text[:42] + alphabet[last | 1] + text[43:]


BAD_KEYS = {
    "words": ("not a key at all", "is not standard base64"),
    "non-ascii": ("\u00e9" * 44, "is not standard base64"),
    "url-safe": (_url_safe_key(), "is not standard base64"),
    "unpadded": (_key_text().rstrip("="), "is not standard base64"),
    "newline": (_key_text() + "\n", "is not standard base64"),
    "empty": ("", "must be 32 bytes of base64"),
    "31 bytes": (_b64(bytes(RECIPIENT.public_key)[:31]), "must be 32 bytes of base64"),
    "33 bytes": (_b64(bytes(RECIPIENT.public_key) + b"x"), "must be 32 bytes of base64"),
    "trailing bits": (
        _non_zero_trailing_bits(),
        "is not canonical base64 (non-zero trailing bits)",
    ),
    "all zeros": (_b64(bytes(32)), "is not a usable X25519 public key"),
}


@pytest.mark.parametrize(("key", "reason"), BAD_KEYS.values(), ids=BAD_KEYS.keys())
def test_a_bad_recipient_key_is_invalid_input(key: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        SEALER.seal(_seed(), key)

    assert (refused.value.field, refused.value.reason) == (Field.RECIPIENT_PUBLIC_KEY, reason)
    message = str(refused.value)
    if key:
        assert key not in message
    for secret in (SEED.hex(), _b64(SEED), WALLET.secret):
        assert secret not in message


def test_a_wiped_seed_is_never_sealed() -> None:
    seed = _seed()
    seed.wipe()
    with pytest.raises(ValueError, match="not 32 bytes"):
        SEALER.seal(seed, _key_text())
