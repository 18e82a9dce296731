"""Signing policies over HTTP on every backend (issue 17): the policy in force and where it
comes from (built-in, the deployment's WALLET_SIGNING_POLICY, the wallet's own), set and removed
with the same shape, malformed documents refused, unknown wallets 404, every change audited.
The helpers here are shared by the other signing-policy modules of this directory.
"""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from stellar_sdk import (
    FeeBumpTransactionEnvelope,
    Keypair,
    Network,
    TransactionEnvelope,
)

from adapters.stellar.policy_document import policy_of
from entrypoints.container import Container, open_container
from tests.support import AUTH, KEY, http_client, settings_for

TESTNET = Network.TESTNET_NETWORK_PASSPHRASE
PROBLEM = "application/problem+json"
POLICY = "/wallets/user/{}/policy"
BUILT_IN: dict[str, Any] = {  # what restricts nothing is left out, never null
    "limits": [],
    "allowForeignSource": False,
    "allowForeignFeeBump": False,
}
FRIEND = Keypair.from_raw_ed25519_seed(bytes([3]) * 32).public_key
ISSUER = Keypair.from_raw_ed25519_seed(bytes([4]) * 32).public_key
OWN = {
    "allowedOperations": ["changeTrust", "payment"],  # as read back: sorted
    "allowedDestinations": [FRIEND],
    "limits": [
        {"asset": "native", "perTransaction": "100", "perDay": "1000"},
        {"asset": f"USDC:{ISSUER}", "perDay": "5000.5"},
    ],
    "allowForeignSource": False,
    "allowForeignFeeBump": True,
}


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(container) as test_client:
        yield test_client


async def wallet_key(client: httpx.AsyncClient, user_id: str = "ada", key: str = KEY) -> str:
    """Register the user, create the wallet, and read its public key back with GET."""
    body = {"email": f"{user_id}@example.com", "id": user_id}
    assert (await client.post("/users", json=body, headers=AUTH)).status_code == 201
    body = {"userId": user_id, "encryptionKey": key}
    created = await client.post("/wallets/create-user-wallet", json=body, headers=AUTH)
    assert created.status_code == 201, created.text
    read = await client.get(f"/wallets/user/{user_id}", headers=AUTH)
    assert read.status_code == 200, read.text
    public_key: str = read.json()["publicKey"]
    return public_key


async def set_policy(
    client: httpx.AsyncClient, document: dict[str, Any], user_id: str = "ada"
) -> dict[str, Any]:
    response = await client.put(POLICY.format(user_id), json=document, headers=AUTH)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["source"] == "wallet"
    return body


async def events(client: httpx.AsyncClient, user_id: str = "ada") -> list[dict[str, Any]]:
    response = await client.get(f"/wallets/user/{user_id}/events?limit=100", headers=AUTH)
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()["events"]
    return listed


async def sign(client: httpx.AsyncClient, xdr: str, user_id: str = "ada") -> httpx.Response:
    body = {"encryptionKey": KEY, "transactionXdr": xdr, "networkPassphrase": TESTNET}
    return await client.post(f"/wallets/user/{user_id}/sign", json=body, headers=AUTH)


def problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["type"] == f"https://wallet-orchestrator.dev/problems/{slug}"
    return body


def _decoded(xdr: str) -> TransactionEnvelope | FeeBumpTransactionEnvelope:
    if FeeBumpTransactionEnvelope.is_fee_bump_transaction_envelope(xdr):
        return FeeBumpTransactionEnvelope.from_xdr(xdr, TESTNET)
    return TransactionEnvelope.from_xdr(xdr, TESTNET)


def hash_of(xdr: str) -> str:
    """The hex hash a signature of the envelope covers on the test network."""
    return _decoded(xdr).hash_hex()


async def refused(
    client: httpx.AsyncClient, xdr: str, rule: str, operation: int | None, user_id: str = "ada"
) -> None:
    """The sign is 403 policy-violation naming the rule and operation; a sign_refused event
    says the same of this transaction, and nothing was signed.
    """
    before = await events(client, user_id)
    body = problem(await sign(client, xdr, user_id), 403, "policy-violation")
    assert (body["rule"], body["operation"]) == (rule, operation)
    assert "signedTransactionXdr" not in body
    after = await events(client, user_id)
    assert [event["type"] for event in after[len(before) :]] == ["sign_refused"]
    assert after[-1]["details"] == {
        "rule": rule,
        "operation": "" if operation is None else str(operation),
        "transactionHash": hash_of(xdr),
        "networkPassphrase": TESTNET,
    }


async def allowed(
    client: httpx.AsyncClient, xdr: str, public_key: str, user_id: str = "ada"
) -> None:
    """The sign is 200, and the returned envelope carries one more signature, the wallet's,
    verified over the transaction's hash (a fee bump's own) for the test network.
    """
    response = await sign(client, xdr, user_id)
    assert response.status_code == 200, response.text
    body = response.json()
    envelope, original = _decoded(body["signedTransactionXdr"]), _decoded(xdr)
    assert envelope.hash_hex() == body["transactionHash"] == original.hash_hex()
    assert envelope.signatures[: len(original.signatures)] == original.signatures
    (added,) = envelope.signatures[len(original.signatures) :]
    signer = Keypair.from_public_key(public_key)
    assert added.signature_hint == signer.signature_hint()
    signer.verify(envelope.hash(), added.signature)
    assert (await events(client, user_id))[-1]["type"] == "signed"


# The policy in force, set and removed


async def test_with_no_policy_anywhere_the_built_in_one_is_in_force(
    client: httpx.AsyncClient,
) -> None:
    await wallet_key(client)
    response = await client.get(POLICY.format("ada"), headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json() == {"policy": BUILT_IN, "source": "built-in"}


async def test_the_deployment_default_is_in_force_for_a_wallet_without_its_own(
    database_url: str,
) -> None:
    default = policy_of({"allowedOperations": ["payment"], "allowForeignFeeBump": True})
    settings = settings_for(database_url, signing_policy=default)
    async with open_container(settings) as container, http_client(container) as client:
        await wallet_key(client)
        expected = {**BUILT_IN, "allowedOperations": ["payment"], "allowForeignFeeBump": True}
        read = await client.get(POLICY.format("ada"), headers=AUTH)
        assert read.json() == {"policy": expected, "source": "deployment"}
        await set_policy(client, OWN)
        removed = await client.delete(POLICY.format("ada"), headers=AUTH)
        assert removed.status_code == 200, removed.text
        assert removed.json() == {"policy": expected, "source": "deployment"}


async def test_put_sets_the_wallets_own_policy_and_delete_removes_it(
    client: httpx.AsyncClient,
) -> None:
    await wallet_key(client)
    assert await set_policy(client, OWN) == {"policy": OWN, "source": "wallet"}
    read = await client.get(POLICY.format("ada"), headers=AUTH)
    assert read.json() == {"policy": OWN, "source": "wallet"}
    replaced = await set_policy(client, {"allowedOperations": ["manageData"]})
    assert replaced["policy"] == {**BUILT_IN, "allowedOperations": ["manageData"]}
    for _ in range(2):  # removing nothing changes nothing, and answers the same
        removed = await client.delete(POLICY.format("ada"), headers=AUTH)
        assert removed.status_code == 200, removed.text
        assert removed.json() == {"policy": BUILT_IN, "source": "built-in"}
    read = await client.get(POLICY.format("ada"), headers=AUTH)
    assert read.json() == {"policy": BUILT_IN, "source": "built-in"}


async def test_a_document_reads_back_in_its_full_shape(client: httpx.AsyncClient) -> None:
    await wallet_key(client)
    body = await set_policy(client, {"allowedOperations": ["payment", "createAccount"]})
    assert body["policy"] == {**BUILT_IN, "allowedOperations": ["createAccount", "payment"]}
    limits = [{"asset": "native", "perDay": "10"}]
    body = await set_policy(client, {"limits": limits, "allowedDestinations": []})
    assert body["policy"] == {
        **BUILT_IN,
        "allowedDestinations": [],
        "limits": [{"asset": "native", "perDay": "10"}],
    }


async def test_each_of_the_three_is_404_for_an_unknown_wallet(client: httpx.AsyncClient) -> None:
    user = {"email": "bea@example.com", "id": "bea"}  # a user, but no wallet
    assert (await client.post("/users", json=user, headers=AUTH)).status_code == 201
    for user_id in ("nobody", "bea"):
        path = POLICY.format(user_id)
        problem(await client.get(path, headers=AUTH), 404, "wallet-not-found")
        problem(await client.put(path, json=OWN, headers=AUTH), 404, "wallet-not-found")
        problem(await client.delete(path, headers=AUTH), 404, "wallet-not-found")


@pytest.mark.parametrize(
    "document",
    [
        {"allowedOperation": ["payment"]},
        {"limits": [{"asset": "native", "perWeek": "1"}]},
        {"allowForeignSource": 0},
        {"allowForeignFeeBump": "true"},
        {"allowForeignSource": None},
        {"allowedOperations": ["pay"]},
        {"allowedOperations": ["Payment"]},
        {"allowedOperations": "payment"},
        {"allowedDestinations": ["GABC"]},
        {"allowedDestinations": [FRIEND.lower()]},
        {"allowedDestinations": ["S" + FRIEND[1:]]},
        {"limits": [{"asset": "USDC", "perDay": "1"}]},
        {"limits": [{"asset": "native", "perDay": "1.12345678"}]},
        {"limits": [{"asset": "native", "perDay": 1}]},
        {"limits": [{"asset": "native"}, {"asset": "native"}]},
        ["payment"],
    ],
)
async def test_a_malformed_document_is_400_and_changes_nothing(
    client: httpx.AsyncClient, document: object
) -> None:
    await wallet_key(client)
    await set_policy(client, OWN)
    response = await client.put(POLICY.format("ada"), json=document, headers=AUTH)
    problem(response, 400, "invalid-input")
    read = await client.get(POLICY.format("ada"), headers=AUTH)
    assert read.json() == {"policy": OWN, "source": "wallet"}
    assert [e["type"] for e in await events(client)] == ["created", "policy_set"]


async def test_each_change_is_audited(client: httpx.AsyncClient) -> None:
    await wallet_key(client)
    await set_policy(client, OWN)
    await set_policy(client, {})
    assert (await client.delete(POLICY.format("ada"), headers=AUTH)).status_code == 200
    assert (await client.delete(POLICY.format("ada"), headers=AUTH)).status_code == 200
    listed = await events(client)
    assert [e["type"] for e in listed] == ["created", "policy_set", "policy_set", "policy_removed"]
    assert listed[1]["details"] == {
        "allowedOperations": "changeTrust,payment",
        "allowedDestinations": FRIEND,
        "limits": (
            "native per transaction 100, per day 1000; "
            f"USDC:{ISSUER} per transaction any, per day 5000.5"
        ),
        "allowForeignSource": "false",
        "allowForeignFeeBump": "true",
    }
    assert listed[2]["details"] == {
        "allowedOperations": "any",
        "allowedDestinations": "any",
        "limits": "none",
        "allowForeignSource": "false",
        "allowForeignFeeBump": "false",
    }
    assert listed[3]["details"] == {}
    assert {event["tokenId"] for event in listed} == {listed[0]["tokenId"]}


async def test_a_suspended_wallet_may_be_given_a_policy(client: httpx.AsyncClient) -> None:
    await wallet_key(client)
    suspended = await client.post("/wallets/user/ada/suspend", json={}, headers=AUTH)
    assert suspended.status_code == 200, suspended.text
    assert await set_policy(client, OWN) == {"policy": OWN, "source": "wallet"}
    removed = await client.delete(POLICY.format("ada"), headers=AUTH)
    assert removed.json() == {"policy": BUILT_IN, "source": "built-in"}
