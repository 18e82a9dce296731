"""The README's "Stellar accounts" section, run as written: its curl commands on a real `serve`
process whose WALLET_HORIZON_URL is the loopback Horizon stand-in, and its CLI lines on the same
database. Every transaction that comes back is decoded with stellar-sdk and its signatures
verified over the test network's hash; the submitted ones must have changed the stand-in's
ledger.
"""

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from stellar_sdk import Keypair, TransactionEnvelope
from stellar_sdk.operation import (
    BeginSponsoringFutureReserves,
    ChangeTrust,
    CreateAccount,
    EndSponsoringFutureReserves,
    SetOptions,
)

from harness.servers import ROOT, ServerProcess
from tests.horizon_standin import STROOPS, HorizonStandIn
from tests.system.test_serve import _code_block, _commands, run_line

TESTNET = "Test SDF Network ; September 2015"
SECTION = "## Stellar accounts: activation and signers"
KEYS = (
    "a caller key of at least 16 characters",
    "the next caller key, 16+ chars",
    "the treasury key, 16+ characters",
)


def _blocks() -> tuple[list[str], list[str], list[str]]:
    """The section's curl block, its submission block and its CLI block."""
    section = ROOT.joinpath("README.md").read_text().split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 3
    curls, submitting, cli = (_commands(block) for block in blocks)
    return curls, submitting, cli


@pytest.fixture
def standin() -> Iterator[HorizonStandIn]:
    with HorizonStandIn(TESTNET) as running:
        yield running


@pytest.fixture
def server(tmp_path: Path, standin: HorizonStandIn) -> Iterator[ServerProcess]:
    env = {k: v for k, v in os.environ.items() if k != "WALLET_API_TOKENS"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/wallets.db"
    env["WALLET_HORIZON_URL"] = standin.url
    running = ServerProcess(env, tmp_path / "server.log").start()
    try:
        yield running
    finally:
        running.stop()


def _run(command: str, env: dict[str, str]) -> str:
    return run_line(command, env).stdout


def _curl(server: ServerProcess, token: str, command: str) -> Any:
    written = command.replace("http://127.0.0.1:8000", server.base_url)
    out = _run(written + " -w '\\n%{http_code}'", {**os.environ, "TOKEN": token})
    body, status = out.rsplit("\n", 1)
    assert status in {"200", "201"}, (command, status, body)
    return json.loads(body)


def _verified(answer: dict[str, Any]) -> TransactionEnvelope:
    """The answer's transaction, each of its signatures by the keys in signedBy, in order."""
    envelope = TransactionEnvelope.from_xdr(answer["transactionXdr"], TESTNET)
    assert envelope.hash_hex() == answer["transactionHash"]
    signed_by = answer["signedBy"]
    assert len(envelope.signatures) == len(signed_by)
    for key, signature in zip(signed_by, envelope.signatures, strict=True):
        Keypair.from_public_key(key).verify(envelope.hash(), signature.signature)
    return envelope


def _wallet_key(server: ServerProcess, token: str, user: str) -> str:
    response = httpx.get(
        f"{server.base_url}/wallets/user/{user}", headers={"Authorization": f"Bearer {token}"}
    )
    key: str = response.json()["publicKey"]
    return key


def test_the_accounts_section_runs_as_written(
    server: ServerProcess, standin: HorizonStandIn, tmp_path: Path
) -> None:
    token = server.printed_token()
    basics = _commands(_code_block("## Use it over HTTP", "sh"))
    custody = _commands(_code_block("## Custody operations", "sh"))
    assignments = [c for c in custody if re.match(r"^[A-Z_]+=", c)]
    curls, submitting, cli = _blocks()
    assert (len(curls), len(submitting), len(cli)) == (4, 2, 2)
    for command in [c for c in basics + custody if c.startswith("curl")]:
        if "/metrics" not in command:
            _curl(server, token, "; ".join([*assignments, command]))

    answers = [_curl(server, token, command) for command in curls]
    ada, treasury = _wallet_key(server, token, "ada"), _wallet_key(server, token, "treasury")
    activation, signers = answers[2], answers[3]
    assert (activation["publicKey"], activation["sponsorPublicKey"]) == (ada, treasury)
    assert activation["signedBy"] == [treasury, ada]
    transaction = _verified(activation).transaction
    assert transaction.sequence == 4294967297
    kinds = [type(op) for op in transaction.operations]
    assert kinds == [
        BeginSponsoringFutureReserves,
        CreateAccount,
        ChangeTrust,
        EndSponsoringFutureReserves,
    ]
    assert signers["signedBy"] == [ada]
    assert all(isinstance(op, SetOptions) for op in _verified(signers).transaction.operations)

    standin.fund(treasury, "100")
    submitted = [_curl(server, token, submitting[0])]
    standin.accounts[ada].balance += 5 * STROOPS  # ada's fee and the new signer's reserve
    submitted.append(_curl(server, token, submitting[1]))
    for answer in submitted:
        _verified(answer)
        assert answer["submitted"]["hash"] == answer["transactionHash"]
    account = standin.accounts[ada]
    assert account.sponsor == treasury
    assert [
        line["asset_code"] for line in account.as_json()["balances"] if "asset_code" in line
    ] == ["USDC"]
    assert account.weights()[ada] == 1
    assert len(account.weights()) == 2

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/wallets.db"}
    printed = [json.loads(_run(command + " --no-migrate", env)) for command in cli]
    assert printed == [activation, signers]
    log = server.log.read_text()
    assert not any(key in log for key in KEYS)
