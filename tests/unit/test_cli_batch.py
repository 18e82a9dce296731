"""`wallet-orchestrator create-wallets`: user ids one per line from a file or standard input,
created in batches, a JSON summary on standard output (exit 0, or 1 if an item failed), the
progress on standard error; a failure of the service stops it after printing what was done,
and running it again finishes the job.
"""

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers

from application.create_wallets import CreateWalletsRequest
from application.register_user import RegisterUserRequest
from domain.errors import StoreUnavailable
from entrypoints import cli, cli_batch
from entrypoints.container import Container, open_container
from entrypoints.settings import Settings
from tests.support import FAST_KDF, KEY, OTHER_KEY

USERS = [f"user-{n:03d}" for n in range(250)]
"""More than two batches."""


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("WALLET_KDF_MEMORY_KIB", str(FAST_KDF.memory_kib))
    monkeypatch.setenv("WALLET_KDF_ITERATIONS", str(FAST_KDF.iterations))
    monkeypatch.setenv("WALLET_ENCRYPTION_KEY", KEY)


def _run(
    capsys: pytest.CaptureFixture[str], *argv: str, stdin: str | None = None
) -> tuple[int, Any, str]:
    if stdin is not None:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("sys.stdin", io.StringIO(stdin))
            code = cli.main(list(argv))
    else:
        code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out else None, captured.err


def _users(*user_ids: str) -> None:
    """Register the users in-process (the command line would migrate again for each)."""

    async def register() -> None:
        async with open_container(Settings.from_env()) as container:
            for user_id in user_ids:
                request = RegisterUserRequest(f"{user_id}@example.com", user_id)
                await container.register_user()(request)

    asyncio.run(register())


def test_a_file_of_ids_is_created_in_batches_and_summed_up(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _users(*USERS)
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(USERS) + "\n")
    code, summary, err = _run(capsys, "create-wallets", "--file", str(ids))
    assert code == 0
    assert summary == {
        "items": 250,
        "created": 250,
        "existing": 0,
        "failed": 0,
        "failures": [],
        "stopped": None,
    }
    assert "250/250" in err
    code, again, _ = _run(capsys, "create-wallets", "--file", str(ids))
    assert (code, again["created"], again["existing"]) == (0, 0, 250)
    code, wallet, _ = _run(capsys, "get-wallet", "--user-id", USERS[-1])
    assert (code, wallet["userId"]) == (0, USERS[-1])


def test_standard_input_failures_listed_by_line_and_exit_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _users("ada", "bob", "cy")
    monkeypatch.setenv("WALLET_ENCRYPTION_KEY", OTHER_KEY)
    _run(capsys, "create-wallet", "--user-id", "cy")
    monkeypatch.setenv("WALLET_ENCRYPTION_KEY", KEY)
    lines = "ada\r\nnobody\n\nbob\nada\ncy\na/b\n with spaces \n"
    code, summary, _ = _run(capsys, "create-wallets", stdin=lines)
    assert code == 1
    assert (summary["items"], summary["created"], summary["existing"]) == (7, 2, 1)
    assert summary["failed"] == 4
    failures = [(f["line"], f["userId"], f["type"]) for f in summary["failures"]]
    assert failures == [
        (2, "nobody", "user-not-found"),
        (6, "cy", "wallet-key-mismatch"),
        (7, "a/b", "invalid-input"),
        (8, " with spaces ", "user-not-found"),  # an id is taken as written
    ]
    assert summary["failures"][2]["detail"].startswith("user id: must not contain '/'")


def test_a_service_failure_prints_what_was_done_and_a_run_again_finishes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _users(*USERS)
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(USERS))
    real = cli_batch.create_wallets
    batches = 0

    async def stopping_at_the_second_batch(container: Container, args: Any) -> int:
        use_case = container.create_wallets()

        async def stopping(request: CreateWalletsRequest) -> object:
            nonlocal batches
            batches += 1
            if batches == 2:
                raise StoreUnavailable("OSError")
            return await use_case(request)

        with container.create_wallets.override(providers.Object(stopping)):
            return await real(container, args)

    monkeypatch.setitem(cli._RUNNERS, "create-wallets", stopping_at_the_second_batch)
    code, summary, err = _run(capsys, "create-wallets", "--file", str(ids))
    assert code == 1
    assert (summary["created"], summary["stopped"]) == (
        100,
        "the database is unavailable; retry later",
    )
    assert err.splitlines()[-1].startswith("wallet-orchestrator: the database is unavailable")
    monkeypatch.setattr(cli, "create_wallets", real)
    code, summary, _ = _run(capsys, "create-wallets", "--file", str(ids))
    assert (code, summary["existing"], summary["created"]) == (0, 100, 150)


def test_the_key_comes_from_the_environment_never_from_arguments(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WALLET_ENCRYPTION_KEY")
    code, out, err = _run(capsys, "create-wallets", stdin="ada\n")
    assert (code, out) == (2, None)
    assert "WALLET_ENCRYPTION_KEY" in err
    with pytest.raises(SystemExit):  # no option takes it: a usage error, nothing run
        cli.main(["create-wallets", "--encryption-key", KEY])


def test_an_unreadable_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = _run(capsys, "create-wallets", "--file", str(tmp_path / "missing.txt"))
    assert (code, out) == (2, None)
    assert "cannot read" in err
