"""HorizonNetwork (the StellarNetwork port over Horizon) against the Horizon stand-in: sequence
numbers, submissions and their idempotent retries, each refusal as its domain error with the
network's result codes, and every way of being unavailable; against a hostile server, result
codes bounded and no server text or URL query in any error.
"""

import time
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

import httpx
import pytest
from stellar_sdk import (
    Account,
    Asset,
    BeginSponsoringFutureReserves,
    CreateAccount,
    EndSponsoringFutureReserves,
    Keypair,
    Network,
    Payment,
    TransactionBuilder,
    TransactionEnvelope,
)
from stellar_sdk.operation import Operation

from adapters.stellar.horizon import HorizonNetwork
from domain.errors import (
    AccountNotOnNetwork,
    BadSequence,
    DomainError,
    InsufficientFunds,
    NetworkRefusal,
    NetworkRejected,
    NetworkUnavailable,
)
from domain.ports import StellarNetwork, Submission
from harness.servers import free_port
from tests.horizon_standin import FIRST_LEDGER, HorizonStandIn

PASSPHRASE = Network.TESTNET_NETWORK_PASSPHRASE
SECRET = "SECRET-QUERY-KEY"  # a provider's API key in the base URL's query
TIMEOUT = 1.5
"""Seconds the adapter waits for the stand-in. Not less: a CI run saw a first submission (the
stand-in verifying its signatures, cold) take longer than 0.5 s."""
LATE = 5.0
"""Seconds a late answer takes: well past TIMEOUT."""
E = TypeVar("E", bound=DomainError)


@pytest.fixture
def horizon() -> Iterator[HorizonStandIn]:
    with HorizonStandIn(PASSPHRASE) as standin:
        yield standin


@pytest.fixture
async def network(horizon: HorizonStandIn) -> AsyncIterator[HorizonNetwork]:
    adapter = HorizonNetwork(f"{horizon.url}/?api_key={SECRET}", TIMEOUT)
    yield adapter
    await adapter.aclose()


def _told(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error.args) + repr(vars(error))


def _quiet(error: E) -> E:
    """The error, once shown to hold neither the URL's query nor the server's own words."""
    told = _told(error)
    assert SECRET not in told
    assert "SERVER-TEXT" not in told
    assert "127.0.0.1" not in told
    return error


def _payment(horizon: HorizonStandIn, payer: Keypair, amount: str = "1", **at: int) -> str:
    payee = Keypair.random().public_key
    horizon.fund(payee)
    return _signed(horizon, payer, [Payment(payee, Asset.native(), amount)], **at)


def _signed(
    horizon: HorizonStandIn,
    source: Keypair,
    operations: list[Operation],
    *signers: Keypair,
    sequence: int | None = None,
) -> str:
    current = horizon.accounts[source.public_key].sequence if sequence is None else sequence
    builder = TransactionBuilder(Account(source.public_key, current), PASSPHRASE, base_fee=100)
    for operation in operations:
        builder.append_operation(operation)
    envelope = builder.set_timeout(300).build()
    for signer in (source, *signers):
        envelope.sign(signer)
    return envelope.to_xdr()


def _hash(envelope_xdr: str) -> str:
    return TransactionEnvelope.from_xdr(envelope_xdr, PASSPHRASE).hash_hex()


def test_it_is_a_stellar_network_that_hides_its_query() -> None:
    adapter: StellarNetwork = HorizonNetwork(f"http://horizon.test/?api_key={SECRET}", TIMEOUT)
    assert SECRET not in repr(adapter)


async def test_the_sequence_number_is_read(
    horizon: HorizonStandIn, network: HorizonNetwork
) -> None:
    account = Keypair.random().public_key
    horizon.fund(account, sequence=(1234 << 32) + 56)

    assert await network.sequence(account) == (1234 << 32) + 56


async def test_an_unknown_account_is_not_on_the_network(network: HorizonNetwork) -> None:
    account = Keypair.random().public_key

    with pytest.raises(AccountNotOnNetwork) as error:
        await network.sequence(account)

    assert _quiet(error.value).account_id == account


async def test_a_submission_lands_and_every_retry_gets_the_same_submission(
    horizon: HorizonStandIn, network: HorizonNetwork
) -> None:
    payer = Keypair.random()
    horizon.fund(payer.public_key)
    xdr = _payment(horizon, payer)

    landed = await network.submit(xdr)
    again = await network.submit(xdr)  # Horizon answers it from its history
    horizon.fail_next("bad_seq")  # as stellar-core answers it, before Horizon has ingested it
    once_more = await network.submit(xdr)

    assert landed == Submission(_hash(xdr), FIRST_LEDGER + 1)
    assert again == once_more == landed
    assert horizon.accounts[payer.public_key].sequence == (FIRST_LEDGER << 32) + 1
    assert len(horizon.submitted) == 3


async def test_a_bad_sequence_number_that_did_not_land_is_refused(
    horizon: HorizonStandIn, network: HorizonNetwork
) -> None:
    payer = Keypair.random()
    horizon.fund(payer.public_key)
    stale = _payment(horizon, payer, sequence=(FIRST_LEDGER << 32) - 1)
    fresh = _payment(horizon, payer)

    with pytest.raises(BadSequence) as stale_error:
        await network.submit(stale)
    horizon.fail_next("bad_seq")
    with pytest.raises(BadSequence) as fresh_error:
        await network.submit(fresh)

    for error in (stale_error.value, fresh_error.value):
        assert (_quiet(error).transaction, error.operations) == ("tx_bad_seq", ())
    assert horizon.state.transactions == {}  # neither landed


def _underfunded(horizon: HorizonStandIn, payer: Keypair) -> str:
    return _payment(horizon, payer, "500")


def _low_reserve(horizon: HorizonStandIn, payer: Keypair) -> str:
    new = Keypair.random()
    operations: list[Operation] = [
        BeginSponsoringFutureReserves(new.public_key),
        CreateAccount(new.public_key, "0"),
        EndSponsoringFutureReserves(source=new.public_key),
    ]
    horizon.accounts[payer.public_key].balance = 15_000_000  # half a reserve to spare
    return _signed(horizon, payer, operations, new)


def _unsigned(horizon: HorizonStandIn, payer: Keypair) -> str:
    envelope = TransactionEnvelope.from_xdr(_payment(horizon, payer), PASSPHRASE)
    envelope.signatures = []
    return envelope.to_xdr()


def _inner_bad_seq(horizon: HorizonStandIn, payer: Keypair) -> str:
    inner = TransactionEnvelope.from_xdr(_payment(horizon, payer, sequence=0), PASSPHRASE)
    bumped = TransactionBuilder.build_fee_bump_transaction(payer, 200, inner, PASSPHRASE)
    bumped.sign(payer)
    return bumped.to_xdr()


def _injected(kind: str) -> Callable[[HorizonStandIn, Keypair], str]:
    def make(horizon: HorizonStandIn, payer: Keypair) -> str:
        horizon.fail_next(kind)  # type: ignore[arg-type]
        return _payment(horizon, payer)

    return make


@pytest.mark.parametrize(
    ("make", "refusal", "transaction", "operations"),
    [
        (_underfunded, InsufficientFunds, "tx_failed", ("op_underfunded",)),
        (
            _low_reserve,
            InsufficientFunds,
            "tx_failed",
            ("op_success", "op_low_reserve", "op_no_source_account"),
        ),
        (_injected("insufficient_balance"), InsufficientFunds, "tx_insufficient_balance", ()),
        (_injected("rejected"), NetworkRejected, "tx_failed", ("op_no_trust",)),
        (_unsigned, NetworkRejected, "tx_bad_auth", ()),
        (lambda horizon, payer: "AAAA", NetworkRejected, "tx_malformed", ()),
        (_inner_bad_seq, BadSequence, "tx_bad_seq", ()),
    ],
    ids=[
        "underfunded",
        "low-reserve",
        "insufficient-balance",
        "rejected",
        "bad-auth",
        "malformed",
        "fee-bump-inner-bad-seq",
    ],
)
async def test_each_refusal_is_its_domain_error_with_the_result_codes(  # noqa: PLR0917
    horizon: HorizonStandIn,
    network: HorizonNetwork,
    make: Callable[[HorizonStandIn, Keypair], str],
    refusal: type[NetworkRefusal],
    transaction: str,
    operations: tuple[str, ...],
) -> None:
    payer = Keypair.random()
    horizon.fund(payer.public_key, "100")

    with pytest.raises(NetworkRefusal) as error:
        await network.submit(make(horizon, payer))

    assert type(error.value) is refusal
    assert (error.value.transaction, error.value.operations) == (transaction, operations)
    _quiet(error.value)


async def test_a_server_error_is_unavailable(
    horizon: HorizonStandIn, network: HorizonNetwork
) -> None:
    payer = Keypair.random()
    horizon.fund(payer.public_key)
    horizon.fail_next("server_error")

    with pytest.raises(NetworkUnavailable) as error:
        await network.submit(_payment(horizon, payer))

    assert _quiet(error.value).cause == "http-500"


async def test_horizons_own_timeout_is_unavailable_and_the_retry_finds_it_landed(
    horizon: HorizonStandIn, network: HorizonNetwork
) -> None:
    payer = Keypair.random()
    horizon.fund(payer.public_key)
    xdr = _payment(horizon, payer)
    horizon.fail_next("horizon_timeout")

    with pytest.raises(NetworkUnavailable) as error:
        await network.submit(xdr)
    retried = await network.submit(xdr)

    assert _quiet(error.value).cause == "timeout"
    assert retried == Submission(_hash(xdr), FIRST_LEDGER + 1)


async def test_a_server_that_answers_late_is_unavailable_within_the_timeout(
    horizon: HorizonStandIn, network: HorizonNetwork
) -> None:
    payer = Keypair.random()
    horizon.fund(payer.public_key)
    xdr = _payment(horizon, payer)
    horizon.fail_next("timeout", seconds=LATE)

    started = time.monotonic()
    with pytest.raises(NetworkUnavailable) as error:
        await network.submit(xdr)
    elapsed = time.monotonic() - started
    retried = await network.submit(xdr)

    assert _quiet(error.value).cause == "timeout"
    assert elapsed < LATE - 0.1  # the deadline cut the wait short: it did not wait for the answer
    assert retried.transaction_hash == _hash(xdr)


async def test_a_connection_closed_without_an_answer_is_unavailable(
    horizon: HorizonStandIn, network: HorizonNetwork
) -> None:
    payer = Keypair.random()
    horizon.fund(payer.public_key)
    xdr = _payment(horizon, payer)
    horizon.fail_next("unreachable")

    with pytest.raises(NetworkUnavailable) as error:
        await network.submit(xdr)

    assert _quiet(error.value).cause == "RemoteProtocolError"
    assert horizon.submitted == [xdr]
    assert horizon.accounts[payer.public_key].sequence == FIRST_LEDGER << 32


async def test_a_closed_port_is_unavailable() -> None:
    adapter = HorizonNetwork(f"http://127.0.0.1:{free_port()}/?api_key={SECRET}", TIMEOUT)
    errors: list[NetworkUnavailable] = []
    for call in (adapter.sequence(Keypair.random().public_key), adapter.submit("AAAA")):
        with pytest.raises(NetworkUnavailable) as error:
            await call
        errors.append(error.value)
    await adapter.aclose()

    assert [_quiet(error).cause for error in errors] == ["ConnectError", "ConnectError"]


Hostile = Callable[[int, object], HorizonNetwork]


@pytest.fixture
async def hostile() -> AsyncIterator[Hostile]:
    """HorizonNetworks on servers that answer every request with one status and body."""
    clients: list[httpx.AsyncClient] = []

    def make(status: int, body: object) -> HorizonNetwork:
        def answer(request: httpx.Request) -> httpx.Response:
            assert request.url.params["api_key"] == SECRET  # the provider's key goes along
            if isinstance(body, bytes):
                return httpx.Response(status, content=body)
            return httpx.Response(status, json=body)

        clients.append(httpx.AsyncClient(transport=httpx.MockTransport(answer)))
        return HorizonNetwork(f"http://horizon.test/?api_key={SECRET}", TIMEOUT, clients[-1])

    yield make
    for client in clients:
        await client.aclose()


def _failed(codes: object) -> dict[str, object]:
    return {
        "type": "https://stellar.org/horizon-errors/transaction_failed",
        "detail": "SERVER-TEXT",
        "extras": {"result_codes": codes},
    }


async def test_result_codes_from_a_hostile_server_are_bounded(hostile: Hostile) -> None:
    long_codes = {"transaction": "tx_" + "x" * 100, "operations": ["op_underfunded"] * 5000}
    odd_codes = {"transaction": "SERVER-TEXT <b>", "operations": [7, None, "Op_Success", "op_x"]}

    with pytest.raises(InsufficientFunds) as long_error:
        await hostile(400, _failed(long_codes)).submit("AAAA")
    with pytest.raises(NetworkRejected) as odd_error:
        await hostile(400, _failed(odd_codes)).submit("AAAA")

    assert long_error.value.transaction == "unknown"
    assert long_error.value.operations == ("op_underfunded",) * 100
    assert len(str(long_error.value)) < 2000
    assert odd_error.value.transaction == "unknown"
    assert odd_error.value.operations == ("unknown", "unknown", "unknown", "op_x")
    _quiet(long_error.value)
    _quiet(odd_error.value)


@pytest.mark.parametrize(
    ("status", "body", "cause"),
    [
        (200, b"SERVER-TEXT, not json", "malformed-response"),
        (200, {"hash": "SERVER-TEXT", "ledger": 5}, "malformed-response"),
        (200, {"hash": "ab" * 32, "ledger": True}, "malformed-response"),
        (200, {"sequence": 12}, "malformed-response"),
        (429, {"detail": "SERVER-TEXT"}, "http-429"),
        (503, b"SERVER-TEXT", "http-503"),
        (504, {"type": "https://stellar.org/horizon-errors/timeout"}, "timeout"),
    ],
)
async def test_odd_answers_are_unavailable(
    hostile: Hostile, status: int, body: object, cause: str
) -> None:
    network = hostile(status, body)
    for call in (network.sequence(Keypair.random().public_key), network.submit("AAAA")):
        with pytest.raises(NetworkUnavailable) as error:
            await call
        assert _quiet(error.value).cause == cause
