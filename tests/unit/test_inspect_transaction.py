"""InspectTransaction on StellarTransactionInspector: threshold categories as stellar-core
decides them, signatures checked independently with stellar-sdk's Keypair.verify, both levels of
a fee bump, and `met` as the weight against the threshold.
"""

import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stellar_sdk import (
    Account,
    AccountMerge,
    AllowTrust,
    Asset,
    AuthorizationFlag,
    BumpSequence,
    ChangeTrust,
    ClaimClaimableBalance,
    CreateAccount,
    ExtendFootprintTTL,
    Inflation,
    InvokeHostFunction,
    Keypair,
    ManageData,
    Network,
    Payment,
    RestoreFootprint,
    SetOptions,
    SetTrustLineFlags,
    Signer,
    TransactionBuilder,
    TransactionEnvelope,
    TrustLineEntryFlag,
    TrustLineFlags,
)
from stellar_sdk import xdr as stellar_xdr
from stellar_sdk.operation import Operation

from adapters.crypto.stellar_inspector import StellarTransactionInspector
from application.inspect_transaction import InspectRequest, InspectResult, InspectTransaction
from domain.authorization import Signer as AccountSigner
from domain.authorization import Signers, ThresholdCategory, Thresholds
from domain.errors import Field, InvalidInput

TESTNET = Network.TESTNET_NETWORK_PASSPHRASE
PUBLIC = Network.PUBLIC_NETWORK_PASSPHRASE
SOURCE, COSIGNER, STRANGER, FEE_PAYER = (
    Keypair.from_raw_ed25519_seed(bytes([n]) * 32) for n in (1, 2, 3, 4)
)
OTHER = Keypair.from_raw_ed25519_seed(bytes([5]) * 32).public_key
USDC = Asset("USDC", OTHER)
INSPECT = InspectTransaction(StellarTransactionInspector(), frozenset({TESTNET, PUBLIC}))
THRESHOLDS = Thresholds(1, 2, 3)
LOW, MEDIUM, HIGH = ThresholdCategory


def _signers(*pairs: tuple[Keypair, int]) -> Signers:
    return Signers(tuple(AccountSigner(keypair.public_key, weight) for keypair, weight in pairs))


def _envelope(*operations: Operation, network: str = TESTNET) -> TransactionEnvelope:
    builder = TransactionBuilder(Account(SOURCE.public_key, 41), network, base_fee=100)
    for operation in operations:
        builder.append_operation(operation)
    return builder.set_timeout(300).build()


def _inspect(
    xdr: str, signers: Signers, thresholds: Thresholds = THRESHOLDS, network: str = TESTNET
) -> InspectResult:
    return INSPECT(InspectRequest(xdr, network, signers, thresholds))


def _payment() -> Payment:
    return Payment(OTHER, Asset.native(), "1")


_HOST_FUNCTION = stellar_xdr.HostFunction(
    stellar_xdr.HostFunctionType.HOST_FUNCTION_TYPE_UPLOAD_CONTRACT_WASM, wasm=b"\0asm"
)
with warnings.catch_warnings():  # AllowTrust is deprecated, and still an operation to classify
    warnings.simplefilter("ignore", DeprecationWarning)
    _ALLOW_TRUST = AllowTrust(OTHER, "USDC", TrustLineEntryFlag.AUTHORIZED_FLAG)
CATEGORIES: list[tuple[str, Operation, ThresholdCategory]] = [
    ("account merge", AccountMerge(OTHER), HIGH),
    ("set options: signer", SetOptions(signer=Signer.ed25519_public_key(OTHER, 1)), HIGH),
    ("set options: master weight", SetOptions(master_weight=2), HIGH),
    ("set options: low threshold", SetOptions(low_threshold=1), HIGH),
    ("set options: medium threshold", SetOptions(med_threshold=1), HIGH),
    ("set options: high threshold", SetOptions(high_threshold=1), HIGH),
    ("set options: home domain", SetOptions(home_domain="example.com"), MEDIUM),
    ("set options: flags", SetOptions(set_flags=AuthorizationFlag.AUTHORIZATION_REQUIRED), MEDIUM),
    ("bump sequence", BumpSequence(99), LOW),
    ("allow trust", _ALLOW_TRUST, LOW),
    ("set trust line flags", SetTrustLineFlags(OTHER, USDC, set_flags=TrustLineFlags(1)), LOW),
    ("inflation", Inflation(), LOW),
    ("claim claimable balance", ClaimClaimableBalance("00000000" + "ab" * 32), LOW),
    ("extend footprint ttl", ExtendFootprintTTL(1000), LOW),
    ("restore footprint", RestoreFootprint(), LOW),
    ("invoke host function", InvokeHostFunction(_HOST_FUNCTION, []), LOW),
    ("payment", _payment(), MEDIUM),
    ("create account", CreateAccount(OTHER, "1"), MEDIUM),
    ("change trust", ChangeTrust(USDC), MEDIUM),
    ("manage data", ManageData("name", "value"), MEDIUM),
]


@pytest.mark.parametrize(
    ("operation", "category"), [c[1:] for c in CATEGORIES], ids=[c[0] for c in CATEGORIES]
)
def test_each_operation_needs_its_threshold_category(
    operation: Operation, category: ThresholdCategory
) -> None:
    alone = _inspect(_envelope(operation).to_xdr(), _signers())
    assert alone.transaction.required == category
    # A transaction needs the highest of its operations' categories.
    with_payment = _inspect(_envelope(operation, _payment()).to_xdr(), _signers())
    assert with_payment.transaction.required == max(MEDIUM, category, key=lambda c: c.rank)


def test_every_operation_type_is_covered() -> None:
    built = {
        _envelope(c[1]).transaction.operations[0].to_xdr_object().body.type for c in CATEGORIES
    }
    low_or_high = {
        t
        for t in stellar_xdr.OperationType
        if t.name
        in {
            "ACCOUNT_MERGE",
            "ALLOW_TRUST",
            "BUMP_SEQUENCE",
            "CLAIM_CLAIMABLE_BALANCE",
            "EXTEND_FOOTPRINT_TTL",
            "INFLATION",
            "INVOKE_HOST_FUNCTION",
            "RESTORE_FOOTPRINT",
            "SET_TRUST_LINE_FLAGS",
            "SET_OPTIONS",
        }
    }
    assert low_or_high <= built


def test_signatures_of_listed_keys_count_and_the_others_are_unmatched() -> None:
    envelope = _envelope(_payment())
    for keypair in (SOURCE, STRANGER, COSIGNER):
        envelope.sign(keypair)
    result = _inspect(
        envelope.to_xdr(), _signers((SOURCE, 1), (COSIGNER, 1), (Keypair.from_public_key(OTHER), 5))
    )
    checked = result.transaction
    assert [s.key for s in checked.signatures] == [SOURCE.public_key, COSIGNER.public_key]
    assert (checked.unmatched_signatures, checked.weight, checked.required) == (1, 2, MEDIUM)
    assert checked.met
    assert checked.transaction_hash == envelope.hash_hex()
    assert result.fee_bump is None
    for signer in checked.signatures:  # independently, with stellar-sdk
        keypair = Keypair.from_public_key(signer.key)
        mine = [s for s in envelope.signatures if s.signature_hint == keypair.signature_hint()]
        keypair.verify(envelope.hash(), mine[0].signature)


def test_a_repeated_signature_counts_once() -> None:
    envelope = _envelope(_payment())
    envelope.sign(SOURCE)
    envelope.signatures.append(envelope.signatures[0])
    checked = _inspect(envelope.to_xdr(), _signers((SOURCE, 2))).transaction
    assert (checked.weight, checked.unmatched_signatures) == (2, 1)


def test_a_signature_for_another_network_does_not_match() -> None:
    envelope = _envelope(_payment(), network=PUBLIC)
    envelope.sign(SOURCE)
    on_testnet = TransactionEnvelope.from_xdr(envelope.to_xdr(), TESTNET)
    checked = _inspect(on_testnet.to_xdr(), _signers((SOURCE, 1))).transaction
    assert (checked.signatures, checked.unmatched_signatures, checked.weight) == ((), 1, 0)
    assert not checked.met
    assert checked.transaction_hash == on_testnet.hash_hex() != envelope.hash_hex()
    on_public = _inspect(envelope.to_xdr(), _signers((SOURCE, 1)), network=PUBLIC).transaction
    assert on_public.weight == 1


def test_a_fee_bump_is_inspected_at_both_levels() -> None:
    inner = _envelope(AccountMerge(OTHER))
    inner.sign(SOURCE)
    inner.sign(COSIGNER)
    fee_bump = TransactionBuilder.build_fee_bump_transaction(
        FEE_PAYER.public_key, 200, inner, TESTNET
    )
    fee_bump.sign(FEE_PAYER)
    fee_bump.sign(STRANGER)
    signers = _signers((SOURCE, 1), (COSIGNER, 2), (FEE_PAYER, 1))
    result = _inspect(fee_bump.to_xdr(), signers)
    assert result.transaction.transaction_hash == inner.hash_hex()
    assert (result.transaction.required, result.transaction.weight) == (HIGH, 3)
    assert result.transaction.met
    assert result.transaction.unmatched_signatures == 0
    outer = result.fee_bump
    assert outer is not None
    assert outer.transaction_hash == fee_bump.hash_hex()
    assert [s.key for s in outer.signatures] == [FEE_PAYER.public_key]
    assert (outer.required, outer.weight, outer.unmatched_signatures, outer.met) == (
        LOW,
        1,
        1,
        True,
    )
    Keypair.from_public_key(FEE_PAYER.public_key).verify(
        fee_bump.hash(), fee_bump.signatures[0].signature
    )


def test_a_v0_envelope_is_inspected() -> None:
    builder = TransactionBuilder(Account(SOURCE.public_key, 41), TESTNET, 100, v1=False)
    envelope = builder.append_operation(BumpSequence(99)).set_timeout(300).build()
    envelope.sign(SOURCE)
    checked = _inspect(envelope.to_xdr(), _signers((SOURCE, 1))).transaction
    assert (checked.required, checked.weight, checked.met) == (LOW, 1, True)


def test_a_threshold_of_zero_still_needs_a_signature() -> None:
    unsigned = _envelope(BumpSequence(99)).to_xdr()
    assert not _inspect(unsigned, _signers((SOURCE, 1)), Thresholds(0, 0, 0)).transaction.met


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (
            {"xdr": "bm90IGEgdHJhbnNhY3Rpb24="},
            Field.TRANSACTION_XDR,
            "is not a Stellar transaction envelope in XDR",
        ),
        (
            {"network": "A Private Network ; 2026"},
            Field.NETWORK_PASSPHRASE,
            "is not one of the allowed networks",
        ),
        ({"key": "GABC"}, Field.SIGNERS, "[1].key is not a Stellar account key (G…)"),
        ({"key": STRANGER.secret}, Field.SIGNERS, "[1].key is not a Stellar account key (G…)"),
    ],
)
def test_bad_input_is_refused_naming_its_field(
    change: dict[str, str], field: Field, reason: str
) -> None:
    signers = Signers(
        (AccountSigner(SOURCE.public_key, 1), AccountSigner(change.get("key", OTHER), 1))
    )
    xdr = change.get("xdr", _envelope(_payment()).to_xdr())
    with pytest.raises(InvalidInput) as raised:
        _inspect(xdr, signers, network=change.get("network", TESTNET))
    assert (raised.value.field, raised.value.reason) == (field, reason)


@pytest.mark.parametrize(
    ("make", "field", "reason"),
    [
        (lambda: _signers((SOURCE, 256)), Field.SIGNERS, "[0].weight must be 0 to 255"),
        (lambda: _signers((SOURCE, -1)), Field.SIGNERS, "[0].weight must be 0 to 255"),
        (lambda: _signers((SOURCE, 1), (SOURCE, 2)), Field.SIGNERS, "[1].key is listed twice"),
        (lambda: Thresholds(0, 256, 1), Field.THRESHOLDS, "medium must be 0 to 255"),
        (lambda: Thresholds(-1, 0, 1), Field.THRESHOLDS, "low must be 0 to 255"),
    ],
)
def test_weights_duplicates_and_thresholds_are_refused(
    make: object, field: Field, reason: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        make()  # type: ignore[operator]
    assert (raised.value.field, raised.value.reason) == (field, reason)


KEYPAIRS = [Keypair.from_raw_ed25519_seed(bytes([20 + n]) * 32) for n in range(3)]
ENVELOPES = {
    category: _envelope(operation)
    for operation, category in (
        (BumpSequence(99), LOW),
        (_payment(), MEDIUM),
        (AccountMerge(OTHER), HIGH),
    )
}
weights = st.integers(0, 255)


@settings(max_examples=60, deadline=None)
@given(
    category=st.sampled_from(list(ThresholdCategory)),
    listed=st.lists(weights, min_size=3, max_size=3),
    signed=st.lists(st.booleans(), min_size=3, max_size=3),
    thresholds=st.tuples(weights, weights, weights),
)
def test_met_is_the_signers_weight_against_the_threshold(
    category: ThresholdCategory,
    listed: list[int],
    signed: list[bool],
    thresholds: tuple[int, int, int],
) -> None:
    envelope = TransactionEnvelope.from_xdr(ENVELOPES[category].to_xdr(), TESTNET)
    for keypair, signs in zip(KEYPAIRS, signed, strict=True):
        if signs:
            envelope.sign(keypair)
    signers = _signers(*zip(KEYPAIRS, listed, strict=True))
    checked = _inspect(envelope.to_xdr(), signers, Thresholds(*thresholds)).transaction
    verified = []
    for keypair, weight in zip(KEYPAIRS, listed, strict=True):
        for signature in envelope.signatures:
            if signature.signature_hint == keypair.signature_hint():
                keypair.verify(envelope.hash(), signature.signature)
                verified.append(weight)
    assert checked.weight == sum(verified)
    assert checked.required == category
    threshold = Thresholds(*thresholds).of(category)
    # stellar-core needs one signature of some weight even where the threshold is 0.
    assert checked.met == (checked.weight >= max(threshold, 1))
    assert checked.met == (checked.weight >= threshold and checked.weight > 0)
