"""The README's "Signing policies" section, run as written on a real `serve` process after the
HTTP and custody sections it builds on: the policy set, read back, a signature within the daily
limit (verified with stellar-sdk), one over it refused, the default again; and the document in
the section's JSON block is a valid policy.
"""

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stellar_sdk import Keypair, TransactionEnvelope

from adapters.stellar.policy_document import policy_of
from harness.servers import ROOT, ServerProcess
from tests.system.test_serve import _code_block, _commands

TESTNET = "Test SDF Network ; September 2015"
SECTION = "## Signing policies"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    env = {k: v for k, v in os.environ.items() if k != "WALLET_API_TOKENS"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/wallets.db"
    running = ServerProcess(env, tmp_path / "server.log").start()
    try:
        yield running
    finally:
        running.stop()


def _section() -> str:
    return ROOT.joinpath("README.md").read_text().split(SECTION, 1)[1].split("\n## ", 1)[0]


def _curl(server: ServerProcess, token: str, command: str) -> tuple[int, Any]:
    written = command.replace("http://127.0.0.1:8000", server.base_url)
    result = subprocess.run(
        ["bash", "-c", written + " -w '\\n%{http_code}'"],
        cwd=ROOT,
        env={**os.environ, "TOKEN": token},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, (command, result.stderr)
    body, status = result.stdout.rsplit("\n", 1)
    return int(status), json.loads(body)


def test_the_sections_document_is_a_policy() -> None:
    (document,) = re.findall(r"```json\n(.*?)```", _section(), re.DOTALL)
    policy = policy_of(json.loads(document))
    assert policy.allowed_operations == frozenset(
        {"payment", "changeTrust", "pathPaymentStrictSend"}
    )


def test_the_policy_section_runs_as_written(server: ServerProcess) -> None:
    token = server.printed_token()
    basics = _commands(_code_block("## Use it over HTTP", "sh"))
    custody = _commands(_code_block("## Custody operations", "sh"))
    assignments = [c for c in custody if re.match(r"^[A-Z_]+=", c)]
    for command in [c for c in basics + custody if c.startswith("curl")]:
        if "/metrics" not in command:
            status, _ = _curl(server, token, "; ".join([*assignments, command]))
            assert status in {200, 201}, command
    commands = _commands(_code_block(SECTION, "sh"))
    assert len(commands) == 5
    answers = [_curl(server, token, "; ".join([*assignments, c])) for c in commands]
    (put, set_policy), (get, read_back), (first, signed), (second, refused), (delete, reset) = (
        answers
    )
    assert (put, get, first, second, delete) == (200, 200, 200, 403, 200)
    assert set_policy == read_back
    assert set_policy["source"] == "wallet"
    assert set_policy["policy"]["limits"][0]["perDay"] == "25"
    envelope = TransactionEnvelope.from_xdr(signed["signedTransactionXdr"], TESTNET)
    Keypair.from_public_key(signed["publicKey"]).verify(
        envelope.hash(), envelope.signatures[-1].signature
    )
    assert refused["type"].endswith("/problems/policy-violation")
    assert (refused["rule"], refused["operation"]) == ("daily-limit", 0)
    assert reset["source"] == "built-in"
