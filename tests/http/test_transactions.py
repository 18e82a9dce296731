"""POST /transactions/inspect: a co-signing flow with the wallet's `sign`, and no wallet touched."""

from collections.abc import AsyncIterator

import httpx
import pytest
from stellar_sdk import Account, Asset, Keypair, Network, TransactionBuilder, TransactionEnvelope

from entrypoints.container import Container
from tests.support import AUTH, KEY, http_client

TESTNET = Network.TESTNET_NETWORK_PASSPHRASE


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(container) as test_client:
        yield test_client


async def test_a_cosigned_transaction_meets_the_threshold_once_both_signed(
    client: httpx.AsyncClient,
) -> None:
    assert (
        await client.post("/users", json={"email": "a@b.c", "id": "ada"}, headers=AUTH)
    ).status_code == 201
    body = {"userId": "ada", "encryptionKey": KEY}
    wallet = (await client.post("/wallets/create-user-wallet", json=body, headers=AUTH)).json()
    cosigner = Keypair.random()
    builder = TransactionBuilder(Account(wallet["publicKey"], 7), TESTNET, base_fee=100)
    builder.append_payment_op(Keypair.random().public_key, Asset.native(), "1").set_timeout(300)
    envelope = builder.build()
    envelope.sign(cosigner)
    signers = [{"key": wallet["publicKey"], "weight": 1}, {"key": cosigner.public_key, "weight": 1}]

    async def inspect(xdr: str) -> dict[str, object]:
        request = {
            "transactionXdr": xdr,
            "networkPassphrase": TESTNET,
            "signers": signers,
            "thresholds": {"low": 1, "medium": 2, "high": 2},
        }
        response = await client.post("/transactions/inspect", json=request, headers=AUTH)
        assert response.status_code == 200, response.text
        result: dict[str, object] = response.json()
        return result

    half = await inspect(envelope.to_xdr())
    assert (half["weight"], half["required"], half["met"], half["feeBump"]) == (
        1,
        "medium",
        False,
        None,
    )
    sign = {"encryptionKey": KEY, "transactionXdr": envelope.to_xdr(), "networkPassphrase": TESTNET}
    signed = (await client.post("/wallets/user/ada/sign", json=sign, headers=AUTH)).json()
    both = await inspect(signed["signedTransactionXdr"])
    assert both["transactionHash"] == signed["transactionHash"] == envelope.hash_hex()
    assert (both["weight"], both["met"], both["unmatchedSignatures"]) == (2, True, 0)
    assert both["signatures"] == [signers[1], signers[0]]  # in the order of the signatures
    decoded = TransactionEnvelope.from_xdr(signed["signedTransactionXdr"], TESTNET)
    Keypair.from_public_key(wallet["publicKey"]).verify(
        decoded.hash(), decoded.signatures[1].signature
    )
    # Inspecting recorded nothing: the trail holds the creation and the signature only.
    events = (await client.get("/wallets/user/ada/events", headers=AUTH)).json()["events"]
    assert [event["type"] for event in events] == ["created", "signed"]


async def test_inspect_needs_the_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/transactions/inspect", json={})
    assert response.status_code == 401
