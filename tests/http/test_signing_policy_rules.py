"""Signing policies judge what `sign` is asked to sign, over HTTP on every backend (issue 17):
transactions crafted with stellar-sdk from the wallet's public key, for the source, fee-bump,
operation and destination rules, each one refused (403 policy-violation naming the rule and the
operation, a sign_refused event, nothing signed) and one allowed (the wallet's signature
verified over the hash for the network).
"""

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from stellar_sdk import (
    Account,
    Asset,
    Claimant,
    Keypair,
    MuxedAccount,
    Signer,
    TransactionBuilder,
    TransactionEnvelope,
)

from entrypoints.container import Container
from tests.http.test_signing_policies import (
    FRIEND,
    ISSUER,
    TESTNET,
    allowed,
    refused,
    set_policy,
    sign,
    wallet_key,
)
from tests.support import http_client

STRANGER, PAL = (Keypair.from_raw_ed25519_seed(bytes([n]) * 32).public_key for n in (5, 6))
XLM, USDC = Asset.native(), Asset("USDC", ISSUER)

Append = Callable[[TransactionBuilder, str], TransactionBuilder]
TO_ACCOUNTS: dict[str, Append] = {
    "payment": lambda b, to: b.append_payment_op(to, XLM, "1"),
    "pathPaymentStrictSend": lambda b, to: b.append_path_payment_strict_send_op(
        to, XLM, "1", USDC, "1", []
    ),
    "pathPaymentStrictReceive": lambda b, to: b.append_path_payment_strict_receive_op(
        to, XLM, "1", USDC, "1", []
    ),
    "createAccount": lambda b, to: b.append_create_account_op(to, "1"),
    "accountMerge": lambda b, to: b.append_account_merge_op(to),
    "createClaimableBalance": lambda b, to: b.append_create_claimable_balance_op(
        XLM, "1", [Claimant(PAL), Claimant(to)]
    ),
    "setOptions": lambda b, to: b.append_ed25519_public_key_signer(to, 1),
}
"""Every operation that sends value or control to an account, appended with that account."""


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(container) as test_client:
        yield test_client


def builder(source: str) -> TransactionBuilder:
    """A transaction builder from `source` (an account or a muxed one)."""
    return TransactionBuilder(Account(source, 1234), TESTNET, base_fee=100).add_time_bounds(0, 0)


def muxed(account: str, number: int) -> str:
    """The account's muxed address ("M…") with this number."""
    address = MuxedAccount(account, number).account_muxed
    assert address is not None
    return address


def payment(source: str, to: str = FRIEND, amount: str = "1") -> TransactionEnvelope:
    return builder(source).append_payment_op(to, XLM, amount).build()


def fee_bump(payer: str, inner: TransactionEnvelope) -> str:
    bump = TransactionBuilder.build_fee_bump_transaction(payer, 200, inner, TESTNET)
    return bump.to_xdr()


# Sources


async def test_a_foreign_transaction_source_is_refused(client: httpx.AsyncClient) -> None:
    wallet = await wallet_key(client)
    await refused(client, payment(STRANGER).to_xdr(), "foreign-source", None)
    await allowed(client, payment(wallet).to_xdr(), wallet)
    await allowed(client, payment(muxed(wallet, 42)).to_xdr(), wallet)  # its own, muxed


async def test_a_foreign_operation_source_is_refused_with_its_index(
    client: httpx.AsyncClient,
) -> None:
    wallet = await wallet_key(client)

    def with_source(source: str) -> str:
        envelope = builder(wallet).append_payment_op(FRIEND, XLM, "1")
        envelope.append_manage_data_op("note", b"hi", source=source)
        return envelope.build().to_xdr()

    await refused(client, with_source(STRANGER), "foreign-source", 1)
    await allowed(client, with_source(wallet), wallet)


async def test_a_policy_may_allow_foreign_sources(client: httpx.AsyncClient) -> None:
    wallet = await wallet_key(client)
    await set_policy(client, {"allowForeignSource": True})
    await allowed(client, payment(STRANGER).to_xdr(), wallet)
    envelope = builder(wallet).append_manage_data_op("note", b"hi", source=STRANGER).build()
    await allowed(client, envelope.to_xdr(), wallet)


# Fee bumps


async def test_a_fee_bump_of_a_foreign_transaction_is_refused(client: httpx.AsyncClient) -> None:
    wallet = await wallet_key(client)
    await refused(client, fee_bump(wallet, payment(STRANGER)), "foreign-fee-bump", None)
    await allowed(client, fee_bump(wallet, payment(wallet)), wallet)


async def test_a_fee_bump_paid_by_another_account_is_a_foreign_source(
    client: httpx.AsyncClient,
) -> None:
    wallet = await wallet_key(client)
    await refused(client, fee_bump(STRANGER, payment(wallet)), "foreign-source", None)


async def test_a_policy_may_allow_foreign_fee_bumps(client: httpx.AsyncClient) -> None:
    wallet = await wallet_key(client)
    await set_policy(client, {"allowForeignFeeBump": True})
    await allowed(client, fee_bump(wallet, payment(STRANGER)), wallet)
    await refused(client, fee_bump(STRANGER, payment(wallet)), "foreign-source", None)


async def test_an_allowed_foreign_fee_bump_does_not_depend_on_how_sources_are_spelt(
    client: httpx.AsyncClient,
) -> None:
    wallet = await wallet_key(client)
    await set_policy(client, {"allowForeignFeeBump": True})
    implicit = payment(STRANGER)
    explicit = builder(STRANGER).append_payment_op(FRIEND, XLM, "1", source=STRANGER).build()
    await allowed(client, fee_bump(wallet, implicit), wallet)
    spelt_out = await sign(client, fee_bump(wallet, explicit))
    assert spelt_out.status_code == 200, spelt_out.text  # the same transaction, the same answer


# Operations and destinations


async def test_an_operation_not_allowed_is_refused_with_its_index(
    client: httpx.AsyncClient,
) -> None:
    wallet = await wallet_key(client)
    await set_policy(client, {"allowedOperations": ["payment"]})
    envelope = builder(wallet).append_payment_op(FRIEND, XLM, "1")
    envelope.append_manage_data_op("note", b"hi")
    await refused(client, envelope.build().to_xdr(), "operation-not-allowed", 1)
    twice = builder(wallet).append_payment_op(FRIEND, XLM, "1").append_payment_op(PAL, XLM, "2")
    await allowed(client, twice.build().to_xdr(), wallet)


async def test_an_empty_list_of_operations_allows_none(client: httpx.AsyncClient) -> None:
    wallet = await wallet_key(client)
    await set_policy(client, {"allowedOperations": []})
    await refused(client, payment(wallet).to_xdr(), "operation-not-allowed", 0)


@pytest.mark.parametrize("name", TO_ACCOUNTS)
async def test_a_destination_not_allowed_is_refused_with_its_index(
    client: httpx.AsyncClient, name: str
) -> None:
    wallet = await wallet_key(client)
    await set_policy(client, {"allowedDestinations": [FRIEND, PAL]})

    def sent_to(destination: str) -> str:
        envelope = builder(wallet).append_manage_data_op("note", b"hi")
        return TO_ACCOUNTS[name](envelope, destination).build().to_xdr()

    await refused(client, sent_to(STRANGER), "destination-not-allowed", 1)
    await allowed(client, sent_to(FRIEND), wallet)


async def test_a_muxed_destination_is_the_account_it_belongs_to(
    client: httpx.AsyncClient,
) -> None:
    wallet = await wallet_key(client)
    await set_policy(client, {"allowedDestinations": [FRIEND]})
    await allowed(client, payment(wallet, muxed(FRIEND, 7)).to_xdr(), wallet)
    stranger = muxed(STRANGER, 7)
    await refused(client, payment(wallet, stranger).to_xdr(), "destination-not-allowed", 0)


async def test_a_signer_of_another_kind_is_never_an_allowed_destination(
    client: httpx.AsyncClient,
) -> None:
    wallet = await wallet_key(client)
    await set_policy(client, {"allowedDestinations": [FRIEND]})
    signer = Signer.pre_auth_tx(bytes(32), 1)
    envelope = builder(wallet).append_set_options_op(signer=signer).build()
    await refused(client, envelope.to_xdr(), "destination-not-allowed", 0)


async def test_removing_a_signer_sends_it_no_control(client: httpx.AsyncClient) -> None:
    wallet = await wallet_key(client)
    await set_policy(client, {"allowedDestinations": [FRIEND]})
    envelope = builder(wallet).append_ed25519_public_key_signer(STRANGER, 0).build()
    await allowed(client, envelope.to_xdr(), wallet)


async def test_a_sign_refused_on_one_wallet_leaves_the_others_alone(
    client: httpx.AsyncClient,
) -> None:
    ada = await wallet_key(client)
    bea = await wallet_key(client, "bea")
    await set_policy(client, {"allowedOperations": ["manageData"]}, "bea")
    await refused(client, payment(bea).to_xdr(), "operation-not-allowed", 0, "bea")
    await allowed(client, payment(ada).to_xdr(), ada)
    response = await sign(client, payment(ada).to_xdr(), "bea")
    assert response.json()["rule"] == "foreign-source"
