"""The command line: JSON out, exit 0 / 1 (domain error) / 2 (usage), key never from argv."""

import json

import pytest

from entrypoints import cli
from tests.support import FAST_KDF, KEY, OTHER_KEY


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("WALLET_KDF_MEMORY_KIB", str(FAST_KDF.memory_kib))
    monkeypatch.setenv("WALLET_KDF_ITERATIONS", str(FAST_KDF.iterations))
    monkeypatch.delenv("WALLET_ENCRYPTION_KEY", raising=False)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_create_user_wallet_and_read_it_back(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _run(capsys, "migrate")[0] == 0
    code, out, _ = _run(capsys, "create-user", "--email", "ada@example.com", "--id", "ada")
    assert code == 0
    assert json.loads(out)["id"] == "ada"
    monkeypatch.setenv("WALLET_ENCRYPTION_KEY", KEY)
    code, out, _ = _run(capsys, "create-wallet", "--user-id", "ada")
    assert code == 0
    wallet = json.loads(out)
    assert set(wallet) == {"walletId", "publicKey", "userId", "createdAt"}
    code, out, _ = _run(capsys, "create-wallet", "--user-id", "ada")
    assert (code, json.loads(out)) == (0, wallet)
    code, out, _ = _run(capsys, "get-wallet", "--user-id", "ada")
    assert (code, json.loads(out)) == (0, wallet)


def test_domain_errors_exit_1_with_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(capsys, "create-user", "--email", "ada@example.com", "--id", "ada")
    monkeypatch.setenv("WALLET_ENCRYPTION_KEY", KEY)
    _run(capsys, "create-wallet", "--user-id", "ada")
    monkeypatch.setenv("WALLET_ENCRYPTION_KEY", OTHER_KEY)
    for argv in (
        ("create-wallet", "--user-id", "ada"),
        ("create-wallet", "--user-id", "nobody"),
        ("get-wallet", "--user-id", "nobody"),
        ("create-user", "--email", "not-an-email"),
    ):
        code, out, err = _run(capsys, *argv)
        assert (code, out) == (1, "")
        assert err.count("\n") == 1
        assert err.startswith("wallet-orchestrator: ")
        assert OTHER_KEY not in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["create-wallet"])
    assert exited.value.code == 2
    with pytest.raises(SystemExit) as exited:
        cli.main(["create-wallet", "--user-id", "ada", "--encryption-key", KEY])
    assert exited.value.code == 2


def test_without_key_and_terminal_it_refuses(capsys: pytest.CaptureFixture[str]) -> None:
    _run(capsys, "create-user", "--email", "ada@example.com", "--id", "ada")
    code, out, err = _run(capsys, "create-wallet", "--user-id", "ada")
    assert (code, out) == (2, "")
    assert "WALLET_ENCRYPTION_KEY" in err


def test_bad_configuration_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://root:hunter2@db/x")
    code, _, err = _run(capsys, "migrate")
    assert code == 2
    assert "DATABASE_URL" in err
    assert "hunter2" not in err
    monkeypatch.setenv("DATABASE_URL", "memory://")
    monkeypatch.setenv("WALLET_KDF_MEMORY_KIB", "lots")
    assert _run(capsys, "migrate")[0] == 2


def test_unreachable_database_exits_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:9/none")
    code, _, err = _run(capsys, "get-wallet", "--user-id", "ada")
    assert code == 1
    assert "database is unavailable" in err
