"""The README's "Signing policies" section, run as written on a real `serve` process after the
HTTP and custody sections it builds on: the policy set, read back, a signature within the daily
limit (verified with stellar-sdk), one over it refused, the default again; and the document in
the section's JSON block is a valid policy.
"""

import json
import re
from typing import Any

from stellar_sdk import Keypair, TransactionEnvelope

from adapters.stellar.policy_document import policy_of
from harness.servers import ROOT, ServerProcess
from tests.system.test_serve import _code_block, _commands, run_curl

TESTNET = "Test SDF Network ; September 2015"
SECTION = "## Signing policies"


def _section() -> str:
    return ROOT.joinpath("README.md").read_text().split(SECTION, 1)[1].split("\n## ", 1)[0]


def _curl(server: ServerProcess, token: str, command: str) -> tuple[int, Any]:
    status, body = run_curl(server, token, command)
    return status, json.loads(body)


def test_the_sections_document_is_a_policy() -> None:
    (document,) = re.findall(r"```json\n(.*?)```", _section(), re.DOTALL)
    policy = policy_of(json.loads(document))
    assert policy.allowed_operations == frozenset(
        {"payment", "changeTrust", "pathPaymentStrictSend"}
    )


def test_the_policy_section_runs_as_written(readme_server: ServerProcess) -> None:
    server = readme_server
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
