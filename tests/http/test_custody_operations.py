"""Sign, rotate, export, suspend and resume, and the audit trail, over HTTP on every backend."""

import asyncio
import base64
import hashlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from nacl.public import PrivateKey, SealedBox
from stellar_sdk import Keypair, Network, TransactionEnvelope

from domain.audit import first_broken_link
from entrypoints.container import Container, open_container
from tests.support import AUTH, KEY, OTHER_KEY, TOKEN, http_client, payment_from, settings_for

NEW_KEY = "a brand new caller key, 16+"
TOKEN_ID = hashlib.sha256(TOKEN.encode()).hexdigest()[:12]
TESTNET = Network.TESTNET_NETWORK_PASSPHRASE
PROBLEM = "application/problem+json"


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(container) as test_client:
        yield test_client


async def _wallet(client: httpx.AsyncClient, user_id: str = "ada", key: str = KEY) -> Any:
    body = {"email": f"{user_id}@example.com", "id": user_id}
    assert (await client.post("/users", json=body, headers=AUTH)).status_code == 201
    body = {"userId": user_id, "encryptionKey": key}
    created = await client.post("/wallets/create-user-wallet", json=body, headers=AUTH)
    assert created.status_code == 201
    return created.json()


def _transaction(public_key: str) -> TransactionEnvelope:
    """A payment from the wallet's account (a wallet signs only what is its own), signed already
    by a co-signer of that account.
    """
    envelope = TransactionEnvelope.from_xdr(payment_from(public_key), TESTNET)
    envelope.sign(Keypair.random())
    return envelope


async def _sign(
    client: httpx.AsyncClient,
    xdr: str,
    key: str = KEY,
    network: str = TESTNET,
    user_id: str = "ada",
) -> httpx.Response:
    body = {"encryptionKey": key, "transactionXdr": xdr, "networkPassphrase": network}
    return await client.post(f"/wallets/user/{user_id}/sign", json=body, headers=AUTH)


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, str]) -> httpx.Response:
    return await client.post(path, json=body, headers=AUTH)


def _problem(response: httpx.Response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"].endswith("/" + slug)


def _assert_signed_by(signed_xdr: str, public_key: str, network: str) -> str:
    envelope = TransactionEnvelope.from_xdr(signed_xdr, network)
    transaction_hash = envelope.hash()
    signer = Keypair.from_public_key(public_key)
    mine = [s for s in envelope.signatures if s.signature_hint == signer.signature_hint()]
    assert len(mine) == 1
    signer.verify(transaction_hash, mine[0].signature)
    return envelope.hash_hex()


async def test_sign_adds_a_valid_signature_and_changes_nothing_else(
    client: httpx.AsyncClient,
) -> None:
    wallet = await _wallet(client)
    original = _transaction(wallet["publicKey"])
    response = await _sign(client, original.to_xdr())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["publicKey"] == wallet["publicKey"]
    assert (
        _assert_signed_by(body["signedTransactionXdr"], wallet["publicKey"], TESTNET)
        == (body["transactionHash"])
    )
    signed = TransactionEnvelope.from_xdr(body["signedTransactionXdr"], TESTNET)
    assert signed.transaction.to_xdr_object().to_xdr() == (
        original.transaction.to_xdr_object().to_xdr()
    )
    assert signed.signatures[0] == original.signatures[0]
    assert len(signed.signatures) == len(original.signatures) + 1


async def test_sign_refuses_bad_requests(client: httpx.AsyncClient) -> None:
    wallet = await _wallet(client)
    xdr = _transaction(wallet["publicKey"]).to_xdr()
    _problem(await _sign(client, "not xdr at all"), 400, "invalid-input")
    _problem(await _sign(client, xdr, network="Some Private Network"), 400, "invalid-input")
    _problem(await _sign(client, xdr, key=OTHER_KEY), 403, "wrong-encryption-key")
    _problem(await _sign(client, xdr, user_id="nobody"), 404, "wallet-not-found")


async def test_rotation_moves_the_wallet_to_the_new_key(client: httpx.AsyncClient) -> None:
    wallet = await _wallet(client)
    body = {"encryptionKey": KEY, "newEncryptionKey": NEW_KEY}
    rotated = await _post(client, "/wallets/user/ada/rotate-key", body)
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["publicKey"] == wallet["publicKey"]
    assert rotated.json()["walletId"] == wallet["walletId"]
    xdr = _transaction(wallet["publicKey"]).to_xdr()
    _problem(await _sign(client, xdr, key=KEY), 403, "wrong-encryption-key")
    signed = await _sign(client, xdr, key=NEW_KEY)
    _assert_signed_by(signed.json()["signedTransactionXdr"], wallet["publicKey"], TESTNET)
    replay = {"userId": "ada", "encryptionKey": NEW_KEY}
    assert (await _post(client, "/wallets/create-user-wallet", replay)).status_code == 200
    _problem(await _post(client, "/wallets/user/ada/rotate-key", body), 403, "wrong-encryption-key")


async def test_concurrent_rotations_never_lose_an_update(client: httpx.AsyncClient) -> None:
    """Two rotations from the same key race: one wins, the other finds the key no longer opens
    the wallet. The winner's key is the wallet's key afterwards."""
    public_key = (await _wallet(client))["publicKey"]
    targets = [f"{NEW_KEY} #{n}" for n in range(4)]
    responses = await asyncio.gather(
        *(
            _post(
                client,
                "/wallets/user/ada/rotate-key",
                {"encryptionKey": KEY, "newEncryptionKey": target},
            )
            for target in targets
        ),
        *(_sign(client, _transaction(public_key).to_xdr()) for _ in range(4)),
    )
    rotations, signs = responses[:4], responses[4:]
    winners = [t for t, r in zip(targets, rotations, strict=True) if r.status_code == 200]
    assert len(winners) == 1
    assert all(r.status_code in {200, 403} for r in [*rotations, *signs])
    for refused in (r for r in [*rotations, *signs] if r.status_code == 403):
        _problem(refused, 403, "wrong-encryption-key")  # not a policy's refusal
    signed = await _sign(client, _transaction(public_key).to_xdr(), key=winners[0])
    assert signed.status_code == 200
    events = (await client.get("/wallets/user/ada/events", headers=AUTH)).json()["events"]
    assert [e["type"] for e in events].count("rotated") == 1
    assert [e["type"] for e in events].count("signed") == 1 + sum(
        s.status_code == 200 for s in signs
    )


async def test_export_is_refused_unless_allowed(client: httpx.AsyncClient) -> None:
    await _wallet(client)
    recipient = base64.b64encode(bytes(PrivateKey.generate().public_key)).decode()
    body = {"encryptionKey": KEY, "recipientPublicKey": recipient}
    _problem(await _post(client, "/wallets/user/ada/export", body), 403, "export-disabled")


async def test_export_seals_the_seed_to_the_recipient(database_url: str) -> None:
    settings = replace(settings_for(database_url), allow_export=True)
    async with open_container(settings) as container, http_client(container) as client:
        wallet = await _wallet(client)
        recipient = PrivateKey.generate()
        body = {
            "encryptionKey": KEY,
            "recipientPublicKey": base64.b64encode(bytes(recipient.public_key)).decode(),
        }
        response = await _post(client, "/wallets/user/ada/export", body)
        assert response.status_code == 200, response.text
        seed = SealedBox(recipient).decrypt(base64.b64decode(response.json()["sealedSecret"]))
        assert Keypair.from_raw_ed25519_seed(seed).public_key == wallet["publicKey"]
        async with container.unit_of_work() as uow:
            stored = await uow.wallets.get_by_user("ada")
        assert stored is not None
        assert stored.exported_at is not None
        bad = {"encryptionKey": KEY, "recipientPublicKey": "not a key"}
        _problem(await _post(client, "/wallets/user/ada/export", bad), 400, "invalid-input")


async def test_a_suspended_wallet_reads_but_cannot_be_used(client: httpx.AsyncClient) -> None:
    xdr = _transaction((await _wallet(client))["publicKey"]).to_xdr()
    suspended = await _post(client, "/wallets/user/ada/suspend", {})
    assert suspended.status_code == 200
    assert suspended.json()["status"] == "suspended"
    read = await client.get("/wallets/user/ada", headers=AUTH)
    assert read.json()["status"] == "suspended"
    _problem(await _sign(client, xdr), 423, "wallet-suspended")
    rotate = {"encryptionKey": KEY, "newEncryptionKey": NEW_KEY}
    _problem(await _post(client, "/wallets/user/ada/rotate-key", rotate), 423, "wallet-suspended")
    recipient = base64.b64encode(bytes(PrivateKey.generate().public_key)).decode()
    export = {"encryptionKey": KEY, "recipientPublicKey": recipient}
    assert (await _post(client, "/wallets/user/ada/export", export)).status_code in {403, 423}
    resumed = await _post(client, "/wallets/user/ada/resume", {})
    assert resumed.json()["status"] == "active"
    assert (await _sign(client, xdr)).status_code == 200
    _problem(await _post(client, "/wallets/user/nobody/suspend", {}), 404, "wallet-not-found")


async def test_every_change_is_in_the_chained_audit_trail(
    container: Container, client: httpx.AsyncClient
) -> None:
    wallet = await _wallet(client)
    signed = await _sign(client, _transaction(wallet["publicKey"]).to_xdr())
    assert signed.status_code == 200, signed.text
    await _post(client, "/wallets/user/ada/suspend", {})
    await _post(client, "/wallets/user/ada/suspend", {})  # already suspended: no new event
    await _post(client, "/wallets/user/ada/resume", {})
    await _post(
        client, "/wallets/user/ada/rotate-key", {"encryptionKey": KEY, "newEncryptionKey": NEW_KEY}
    )
    first = (await client.get("/wallets/user/ada/events?limit=2", headers=AUTH)).json()
    assert len(first["events"]) == 2
    assert first["nextCursor"] == 2
    rest = await client.get(f"/wallets/user/ada/events?cursor={first['nextCursor']}", headers=AUTH)
    events = first["events"] + rest.json()["events"]
    assert rest.json()["nextCursor"] is None
    assert [e["type"] for e in events] == ["created", "signed", "suspended", "resumed", "rotated"]
    assert [e["sequence"] for e in events] == [1, 2, 3, 4, 5]
    assert {e["tokenId"] for e in events} == {TOKEN_ID}
    assert events[1]["details"]["networkPassphrase"] == TESTNET
    for previous, event in itertools.pairwise(events):
        assert event["prevHash"] == previous["hash"]
    async with container.unit_of_work() as uow:
        wallet = await uow.wallets.get_by_user("ada")
        assert wallet is not None
        stored = await uow.events.after(wallet.id, 0, 100)
    assert first_broken_link(wallet.id, stored) is None
    joined = str(events)
    assert KEY not in joined
    assert NEW_KEY not in joined
    assert TOKEN not in joined
    _problem(await client.get("/wallets/user/nobody/events", headers=AUTH), 404, "wallet-not-found")
