"""Idempotency-Key across real `serve` processes (issue 17): two instances on one PostgreSQL
database, the same keyed request sent to both at once, runs once and both answer it alike (the
later ones with `Idempotent-Replayed: true`), and a fresh instance after both stopped still
answers from the key; and the README's "Safe retries" block, run as written: 201, the same 201
replayed, then 422.
"""

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.servers import ServerProcess, serving
from tests.support import AUTH, KEY, TOKEN, payment_from
from tests.system.test_serve import _code_block, _commands, run_curl

SECTION = "### Safe retries: Idempotency-Key"
TESTNET = "Test SDF Network ; September 2015"
COPIES = 10
REPLAYED = "idempotent-replayed"


async def _concurrently(
    servers: list[ServerProcess], path: str, body: dict[str, Any], key: str
) -> list[httpx.Response]:
    """COPIES copies of one keyed POST, alternating between the servers, all at once."""
    headers = {**AUTH, "Idempotency-Key": key}
    async with httpx.AsyncClient(timeout=30) as client:
        return await asyncio.gather(
            *(
                client.post(servers[n % len(servers)].base_url + path, json=body, headers=headers)
                for n in range(COPIES)
            )
        )


def _one_ran(answers: list[httpx.Response]) -> httpx.Response:
    """The one answer that ran, after checking every other one is its replay."""
    fresh = [answer for answer in answers if REPLAYED not in answer.headers]
    assert len(fresh) == 1, [(answer.status_code, answer.text) for answer in answers]
    (first,) = fresh
    for answer in answers:
        if answer is not first:
            assert answer.headers[REPLAYED] == "true"
            assert (answer.status_code, answer.content) == (first.status_code, first.content)
    return first


def _signed_events(server: ServerProcess) -> int:
    response = httpx.get(f"{server.base_url}/wallets/user/ada/events", headers=AUTH, timeout=30)
    assert response.status_code == 200, response.text
    return [event["type"] for event in response.json()["events"]].count("signed")


@pytest.mark.postgres
async def test_two_instances_run_a_keyed_request_once(
    migrated_postgres_url: str, tmp_path: Path
) -> None:
    with (
        serving(migrated_postgres_url, tmp_path / "first.log", token=TOKEN) as first,
        serving(migrated_postgres_url, tmp_path / "second.log", token=TOKEN) as second,
    ):
        servers = [first, second]
        registered = await _concurrently(
            servers, "/users", {"email": "ada@example.com", "id": "ada"}, "register-ada"
        )
        assert _one_ran(registered).status_code == 201
        created = await _concurrently(
            servers, "/wallets/create-user-wallet", {"userId": "ada", "encryptionKey": KEY}, "k2"
        )
        public_key = _one_ran(created).json()["publicKey"]
        sign = {
            "encryptionKey": KEY,
            "transactionXdr": payment_from(public_key),
            "networkPassphrase": TESTNET,
        }
        signed = _one_ran(await _concurrently(servers, "/wallets/user/ada/sign", sign, "k3"))
        assert signed.status_code == 200, signed.text
        assert _signed_events(first) == _signed_events(second) == 1
    with serving(migrated_postgres_url, tmp_path / "third.log", token=TOKEN) as restarted:
        again = httpx.post(
            f"{restarted.base_url}/wallets/user/ada/sign",
            json=sign,
            headers={**AUTH, "Idempotency-Key": "k3"},
            timeout=30,
        )
        assert (again.status_code, again.headers[REPLAYED]) == (200, "true")
        assert again.content == signed.content
        assert _signed_events(restarted) == 1


def _curl(server: ServerProcess, token: str, command: str) -> tuple[int, str, str]:
    """Run one of the block's commands on the server: its status, headers (with -i) and body."""
    status, output = run_curl(server, token, command)
    if not output.startswith("HTTP/"):
        return status, "", output
    head, _, body = output.partition("\n\n")  # text mode: each \r\n read as \n
    return status, head.lower(), body


def test_the_safe_retries_block_runs_as_written(readme_server: ServerProcess) -> None:
    server = readme_server
    commands = _commands(_code_block(SECTION, "sh"))
    assert len(commands) == 3
    assert all(command.startswith("curl") for command in commands)
    token = server.printed_token()
    (first, first_head, created), (second, second_head, replayed), (third, _, reused) = (
        _curl(server, token, command) for command in commands
    )
    assert (first, second, third) == (201, 201, 422)
    assert first_head.startswith("http/1.1 201")
    assert f"{REPLAYED}: true" not in first_head
    assert f"{REPLAYED}: true" in second_head
    assert json.loads(replayed) == json.loads(created)
    assert json.loads(created)["id"] == "grace"
    assert json.loads(reused)["type"].endswith("/problems/idempotency-key-reused")
    hopper = httpx.get(
        f"{server.base_url}/users/hopper", headers={"Authorization": f"Bearer {token}"}
    )
    assert hopper.status_code == 404
