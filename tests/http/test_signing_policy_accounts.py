"""Sponsored activations and signer changes under signing policies, over HTTP on every backend
(issue 17): the sponsor and the new account are parties to each other's transaction, not
foreign, so the built-in policy lets an activation through; a policy that refuses what the
service built is a 403 policy-violation, recorded on the wallet at fault, with nothing signed.
"""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from stellar_sdk import Keypair

from entrypoints.container import Container
from tests.http.test_accounts import (
    ACTIVATE,
    COSIGNER,
    OLD_COSIGNER,
    OTHER_COSIGNER,
    SIGNERS,
    _activation,
    _signer_change,
    _verified,
    _wallets,
)
from tests.http.test_signing_policies import (
    BUILT_IN,
    POLICY,
    events,
    problem,
    set_policy,
    wallet_key,
)
from tests.support import AUTH, http_client


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(container) as test_client:
        yield test_client


async def _refused(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], rule: str, operation: int
) -> None:
    """403 policy-violation naming the rule and the operation, and no transaction."""
    response = await client.post(path, json=body, headers=AUTH)
    answer = problem(response, 403, "policy-violation")
    assert (answer["rule"], answer["operation"]) == (rule, operation)
    assert "transactionXdr" not in answer


async def _kinds(client: httpx.AsyncClient, user_id: str) -> list[str]:
    return [event["type"] for event in await events(client, user_id)]


def _refusal(listed: list[dict[str, Any]]) -> dict[str, str]:
    details: dict[str, str] = listed[-1]["details"]
    assert listed[-1]["type"] == "sign_refused"
    assert len(details.pop("transactionHash")) == 64
    return details


async def test_an_activation_with_a_held_sponsor_passes_the_built_in_policy(
    client: httpx.AsyncClient,
) -> None:
    keys = await _wallets(client)
    for user_id in ("ada", "treasury"):
        read = await client.get(POLICY.format(user_id), headers=AUTH)
        assert read.json() == {"policy": BUILT_IN, "source": "built-in"}
    response = await client.post(ACTIVATE, json=_activation(), headers=AUTH)
    assert response.status_code == 200, response.text
    transaction = _verified(response.json(), [keys.treasury, keys.ada]).transaction
    assert transaction.source.account_id == keys.treasury  # the sponsor's: not foreign to ada
    assert await _kinds(client, "ada") == ["created", "activation_signed"]
    assert await _kinds(client, "treasury") == ["created", "activation_signed"]


async def test_an_activation_with_a_sponsor_held_elsewhere_passes_the_built_in_policy(
    client: httpx.AsyncClient,
) -> None:
    ada = await wallet_key(client)
    sponsor = {"publicKey": Keypair.random().public_key}
    body = _activation(sponsor=sponsor, trustlines=[])
    response = await client.post(ACTIVATE, json=body, headers=AUTH)
    assert response.status_code == 200, response.text
    _verified(response.json(), [ada])


async def test_a_sponsor_whose_policy_refuses_the_new_account_signs_nothing(
    client: httpx.AsyncClient,
) -> None:
    await _wallets(client)
    await set_policy(client, {"allowedDestinations": [COSIGNER]}, "treasury")
    await _refused(client, ACTIVATE, _activation(), "destination-not-allowed", 1)
    assert _refusal(await events(client, "treasury")) == {
        "rule": "destination-not-allowed",
        "operation": "1",
        "networkPassphrase": _activation()["networkPassphrase"],
    }
    assert await _kinds(client, "ada") == ["created"]


async def test_an_account_whose_policy_allows_payments_only_is_refused_an_activation(
    client: httpx.AsyncClient,
) -> None:
    await _wallets(client)
    await set_policy(client, {"allowedOperations": ["payment"]})
    await _refused(client, ACTIVATE, _activation(), "operation-not-allowed", 0)
    assert _refusal(await events(client, "ada"))["rule"] == "operation-not-allowed"
    assert await _kinds(client, "treasury") == ["created"]


async def test_a_wallet_allowed_payments_only_is_refused_a_signer_change(
    client: httpx.AsyncClient,
) -> None:
    await wallet_key(client)
    await set_policy(client, {"allowedOperations": ["payment"]})
    await _refused(client, SIGNERS, _signer_change(), "operation-not-allowed", 0)
    listed = await events(client)
    assert _refusal(listed)["operation"] == "0"
    assert [event["type"] for event in listed] == ["created", "policy_set", "sign_refused"]
    await set_policy(client, {"allowedOperations": ["setOptions"]})
    response = await client.post(SIGNERS, json=_signer_change(), headers=AUTH)
    assert response.status_code == 200, response.text
    _verified(response.json(), [response.json()["publicKey"]])


async def test_a_new_signer_must_be_an_allowed_destination(client: httpx.AsyncClient) -> None:
    ada = await wallet_key(client)
    added_only = _signer_change(currentSigners=[], remove=[])  # thresholds, then two signers
    await set_policy(client, {"allowedDestinations": [COSIGNER]})
    await _refused(client, SIGNERS, added_only, "destination-not-allowed", 2)
    await set_policy(client, {"allowedDestinations": [COSIGNER, OTHER_COSIGNER]})
    response = await client.post(SIGNERS, json=added_only, headers=AUTH)
    assert response.status_code == 200, response.text
    _verified(response.json(), [ada])


async def test_a_removed_signer_need_not_be_an_allowed_destination(
    client: httpx.AsyncClient,
) -> None:
    assert OLD_COSIGNER in str(_signer_change()["remove"])
    await wallet_key(client)
    await set_policy(client, {"allowedDestinations": [COSIGNER, OTHER_COSIGNER]})
    response = await client.post(SIGNERS, json=_signer_change(), headers=AUTH)
    assert response.status_code == 200, response.text
