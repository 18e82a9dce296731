"""The one error line of a damaged envelope names the route template and the wallet, never the
raw path (it holds the user id)."""

import logging

import pytest
from dependency_injector import providers

from entrypoints.container import Container
from tests.http.test_custody import _create, _SealsAnotherSeed, _tamper_with_envelope, _users
from tests.support import AUTH, KEY, http_client

USER = "user-with-a-distinctive-id-1234"


@pytest.mark.parametrize(
    "case",
    [
        (
            "post",
            "/wallets/create-user-wallet",
            {"userId": USER, "encryptionKey": KEY},
            "/wallets/create-user-wallet",
        ),
        (
            "post",
            f"/wallets/user/{USER}/rotate-key",
            {"encryptionKey": KEY, "newEncryptionKey": KEY[::-1]},
            "/wallets/user/{user_id}/rotate-key",
        ),
    ],
)
async def test_the_integrity_line_names_the_route_template_and_the_wallet(
    container: Container,
    caplog: pytest.LogCaptureFixture,
    case: tuple[str, str, dict[str, str], str],
) -> None:
    method, path, body, template = case
    await _users(container, USER)
    wallet = await _create(container, USER)
    await _tamper_with_envelope(container, USER)
    caplog.set_level(logging.INFO, logger="wallet_orchestrator")
    caplog.clear()
    async with http_client(container) as client:
        response = await client.request(method.upper(), path, json=body, headers=AUTH)
    assert response.json()["type"].endswith("/envelope-tampered")
    lines = [r.getMessage() for r in caplog.records if r.name == "wallet_orchestrator.http"]
    assert len(lines) == 1
    assert template in lines[0]
    assert wallet.wallet_id in lines[0]
    assert USER not in lines[0]


async def test_the_self_check_line_names_the_route_template_not_the_user(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    """A rotation whose new envelope fails its self-check says where, without the user id."""
    await _users(container, USER)
    await _create(container, USER)
    caplog.set_level(logging.INFO, logger="wallet_orchestrator")
    caplog.clear()
    broken = providers.Object(_SealsAnotherSeed(container.cipher()))
    with container.cipher.override(broken):
        async with http_client(container) as client:
            response = await client.post(
                f"/wallets/user/{USER}/rotate-key",
                json={"encryptionKey": KEY, "newEncryptionKey": KEY[::-1]},
                headers=AUTH,
            )
    assert response.json()["type"].endswith("/sealing-failed")
    lines = [r.getMessage() for r in caplog.records if r.name == "wallet_orchestrator.http"]
    assert len(lines) == 1
    assert "/wallets/user/{user_id}/rotate-key" in lines[0]
    assert USER not in lines[0]
