"""WALLET_SIGNING_POLICY (issue 17): the deployment's default signing policy, a JSON document or
`@path` to a file holding one, read strictly; every refusal is a SettingsError that names the
variable and the member at fault, and never repeats a value the document or the file holds.
"""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from stellar_sdk import Keypair

from domain.policy import NATIVE, Limit, SigningPolicy
from entrypoints.settings import Settings, SettingsError

VARIABLE = "WALLET_SIGNING_POLICY"
FRIEND = Keypair.from_raw_ed25519_seed(bytes([3]) * 32).public_key
DOCUMENT = json.dumps(
    {
        "allowedOperations": ["payment"],
        "allowedDestinations": [FRIEND],
        "limits": [{"asset": "native", "perTransaction": "100", "perDay": "1000"}],
        "allowForeignFeeBump": True,
    }
)
POLICY = SigningPolicy(
    allowed_operations=frozenset({"payment"}),
    allowed_destinations=frozenset({FRIEND}),
    limits=(Limit(NATIVE, Decimal(100), Decimal(1000)),),
    allow_foreign_fee_bump=True,
)
MARKER = "s3cr3t-marker"


def _policy(value: str) -> SigningPolicy | None:
    return Settings.from_env({VARIABLE: value}).signing_policy


def _refusal(value: str) -> str:
    with pytest.raises(SettingsError) as refused:
        _policy(value)
    message = str(refused.value)
    assert message.startswith(VARIABLE)
    return message


def test_no_variable_means_no_deployment_default() -> None:
    assert Settings.from_env({}).signing_policy is None
    assert _policy("  ") is None


def test_a_json_document_is_the_deployment_default() -> None:
    assert _policy(DOCUMENT) == POLICY
    assert _policy(f"  {DOCUMENT}\n") == POLICY
    assert _policy("{}") == SigningPolicy()


def test_at_path_reads_the_document_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text(DOCUMENT, encoding="utf-8")
    assert _policy(f"@{path}") == POLICY


@pytest.mark.parametrize("kind", ["missing", "directory", "not utf-8"])
def test_an_unreadable_file_is_refused(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "policy.json"
    if kind == "directory":
        path.mkdir()
    elif kind == "not utf-8":
        path.write_bytes(b'{"allowedOperations": ["\xff' + MARKER.encode() + b'"]}')
    message = _refusal(f"@{path}")
    assert "cannot read" in message
    assert MARKER not in message


@pytest.mark.parametrize(
    "text", [f'{{"allowedOperations": ["{MARKER}"', f"{MARKER}", f"[{MARKER}]", "", "{'a': 1}"]
)
def test_what_is_not_json_is_refused_without_repeating_it(tmp_path: Path, text: str) -> None:
    path = tmp_path / "policy.json"
    path.write_text(text, encoding="utf-8")
    for value in (text, f"@{path}"):
        if not value.strip():
            continue
        message = _refusal(value)
        assert message == f"{VARIABLE} is not a JSON document"


@pytest.mark.parametrize(
    ("document", "fault"),
    [
        (f'{{"allowForeignSource": "{MARKER}"}}', "allowForeignSource must be true or false"),
        ('{"allowForeignFeeBump": 1}', "allowForeignFeeBump must be true or false"),
        (f'{{"limits": [{{"asset": "native", "perDay": "{MARKER}"}}]}}', "limits[0].perDay"),
        (f'{{"limits": [{{"asset": "{MARKER}"}}]}}', "limits[0].asset"),
        (f'{{"limits": [{{"asset": "native", "x": "{MARKER}"}}]}}', "limits[0].x is not"),
        (f'{{"allowedOperations": "{MARKER}"}}', "allowedOperations must be a list"),
        (f'{{"allowedOperations": ["payment", "{MARKER}"]}}', "allowedOperations[1] is not"),
        (f'{{"allowedDestinations": ["{MARKER}"]}}', "allowedDestinations[0] is not"),
        (f'["{MARKER}"]', "must be a JSON object"),
        (f'"{MARKER}"', "must be a JSON object"),
    ],
)
def test_a_bad_document_is_refused_naming_the_member_at_fault(
    tmp_path: Path, document: str, fault: str
) -> None:
    path = tmp_path / "policy.json"
    path.write_text(document, encoding="utf-8")
    for value in (document, f"@{path}"):
        message = _refusal(value)
        assert fault in message
        assert MARKER not in message


def test_an_unknown_member_is_named_as_the_member_at_fault() -> None:
    document = f'{{"allowedOperation": ["{MARKER}"]}}'
    message = _refusal(document)
    assert message == f"{VARIABLE}: allowedOperation is not a policy member"
