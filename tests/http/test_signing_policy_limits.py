"""Per-transaction and daily limits of signing policies, over HTTP on every backend (issue 17):
every kind of operation by which value leaves the wallet counts, per asset; an amount equal to a
limit is within it; the day's spending counts across requests, and only what was signed.
"""

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from stellar_sdk import Asset, Claimant, TransactionBuilder

from entrypoints.container import Container
from tests.http.test_signing_policies import (
    FRIEND,
    ISSUER,
    allowed,
    refused,
    set_policy,
    wallet_key,
)
from tests.http.test_signing_policy_rules import PAL, USDC, XLM, builder, fee_bump, payment
from tests.support import http_client

Send = Callable[[TransactionBuilder, str], TransactionBuilder]
SENDS: dict[str, Send] = {
    "payment": lambda b, amount: b.append_payment_op(FRIEND, XLM, amount),
    "pathPaymentStrictSend": lambda b, amount: b.append_path_payment_strict_send_op(
        FRIEND, XLM, amount, USDC, "1", []
    ),
    "pathPaymentStrictReceive": lambda b, amount: b.append_path_payment_strict_receive_op(
        FRIEND, XLM, amount, USDC, "1", []
    ),
    "createAccount": lambda b, amount: b.append_create_account_op(FRIEND, amount),
    "createClaimableBalance": lambda b, amount: b.append_create_claimable_balance_op(
        XLM, amount, [Claimant(FRIEND)]
    ),
}
"""Every kind of operation by which lumens leave the wallet: `amount` is what leaves it (a path
payment's send amount or send max, a starting balance, a claimable balance)."""
USDC_NAME = f"USDC:{ISSUER}"


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(container) as test_client:
        yield test_client


def _usdc(source: str, amount: str) -> str:
    return builder(source).append_payment_op(FRIEND, USDC, amount).build().to_xdr()


@pytest.mark.parametrize("name", SENDS)
async def test_more_than_the_per_transaction_limit_is_refused(
    client: httpx.AsyncClient, name: str
) -> None:
    wallet = await wallet_key(client)
    await set_policy(client, {"limits": [{"asset": "native", "perTransaction": "10"}]})

    def sending(amount: str) -> str:
        envelope = builder(wallet).append_manage_data_op("note", b"hi")
        return SENDS[name](envelope, amount).build().to_xdr()

    await refused(client, sending("10.0000001"), "per-transaction-limit", 1)
    await allowed(client, sending("10"), wallet)  # equal to the limit: within it


async def test_the_per_transaction_limit_counts_every_operation_of_the_transaction(
    client: httpx.AsyncClient,
) -> None:
    wallet = await wallet_key(client)
    await set_policy(client, {"limits": [{"asset": "native", "perTransaction": "10"}]})
    split = builder(wallet).append_manage_data_op("note", b"hi")
    split.append_payment_op(FRIEND, XLM, "6").append_create_account_op(PAL, "4.0000001")
    await refused(client, split.build().to_xdr(), "per-transaction-limit", 1)
    whole = builder(wallet).append_payment_op(FRIEND, XLM, "6").append_payment_op(PAL, XLM, "4")
    await allowed(client, whole.build().to_xdr(), wallet)


async def test_each_asset_has_its_own_limit(client: httpx.AsyncClient) -> None:
    wallet = await wallet_key(client)
    limits = [
        {"asset": "native", "perTransaction": "10"},
        {"asset": USDC_NAME, "perTransaction": "0.5"},
    ]
    await set_policy(client, {"limits": limits})
    both = builder(wallet).append_payment_op(FRIEND, XLM, "10")
    both.append_payment_op(FRIEND, USDC, "0.5")
    await allowed(client, both.build().to_xdr(), wallet)
    await refused(client, _usdc(wallet, "0.5000001"), "per-transaction-limit", 0)
    await allowed(client, _usdc(wallet, "0.5"), wallet)
    other = builder(wallet).append_payment_op(FRIEND, Asset("EURC", ISSUER), "1000")
    await allowed(client, other.build().to_xdr(), wallet)  # an asset without a limit


async def test_what_leaves_another_account_is_not_counted(client: httpx.AsyncClient) -> None:
    wallet = await wallet_key(client)
    limits = [{"asset": "native", "perTransaction": "1", "perDay": "1"}]
    await set_policy(client, {"allowForeignSource": True, "limits": limits})
    await allowed(client, payment(PAL, FRIEND, "1000").to_xdr(), wallet)
    await allowed(client, payment(wallet, FRIEND, "1").to_xdr(), wallet)


async def test_the_daily_limit_counts_across_requests(client: httpx.AsyncClient) -> None:
    wallet = await wallet_key(client)
    await set_policy(client, {"limits": [{"asset": "native", "perDay": "10"}]})
    await allowed(client, payment(wallet, amount="6").to_xdr(), wallet)
    await allowed(client, payment(wallet, amount="4").to_xdr(), wallet)  # 10: within
    await refused(client, payment(wallet, amount="1").to_xdr(), "daily-limit", 0)
    later = builder(wallet).append_manage_data_op("note", b"hi")
    later.append_payment_op(FRIEND, XLM, "0.0000001")
    await refused(client, later.build().to_xdr(), "daily-limit", 1)
    await allowed(client, _usdc(wallet, "1000"), wallet)  # another asset


async def test_a_refused_sign_does_not_count_towards_the_day(client: httpx.AsyncClient) -> None:
    wallet = await wallet_key(client)
    limits = [{"asset": "native", "perTransaction": "5", "perDay": "10"}]
    await set_policy(client, {"limits": limits})
    await refused(client, payment(wallet, amount="6").to_xdr(), "per-transaction-limit", 0)
    await allowed(client, payment(wallet, amount="5").to_xdr(), wallet)
    await allowed(client, payment(wallet, amount="5").to_xdr(), wallet)
    await refused(client, payment(wallet, amount="0.0000001").to_xdr(), "daily-limit", 0)


async def test_what_was_signed_before_a_limit_was_set_counts(client: httpx.AsyncClient) -> None:
    wallet = await wallet_key(client)
    await allowed(client, payment(wallet, amount="8").to_xdr(), wallet)
    await set_policy(client, {"limits": [{"asset": "native", "perDay": "10"}]})
    await refused(client, payment(wallet, amount="3").to_xdr(), "daily-limit", 0)
    await allowed(client, payment(wallet, amount="2").to_xdr(), wallet)


async def test_a_fee_bump_pays_the_fee_and_is_not_judged_by_the_inner_limits(
    client: httpx.AsyncClient,
) -> None:
    """The wallet's signature on a fee bump pays the fee and authorizes none of the inner
    operations (their own signatures do, each judged when it was asked for): the inner payment
    over the limit is refused as such, its fee bump is not, and counts nothing.
    """
    wallet = await wallet_key(client)
    await set_policy(
        client, {"limits": [{"asset": "native", "perTransaction": "10", "perDay": "10"}]}
    )
    inner = payment(wallet, amount="11")
    await refused(client, inner.to_xdr(), "per-transaction-limit", 0)
    await allowed(client, fee_bump(wallet, inner), wallet)
    await allowed(client, payment(wallet, amount="10").to_xdr(), wallet)


async def test_fee_bumping_a_signed_transaction_does_not_count_it_twice(
    client: httpx.AsyncClient,
) -> None:
    wallet = await wallet_key(client)
    await set_policy(client, {"limits": [{"asset": "native", "perDay": "10"}]})
    inner = payment(wallet, amount="6")
    await allowed(client, inner.to_xdr(), wallet)
    await allowed(client, fee_bump(wallet, inner), wallet)
