"""Sponsored activation and change of signers over HTTP: every transaction decoded with
stellar-sdk, each signature verified over the test network's hash, its operations, sources and
order checked; the same request gives the same transaction; each signing is in the audit trail.
With `"submit": true`, against the loopback Horizon stand-in: the ledger changed as asked, a
retry answered as submitted, each refusal and failure of the network mapped to its problem, no
database connection held while the network answers, and no secret in any answer or log line.
"""

import asyncio
import base64
import logging
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from stellar_sdk import (
    Asset,
    BeginSponsoringFutureReserves,
    ChangeTrust,
    CreateAccount,
    EndSponsoringFutureReserves,
    Keypair,
    Network,
    SetOptions,
    TransactionEnvelope,
)

from adapters.sql.engine import PoolSettings
from entrypoints.container import Container, open_container
from tests.horizon_standin import STROOPS, Fault, HorizonStandIn
from tests.support import AUTH, KEY, OTHER_KEY, Faults, faulty_creation, http_client, settings_for

TESTNET = Network.TESTNET_NETWORK_PASSPHRASE
SPONSOR_KEY = "the treasury's own key, 16+ chars"
ACTIVATE, SIGNERS = "/wallets/user/ada/activation", "/wallets/user/ada/signers"
PROBLEM = "application/problem+json"
USDC, EURC = Keypair.random().public_key, Keypair.random().public_key  # their issuers
COSIGNER, OTHER_COSIGNER, OLD_COSIGNER = (Keypair.random().public_key for _ in range(3))
SEQUENCE = 4294967296
VALID_UNTIL = 1893456000
LARGEST_LIMIT = "922337203685.4775807"
ACQUIRE_TIMEOUT = 1.0
"""Seconds a request waits for the pool's one connection before it is refused (503)."""
PROMPTLY = 3.0
"""Seconds: generous for a request that needs no connection another one holds (one that waited
for the held connection would be refused, 503, after ACQUIRE_TIMEOUT: the statuses tell)."""
LATE = 5.0
"""Seconds the network takes to answer a submission: longer than the other requests take, even
on a loaded machine."""


@dataclass(frozen=True)
class Keys:
    """The public keys of ada's wallet and of the treasury's, which sponsors it."""

    ada: str
    treasury: str


async def _wallet(client: httpx.AsyncClient, user_id: str, key: str = KEY) -> str:
    body = {"email": f"{user_id}@example.com", "id": user_id}
    assert (await client.post("/users", json=body, headers=AUTH)).status_code == 201
    body = {"userId": user_id, "encryptionKey": key}
    created = await client.post("/wallets/create-user-wallet", json=body, headers=AUTH)
    assert created.status_code == 201, created.text
    public_key: str = created.json()["publicKey"]
    return public_key


async def _wallets(client: httpx.AsyncClient) -> Keys:
    return Keys(await _wallet(client, "ada"), await _wallet(client, "treasury", SPONSOR_KEY))


def _changed(body: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`body` with `changes`; a change to None leaves the member out."""
    return {k: v for k, v in {**body, **changes}.items() if v is not None}


def _activation(**changes: Any) -> dict[str, Any]:
    body = {
        "encryptionKey": KEY,
        "networkPassphrase": TESTNET,
        "sponsor": {"userId": "treasury", "encryptionKey": SPONSOR_KEY},
        "sponsorSequence": str(SEQUENCE),
        "trustlines": [
            {"code": "USDC", "issuer": USDC, "limit": "1000000"},
            {"code": "EURC", "issuer": EURC},
        ],
        "validUntil": VALID_UNTIL,
    }
    return _changed(body, changes)


def _submitted_activation(**changes: Any) -> dict[str, Any]:
    """Trusting USDC alone, the sponsor's sequence read from the network."""
    trustlines = [{"code": "USDC", "issuer": USDC}]
    body = _activation(sponsorSequence=None, validUntil=None, trustlines=trustlines, submit=True)
    return _changed(body, changes)


def _signer_change(**changes: Any) -> dict[str, Any]:
    body = {
        "encryptionKey": KEY,
        "networkPassphrase": TESTNET,
        "sequence": str(2 * SEQUENCE),
        "currentSigners": [{"key": OLD_COSIGNER, "weight": 1}],
        "remove": [OLD_COSIGNER],
        "add": [{"key": COSIGNER, "weight": 1}, {"key": OTHER_COSIGNER, "weight": 2}],
        "masterWeight": 1,
        "thresholds": {"low": 1, "medium": 2, "high": 2},
        "validUntil": VALID_UNTIL,
    }
    return _changed(body, changes)


def _submitted_change(**changes: Any) -> dict[str, Any]:
    """A co-signer added, 2 of 2, the sequence read from the network."""
    body = {
        "encryptionKey": KEY,
        "networkPassphrase": TESTNET,
        "add": [{"key": COSIGNER, "weight": 1}],
        "thresholds": {"low": 1, "medium": 2, "high": 2},
        "submit": True,
    }
    return _changed(body, changes)


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> httpx.Response:
    return await client.post(path, json=body, headers=AUTH)


async def _ok(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await _post(client, path, body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _verified(body: dict[str, Any], signers: list[str]) -> TransactionEnvelope:
    """The envelope of a 200 answer, its hash the answer's and signed by `signers` in order,
    each signature verified over the test network's hash.
    """
    envelope = TransactionEnvelope.from_xdr(body["transactionXdr"], TESTNET)
    assert envelope.hash_hex() == body["transactionHash"]
    assert body["signedBy"] == signers
    assert len(envelope.signatures) == len(signers)
    for key, signature in zip(signers, envelope.signatures, strict=True):
        keypair = Keypair.from_public_key(key)
        assert signature.signature_hint == keypair.signature_hint()
        keypair.verify(envelope.hash(), signature.signature)
    return envelope


def _source(operation: Any) -> str | None:
    return None if operation.source is None else str(operation.source.account_id)


def _problem(response: httpx.Response, status: int, slug: str, detail: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"].endswith(f"/problems/{slug}")
    if detail is not None:
        assert body["detail"] == detail
    if status == 503:
        assert int(response.headers["retry-after"]) >= 1


async def _events(client: httpx.AsyncClient, user_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/wallets/user/{user_id}/events", headers=AUTH)
    assert response.status_code == 200
    events: list[dict[str, Any]] = response.json()["events"]
    return events


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(container) as test_client:
        yield test_client


@pytest.fixture
def standin() -> Iterator[HorizonStandIn]:
    with HorizonStandIn(TESTNET) as running:
        yield running


@asynccontextmanager
async def _served(
    standin: HorizonStandIn, database_url: str = "memory://", **changes: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app whose Stellar network is the stand-in."""
    changes = {"horizon_timeout": 5.0, **changes}
    settings = settings_for(database_url, horizon_url=standin.url, **changes)
    async with open_container(settings) as container, http_client(container) as client:
        yield client


def _forbidden(seeds: list[bytes], keys: list[str]) -> list[str]:
    """The caller keys, and each seed as a Stellar secret, in hex and in base64."""
    needles = list(keys)
    for seed in seeds:
        needles += [Keypair.from_raw_ed25519_seed(seed).secret, seed.hex(), seed.hex().upper()]
        needles += [base64.b64encode(seed).decode(), base64.urlsafe_b64encode(seed).decode()[:-1]]
    return needles


def _assert_clean(haystack: str, needles: list[str]) -> None:
    for needle in needles:
        assert needle not in haystack


# Built and signed offline, on every backend


async def test_an_activation_is_signed_by_the_sponsor_then_the_wallet(
    client: httpx.AsyncClient,
) -> None:
    keys = await _wallets(client)
    body = await _ok(client, ACTIVATE, _activation())
    assert (body["publicKey"], body["sponsorPublicKey"]) == (keys.ada, keys.treasury)
    assert "submitted" not in body
    transaction = _verified(body, [keys.treasury, keys.ada]).transaction
    assert transaction.source.account_id == keys.treasury
    assert transaction.sequence == SEQUENCE + 1
    assert transaction.fee == 100 * 5
    bounds = transaction.preconditions.time_bounds if transaction.preconditions else None
    assert bounds is not None
    assert (bounds.min_time, bounds.max_time) == (0, VALID_UNTIL)
    begin, create, usdc, eurc, end = transaction.operations
    assert isinstance(begin, BeginSponsoringFutureReserves)
    assert (_source(begin), begin.sponsored_id) == (keys.treasury, keys.ada)
    assert isinstance(create, CreateAccount)
    assert (_source(create), create.destination) == (keys.treasury, keys.ada)
    assert Decimal(create.starting_balance) == 0
    for line, (code, issuer, limit) in zip(
        (usdc, eurc), (("USDC", USDC, "1000000"), ("EURC", EURC, LARGEST_LIMIT)), strict=True
    ):
        assert isinstance(line, ChangeTrust)
        assert (_source(line), line.asset, Decimal(line.limit)) == (
            keys.ada,
            Asset(code, issuer),
            Decimal(limit),
        )
    assert isinstance(end, EndSponsoringFutureReserves)
    assert _source(end) == keys.ada


async def test_an_activation_is_deterministic_and_each_signing_is_recorded_on_both_wallets(
    client: httpx.AsyncClient,
) -> None:
    keys = await _wallets(client)
    first = await _ok(client, ACTIVATE, _activation())
    assert await _ok(client, ACTIVATE, _activation()) == first
    for user_id, role in (("ada", "account"), ("treasury", "sponsor")):
        signed = [e for e in await _events(client, user_id) if e["type"] == "activation_signed"]
        assert [e["details"] for e in signed] == 2 * [
            {
                "transactionHash": first["transactionHash"],
                "networkPassphrase": TESTNET,
                "role": role,
                "account": keys.ada,
                "sponsor": keys.treasury,
            }
        ]


async def test_a_sponsor_held_elsewhere_leaves_its_signature_to_its_holder(
    client: httpx.AsyncClient,
) -> None:
    ada = await _wallet(client, "ada")
    sponsor = Keypair.random().public_key
    body = await _ok(client, ACTIVATE, _activation(sponsor={"publicKey": sponsor}, trustlines=[]))
    assert body["sponsorPublicKey"] == sponsor
    transaction = _verified(body, [ada]).transaction
    assert transaction.source.account_id == sponsor
    assert [type(op) for op in transaction.operations] == [
        BeginSponsoringFutureReserves,
        CreateAccount,
        EndSponsoringFutureReserves,
    ]
    assert transaction.fee == 100 * 3
    assert [e["details"]["role"] for e in (await _events(client, "ada"))[1:]] == ["account"]


async def test_a_signer_change_is_signed_by_the_wallet(client: httpx.AsyncClient) -> None:
    ada = await _wallet(client, "ada")
    body = await _ok(client, SIGNERS, _signer_change())
    assert body["publicKey"] == ada
    assert "sponsorPublicKey" not in body
    assert "submitted" not in body
    transaction = _verified(body, [ada]).transaction
    assert transaction.source.account_id == ada
    assert transaction.sequence == 2 * SEQUENCE + 1
    assert transaction.fee == 100 * 4
    operations = transaction.operations
    assert all(isinstance(op, SetOptions) and op.source is None for op in operations)
    thresholds, removed, *added = operations
    assert isinstance(thresholds, SetOptions)
    assert (thresholds.master_weight, thresholds.signer) == (1, None)
    levels = (thresholds.low_threshold, thresholds.med_threshold, thresholds.high_threshold)
    assert levels == (1, 2, 2)
    signers = []
    for op in (removed, *added):
        assert isinstance(op, SetOptions)
        assert op.signer is not None
        assert (op.master_weight, op.low_threshold) == (None, None)
        signers.append((op.signer.signer_key.encoded_signer_key, op.signer.weight))
    assert signers == [(OLD_COSIGNER, 0), (COSIGNER, 1), (OTHER_COSIGNER, 2)]


async def test_a_signer_change_is_deterministic_and_each_signing_is_recorded(
    client: httpx.AsyncClient,
) -> None:
    await _wallet(client, "ada")
    first = await _ok(client, SIGNERS, _signer_change())
    assert await _ok(client, SIGNERS, _signer_change()) == first
    signed = [e for e in await _events(client, "ada") if e["type"] == "signer_change_signed"]
    assert [e["details"] for e in signed] == 2 * [
        {
            "transactionHash": first["transactionHash"],
            "networkPassphrase": TESTNET,
            "added": f"{COSIGNER}:1,{OTHER_COSIGNER}:2",
            "removed": OLD_COSIGNER,
            "masterWeight": "1",
            "thresholds": "1,2,2",
        }
    ]


async def test_refusals_name_the_wallet_at_fault_and_record_nothing(
    client: httpx.AsyncClient,
) -> None:
    await _wallet(client, "ada")
    missing = await _post(client, ACTIVATE, _activation())
    _problem(missing, 404, "wallet-not-found", "user 'treasury' has no wallet")
    await _wallet(client, "treasury", SPONSOR_KEY)
    wrong = _activation(sponsor={"userId": "treasury", "encryptionKey": OTHER_KEY})
    detail = "the sponsor's encryption key does not open the wallet of user 'treasury'"
    _problem(await _post(client, ACTIVATE, wrong), 403, "wrong-encryption-key", detail)
    wrong = _activation(encryptionKey=OTHER_KEY)
    detail = "the wallet of user 'ada' exists under a different encryption key"
    _problem(await _post(client, ACTIVATE, wrong), 403, "wrong-encryption-key", detail)
    assert (await client.post("/wallets/user/treasury/suspend", json={}, headers=AUTH)).is_success
    detail = "the wallet of user 'treasury' is suspended"
    _problem(await _post(client, ACTIVATE, _activation()), 423, "wallet-suspended", detail)
    alone = _signer_change(currentSigners=[], remove=[], add=[])  # master 1, high threshold 2
    _problem(await _post(client, SIGNERS, alone), 400, "lockout")
    allowed = await _ok(client, SIGNERS, _changed(alone, {"allowLockout": True}))
    assert len(_verified(allowed, [allowed["publicKey"]]).transaction.operations) == 1
    no_network = await _post(client, SIGNERS, _signer_change(submit=True))
    detail = "submit: needs a Stellar network: none is configured"
    _problem(no_network, 400, "invalid-input", detail)
    kinds = [e["type"] for e in await _events(client, "ada")]
    assert kinds == ["created", "signer_change_signed"]  # the lockout allowed, only


# Submitted to the network (the Horizon stand-in)


async def test_a_submitted_activation_creates_the_account_with_its_trustline_and_sponsor(
    database_url: str, standin: HorizonStandIn
) -> None:
    async with _served(standin, database_url) as client:
        keys = await _wallets(client)
        treasury = standin.fund(keys.treasury, "100")
        read = treasury.sequence
        body = await _ok(client, ACTIVATE, _submitted_activation())
    transaction = _verified(body, [keys.treasury, keys.ada]).transaction
    assert transaction.sequence == read + 1  # read from the network
    assert body["submitted"] == {"hash": body["transactionHash"], "ledger": standin.state.ledger}
    assert standin.submitted == [body["transactionXdr"]]
    account = standin.accounts[keys.ada]
    assert (account.balance, account.sponsor) == (0, keys.treasury)
    assert set(account.trustlines) == {f"USDC:{USDC}"}
    assert account.sponsored_entries == {f"trustline:USDC:{USDC}": keys.treasury}
    assert account.num_sponsored == 3  # the account's two reserves and its trustline's
    treasury = standin.accounts[keys.treasury]  # the ledger's accounts are new objects now
    assert (treasury.sequence, treasury.num_sponsoring) == (read + 1, 3)


async def test_a_submitted_signer_change_makes_the_account_two_of_two(
    database_url: str, standin: HorizonStandIn
) -> None:
    async with _served(standin, database_url) as client:
        keys = await _wallets(client)
        standin.fund(keys.treasury, "100")
        await _ok(client, ACTIVATE, _submitted_activation())
        # A sponsored account starts with no XLM: it pays its fee and its new signer's reserve.
        standin.accounts[keys.ada].balance += 5 * STROOPS
        read = standin.accounts[keys.ada].sequence
        body = await _ok(client, SIGNERS, _submitted_change())
    transaction = _verified(body, [keys.ada]).transaction
    assert transaction.sequence == read + 1
    assert body["submitted"] == {"hash": body["transactionHash"], "ledger": standin.state.ledger}
    account = standin.accounts[keys.ada]
    assert (account.signers, account.master_weight, account.thresholds) == (
        {COSIGNER: 1},
        1,
        [1, 2, 2],
    )
    assert account.sequence == read + 1


async def test_a_retried_activation_with_its_sponsor_sequence_is_answered_as_submitted(
    standin: HorizonStandIn,
) -> None:
    async with _served(standin) as client:
        keys = await _wallets(client)
        treasury = standin.fund(keys.treasury, "100")
        request = _submitted_activation(sponsorSequence=str(treasury.sequence))
        first = await _ok(client, ACTIVATE, request)
        assert await _ok(client, ACTIVATE, request) == first  # Horizon answers from its history
        standin.fail_next("bad_seq")  # not ingested yet: stellar-core's answer to a replay
        assert await _ok(client, ACTIVATE, request) == first  # looked up by its hash
    assert len(standin.state.transactions) == 1
    assert standin.accounts[keys.treasury].sequence == int(request["sponsorSequence"]) + 1


async def test_a_retried_signer_change_with_its_sequence_is_answered_as_submitted(
    standin: HorizonStandIn,
) -> None:
    async with _served(standin) as client:
        ada = await _wallet(client, "ada")
        account = standin.fund(ada, "10")
        request = _submitted_change(sequence=str(account.sequence))
        first = await _ok(client, SIGNERS, request)
        assert await _ok(client, SIGNERS, request) == first
        standin.fail_next("bad_seq")
        assert await _ok(client, SIGNERS, request) == first
    assert len(standin.state.transactions) == 1


async def test_a_late_answer_is_503_and_the_same_request_again_is_answered_as_submitted(
    standin: HorizonStandIn,
) -> None:
    async with _served(standin, horizon_timeout=0.3) as client:
        keys = await _wallets(client)
        treasury = standin.fund(keys.treasury, "100")
        request = _submitted_activation(sponsorSequence=str(treasury.sequence))
        standin.fail_next("timeout", seconds=0.6)  # then applied
        _problem(await _post(client, ACTIVATE, request), 503, "network-unavailable")
        deadline = time.monotonic() + 5
        while keys.ada not in standin.accounts and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert keys.ada in standin.accounts  # it landed after all
        body = await _ok(client, ACTIVATE, request)
    assert body["submitted"]["hash"] == body["transactionHash"]
    assert len(standin.state.transactions) == 1


async def test_a_retried_activation_without_its_sponsor_sequence_is_refused_as_done(
    standin: HorizonStandIn,
) -> None:
    """A retry without sponsorSequence would read the sponsor's next sequence number and build
    another transaction: it is refused before anything is signed (409 account-exists).
    """
    async with _served(standin) as client:
        keys = await _wallets(client)
        standin.fund(keys.treasury, "100")
        await _ok(client, ACTIVATE, _submitted_activation())
        sent = len(standin.submitted)
        again = await _post(client, ACTIVATE, _submitted_activation())
    assert again.status_code == 409, again.text
    assert again.json()["type"].endswith("/account-exists")
    assert len(standin.submitted) == sent


async def test_a_retried_signer_change_without_its_sequence_is_another_transaction(
    standin: HorizonStandIn,
) -> None:
    """As the README says: without `sequence`, each request is built on the account's next
    sequence number, so a retry after the change landed is a new transaction, here one the
    wallet alone can no longer authorize (2 of 2). The same request WITH its sequence number is
    answered as submitted (test above).
    """
    async with _served(standin) as client:
        ada = await _wallet(client, "ada")
        standin.fund(ada, "10")
        first = await _ok(client, SIGNERS, _submitted_change())
        again = await _post(client, SIGNERS, _submitted_change())
    assert again.status_code == 502, again.text
    assert "(tx_failed, op_bad_auth" in again.json()["detail"]
    assert first["submitted"]["hash"] != again.json().get("transactionHash")


NETWORK_FAULTS: list[tuple[Fault, int, str, str]] = [
    ("bad_seq", 409, "bad-sequence", "(tx_bad_seq)"),
    ("insufficient_balance", 422, "insufficient-funds", "(tx_insufficient_balance)"),
    ("rejected", 502, "network-rejected", "(tx_failed, op_no_trust)"),
    ("server_error", 503, "network-unavailable", "retry later"),
    ("unreachable", 503, "network-unavailable", "retry later"),
    ("horizon_timeout", 503, "network-unavailable", "retry later"),
]
"""A failure injected in the stand-in's answer to the submission, the status, problem and end of
the detail it must be answered with."""


@pytest.mark.parametrize("failure", NETWORK_FAULTS, ids=lambda failure: failure[0])
@pytest.mark.parametrize("path", [ACTIVATE, SIGNERS])
async def test_each_network_failure_is_answered_with_its_problem(
    standin: HorizonStandIn, path: str, failure: tuple[Fault, int, str, str]
) -> None:
    fault, status, slug, ending = failure
    async with _served(standin) as client:
        keys = await _wallets(client)
        standin.fund(keys.treasury if path == ACTIVATE else keys.ada, "100")
        standin.fail_next(fault)
        request = _submitted_activation() if path == ACTIVATE else _submitted_change()
        response = await _post(client, path, request)
        _problem(response, status, slug)
        assert response.json()["detail"].endswith(ending)
        signing = "activation_signed" if path == ACTIVATE else "signer_change_signed"
        assert (await _events(client, "ada"))[-1]["type"] == signing  # signed before it was sent
    assert len(standin.submitted) == 1
    applied = fault == "horizon_timeout"  # applied, then answered 504
    assert (keys.ada in standin.accounts) is (applied or path == SIGNERS)
    assert (standin.state.ledger > 100) is applied


async def test_the_networks_own_refusals_are_answered_with_their_problems(
    standin: HorizonStandIn,
) -> None:
    async with _served(standin) as client:
        keys = await _wallets(client)
        treasury = standin.fund(keys.treasury, "1.0000399")  # not even the fee above its reserve
        stale = _submitted_activation(sponsorSequence=str(treasury.sequence - 1))
        detail = "the sequence number is not the next one of the source account (tx_bad_seq)"
        _problem(await _post(client, ACTIVATE, stale), 409, "bad-sequence", detail)
        poor = await _post(client, ACTIVATE, _submitted_activation())
        detail = "an account lacks the balance or reserve needed (tx_insufficient_balance)"
        _problem(poor, 422, "insufficient-funds", detail)
        treasury.balance += 12 * STROOPS // 10  # the new account's reserves, not its trustline's
        low = await _post(client, ACTIVATE, _submitted_activation())
        codes = "tx_failed, op_success, op_success, op_low_reserve, op_success"
        _problem(
            low,
            422,
            "insufficient-funds",
            f"an account lacks the balance or reserve needed ({codes})",
        )
        nowhere = Keypair.random().public_key
        elsewhere = _submitted_activation(sponsor={"publicKey": nowhere})
        detail = f"account {nowhere} does not exist on the network"
        _problem(await _post(client, ACTIVATE, elsewhere), 422, "account-not-on-network", detail)
        standin.fund(nowhere, "100")  # there now, but its holder has not signed
        detail = "the network rejected the transaction (tx_bad_auth)"
        _problem(await _post(client, ACTIVATE, elsewhere), 502, "network-rejected", detail)
        detail = f"account {keys.ada} does not exist on the network"
        _problem(
            await _post(client, SIGNERS, _submitted_change()), 422, "account-not-on-network", detail
        )
    assert keys.ada not in standin.accounts


async def test_a_sponsored_account_needs_xlm_for_its_signer_change(
    standin: HorizonStandIn,
) -> None:
    async with _served(standin) as client:
        keys = await _wallets(client)
        standin.fund(keys.treasury, "100")
        await _ok(client, ACTIVATE, _submitted_activation())
        poor = await _post(client, SIGNERS, _submitted_change())
        detail = "an account lacks the balance or reserve needed (tx_insufficient_balance)"
        _problem(poor, 422, "insufficient-funds", detail)
        standin.accounts[keys.ada].balance += 5 * STROOPS
        await _ok(client, SIGNERS, _submitted_change())


# No database connection is held while the network answers


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_url(request: pytest.FixtureRequest) -> str:
    fixture = "sqlite_url" if request.param == "sqlite" else "clean_postgres_url"
    return str(request.getfixturevalue(fixture))


@pytest.mark.parametrize("path", [ACTIVATE, SIGNERS])
async def test_other_requests_are_served_while_the_network_answers_late(
    sql_url: str, standin: HorizonStandIn, path: str
) -> None:
    pool = PoolSettings(size=1, acquire_timeout=ACQUIRE_TIMEOUT)
    async with _served(standin, sql_url, pool=pool, horizon_timeout=10.0) as client:
        keys = await _wallets(client)
        standin.fund(keys.treasury if path == ACTIVATE else keys.ada, "100")
        body = {"email": "cy@example.com", "id": "cy"}
        assert (await client.post("/users", json=body, headers=AUTH)).status_code == 201
        standin.fail_next("timeout", seconds=LATE)
        request = _submitted_activation() if path == ACTIVATE else _submitted_change()
        submitting = asyncio.create_task(_post(client, path, request))
        deadline = time.monotonic() + 5
        while not standin.submitted and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert standin.submitted, "the transaction never reached the network"
        served = []
        for method, other, json in (
            ("GET", "/wallets/user/ada", None),
            ("POST", "/wallets/create-user-wallet", {"userId": "cy", "encryptionKey": OTHER_KEY}),
            ("GET", "/wallets/user/treasury/events", None),
        ):
            started = time.perf_counter()
            response = await client.request(method, other, json=json, headers=AUTH)
            served.append((response.status_code, time.perf_counter() - started))
        assert [status for status, _ in served] == [200, 201, 200], served
        assert max(seconds for _, seconds in served) < PROMPTLY, served
        assert not submitting.done(), "the network answered before the others were served"
        submitted = await submitting
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["submitted"]["hash"] == submitted.json()["transactionHash"]


# No secret in any answer or log line


async def test_account_operations_leak_no_secret(
    database_url: str, standin: HorizonStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    settings = settings_for(database_url, horizon_url=standin.url, horizon_timeout=0.5)
    async with open_container(settings) as container:
        with faulty_creation(container, Faults()) as generated:
            async with http_client(container) as client:
                keys = await _wallets(client)
                standin.fund(keys.treasury, "100")
                requests: list[tuple[str, dict[str, Any], Fault | None]] = [
                    (ACTIVATE, _activation(), None),
                    (
                        ACTIVATE,
                        _activation(sponsor={"userId": "treasury", "encryptionKey": KEY}),
                        None,
                    ),
                    (ACTIVATE, _activation(encryptionKey=SPONSOR_KEY), None),
                    (ACTIVATE, _submitted_activation(), "unreachable"),
                    (ACTIVATE, _submitted_activation(), None),
                    (ACTIVATE, _submitted_activation(), None),  # a retry
                    (SIGNERS, _signer_change(), None),
                    (SIGNERS, _signer_change(encryptionKey=SPONSOR_KEY), None),
                    (SIGNERS, _submitted_change(), None),  # no XLM yet
                    (SIGNERS, _submitted_change(validUntil=1), "server_error"),
                    (SIGNERS, _submitted_change(validUntil=1), "timeout"),
                    (SIGNERS, _submitted_change(validUntil=1), None),  # too late
                ]
                for path, body, fault in requests:
                    if fault is not None:
                        standin.fail_next(fault, seconds=1.0)
                    response = await _post(client, path, body)
                    assert response.status_code != 200 or "transactionXdr" in response.text
                    seen += [response.text, str(response.headers)]
                for user_id in ("ada", "treasury"):
                    events = await client.get(f"/wallets/user/{user_id}/events", headers=AUTH)
                    seen.append(events.text)
    assert len(generated.seeds) == 2
    needles = _forbidden(generated.seeds, [KEY, OTHER_KEY, SPONSOR_KEY])
    _assert_clean("\n".join(seen), needles)
    _assert_clean(caplog.text, needles)
    _assert_clean("\n".join(standin.submitted), needles)
