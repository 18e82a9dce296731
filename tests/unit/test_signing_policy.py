"""Signing policies, judged on summaries of transactions crafted with stellar-sdk: each rule
refuses what it should and lets through what it should; documents are read strictly; the
summary names operations as stellar-sdk's classes, in camelCase, and counts what leaves the
wallet. (Groundwork of issue 17: not yet wired into `sign`.)
"""

from decimal import Decimal
from typing import Any

import pytest
from stellar_sdk import (
    Account,
    Asset,
    Claimant,
    Keypair,
    MuxedAccount,
    Network,
    Signer,
    TransactionBuilder,
    TransactionEnvelope,
)

from adapters.stellar.policy_document import document_of, policy_of
from adapters.stellar.policy_summary import StellarTransactionSummaries
from domain.errors import Field, InvalidInput
from domain.policy import (
    BUILT_IN_POLICY,
    NATIVE,
    Rule,
    SigningPolicy,
    TransactionSummary,
    Violation,
    judged,
)

NETWORK = Network.TESTNET_NETWORK_PASSPHRASE
WALLET, STRANGER, FRIEND, ISSUER = (
    Keypair.from_raw_ed25519_seed(bytes([n]) * 32).public_key for n in (1, 2, 3, 4)
)
USDC = Asset("USDC", ISSUER)
USDC_NAME = f"USDC:{ISSUER}"


def _builder(source: str = WALLET) -> TransactionBuilder:
    return TransactionBuilder(Account(source, 100), NETWORK, base_fee=100).add_time_bounds(0, 0)


def _summary(envelope: TransactionEnvelope | str) -> TransactionSummary:
    xdr = envelope if isinstance(envelope, str) else envelope.to_xdr()
    return StellarTransactionSummaries().summary(xdr, NETWORK)


def _judge(
    envelope: TransactionEnvelope | str,
    policy: SigningPolicy = BUILT_IN_POLICY,
    spent: dict[str, Decimal] | None = None,
) -> Violation | None:
    return judged(policy, WALLET, _summary(envelope), spent or {})


def _policy(**document: Any) -> SigningPolicy:
    return policy_of(document)


def test_the_built_in_policy_lets_the_wallets_own_transactions_through() -> None:
    envelope = _builder().append_payment_op(STRANGER, Asset.native(), "5").build()
    assert _judge(envelope) is None


def test_a_foreign_transaction_source_is_refused_unless_allowed() -> None:
    envelope = _builder(STRANGER).append_payment_op(FRIEND, Asset.native(), "5").build()
    assert _judge(envelope) == Violation(Rule.FOREIGN_SOURCE)
    assert _judge(envelope, _policy(allowForeignSource=True)) is None


def test_a_foreign_operation_source_is_refused_with_its_index() -> None:
    envelope = (
        _builder()
        .append_payment_op(FRIEND, Asset.native(), "1")
        .append_account_merge_op(WALLET, source=STRANGER)
        .build()
    )
    assert _judge(envelope) == Violation(Rule.FOREIGN_SOURCE, 1)
    assert _judge(envelope, _policy(allowForeignSource=True)) is None


def test_a_muxed_source_counts_as_its_account() -> None:
    muxed = MuxedAccount(WALLET, 7).account_muxed
    assert muxed is not None
    envelope = _builder(muxed).append_payment_op(FRIEND, Asset.native(), "1").build()
    assert _summary(envelope).source == WALLET
    assert _judge(envelope) is None


def _fee_bump(inner_source: str, fee_source: str) -> str:
    inner = _builder(inner_source).append_payment_op(FRIEND, Asset.native(), "1").build()
    return TransactionBuilder.build_fee_bump_transaction(fee_source, 200, inner, NETWORK).to_xdr()


def test_a_fee_bump_of_a_third_partys_transaction_is_refused_unless_allowed() -> None:
    bump = _fee_bump(STRANGER, WALLET)
    assert _judge(bump) == Violation(Rule.FOREIGN_FEE_BUMP)
    assert _judge(bump, _policy(allowForeignFeeBump=True)) is None
    assert _judge(_fee_bump(WALLET, WALLET)) is None
    assert _judge(_fee_bump(WALLET, STRANGER)) == Violation(Rule.FOREIGN_SOURCE)


def test_operations_outside_the_list_are_refused_with_their_index() -> None:
    envelope = (
        _builder()
        .append_payment_op(FRIEND, Asset.native(), "1")
        .append_manage_data_op("note", b"x")
        .build()
    )
    policy = _policy(allowedOperations=["payment"])
    assert _judge(envelope, policy) == Violation(Rule.OPERATION_NOT_ALLOWED, 1)
    assert _judge(envelope, _policy(allowedOperations=["payment", "manageData"])) is None


@pytest.mark.parametrize(
    ("add", "name", "destination"),
    [
        (lambda b: b.append_payment_op(STRANGER, Asset.native(), "1"), "payment", STRANGER),
        (
            lambda b: b.append_path_payment_strict_send_op(
                STRANGER, USDC, "2", Asset.native(), "1", []
            ),
            "pathPaymentStrictSend",
            STRANGER,
        ),
        (
            lambda b: b.append_path_payment_strict_receive_op(
                STRANGER, USDC, "3", Asset.native(), "1", []
            ),
            "pathPaymentStrictReceive",
            STRANGER,
        ),
        (lambda b: b.append_create_account_op(STRANGER, "2"), "createAccount", STRANGER),
        (lambda b: b.append_account_merge_op(STRANGER), "accountMerge", STRANGER),
        (
            lambda b: b.append_create_claimable_balance_op(USDC, "4", [Claimant(STRANGER)]),
            "createClaimableBalance",
            STRANGER,
        ),
        (
            lambda b: b.append_set_options_op(signer=Signer.ed25519_public_key(STRANGER, 1)),
            "setOptions",
            STRANGER,
        ),
    ],
)
def test_every_operation_that_sends_value_or_control_is_held_to_the_destinations(
    add: Any, name: str, destination: str
) -> None:
    envelope = add(_builder()).build()
    (operation,) = _summary(envelope).operations
    assert (operation.name, operation.destinations) == (name, (destination,))
    assert _judge(envelope, _policy(allowedDestinations=[FRIEND])) == Violation(
        Rule.DESTINATION_NOT_ALLOWED, 0
    )
    assert _judge(envelope, _policy(allowedDestinations=[FRIEND, destination])) is None


def test_what_leaves_the_wallet_is_counted_per_asset() -> None:
    envelope = (
        _builder()
        .append_payment_op(FRIEND, Asset.native(), "1.5")
        .append_path_payment_strict_send_op(FRIEND, USDC, "2", Asset.native(), "1", [])
        .append_path_payment_strict_receive_op(FRIEND, USDC, "3", Asset.native(), "1", [])
        .append_create_account_op(STRANGER, "2.25")
        .append_create_claimable_balance_op(USDC, "4", [Claimant(FRIEND)])
        .append_payment_op(WALLET, Asset.native(), "100", source=STRANGER)  # not the wallet's
        .build()
    )
    assert _summary(envelope).outgoing(WALLET) == {
        NATIVE: Decimal("3.75"),
        USDC_NAME: Decimal(9),
    }


def test_a_per_transaction_limit_holds_at_its_amount_and_refuses_beyond() -> None:
    policy = _policy(limits=[{"asset": USDC_NAME, "perTransaction": "5"}])
    at_limit = _builder().append_payment_op(FRIEND, USDC, "2").append_payment_op(FRIEND, USDC, "3")
    assert _judge(at_limit.build(), policy) is None
    over = (
        _builder()
        .append_payment_op(FRIEND, Asset.native(), "9")
        .append_payment_op(FRIEND, USDC, "5.0000001")
    )
    assert _judge(over.build(), policy) == Violation(Rule.PER_TRANSACTION_LIMIT, 1)


def test_a_daily_limit_counts_what_was_signed_today() -> None:
    policy = _policy(limits=[{"asset": "native", "perDay": "10"}])
    envelope = _builder().append_payment_op(FRIEND, Asset.native(), "4").build()
    assert _judge(envelope, policy, {NATIVE: Decimal(6)}) is None
    assert _judge(envelope, policy, {NATIVE: Decimal("6.0000001")}) == Violation(
        Rule.DAILY_LIMIT, 0
    )
    assert _judge(envelope, policy, {USDC_NAME: Decimal(100)}) is None


@pytest.mark.parametrize(
    ("document", "said"),
    [
        ({"allowedOperations": "payment"}, "allowedOperations must be a list"),
        ({"allowedOperations": [""]}, "allowedOperations must be a list"),
        ({"allowForeignSource": "yes"}, "allowForeignSource must be true or false"),
        ({"limits": {}}, "limits must be a list"),
        ({"limits": [{"perDay": "1"}]}, "limits[0] needs an asset"),
        ({"limits": [{"asset": "USDC"}]}, "limits[0].asset is not native or CODE:ISSUER"),
        ({"limits": [{"asset": "native"}, {"asset": "native"}]}, "limits[1].asset is listed twice"),
        (
            {"limits": [{"asset": "native", "perDay": 5}]},
            "limits[0].perDay must be a decimal string",
        ),
        ({"limits": [{"asset": "native", "perDay": "-1"}]}, "limits[0].perDay must be a decimal"),
        ({"limits": [{"asset": "native", "perDays": "1"}]}, "limits[0].perDays is not a limit"),
        ({"allowedOperations": ["pay"]}, "allowedOperations[0] is not a Stellar operation name"),
        ({"allowedDestinations": ["GABC"]}, "allowedDestinations[0] is not a Stellar account key"),
        ({"limits": [{"asset": "USDC:GABC"}]}, "limits[0].asset is not native or CODE:ISSUER"),
        ({"limits": None, "allowedOperations": "payment"}, "allowedOperations must be a list"),
        ({"allowedDestination": []}, "allowedDestination is not a policy member"),
    ],
)
def test_a_malformed_document_is_refused_naming_the_member(
    document: dict[str, Any], said: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        policy_of(document)
    assert refused.value.field is Field.POLICY
    assert said in refused.value.reason


def test_a_document_with_nothing_is_the_built_in_policy() -> None:
    assert policy_of({}) == BUILT_IN_POLICY


def test_a_zero_limit_lets_nothing_leave() -> None:
    policy = policy_of({"limits": [{"asset": "native", "perDay": "0.0"}]})
    assert policy.limits[0].per_day == 0


def test_a_document_reads_back_to_the_same_policy() -> None:
    document = {
        "allowedOperations": ["payment", "changeTrust"],
        "allowedDestinations": [FRIEND],
        "limits": [{"asset": USDC_NAME, "perTransaction": "500", "perDay": "5000.5"}],
        "allowForeignFeeBump": True,
    }
    policy = policy_of(document)
    assert policy_of(document_of(policy)) == policy
    assert document_of(policy)["allowedOperations"] == ["changeTrust", "payment"]


def test_an_account_merge_is_over_any_native_limit() -> None:
    merge = _builder().append_account_merge_op(FRIEND).build()
    daily = _policy(limits=[{"asset": "native", "perDay": "1000000"}])
    assert _judge(merge, daily) == Violation(Rule.DAILY_LIMIT, 0)
    each = _policy(limits=[{"asset": "native", "perTransaction": "1000000"}])
    assert _judge(merge, each) == Violation(Rule.PER_TRANSACTION_LIMIT, 0)
    assert _judge(merge) is None
    usdc_only = _policy(limits=[{"asset": USDC_NAME, "perTransaction": "1"}])
    assert _judge(merge, usdc_only) is None


def test_the_wallet_itself_is_always_an_allowed_destination() -> None:
    to_itself = (
        _builder()
        .append_payment_op(WALLET, Asset.native(), "1")
        .append_create_claimable_balance_op(
            Asset.native(), "1", [Claimant(WALLET), Claimant(FRIEND)]
        )
        .build()
    )
    assert _judge(to_itself, _policy(allowedDestinations=[FRIEND])) is None
    assert _judge(to_itself, _policy(allowedDestinations=[ISSUER])) == Violation(
        Rule.DESTINATION_NOT_ALLOWED, 1
    )
