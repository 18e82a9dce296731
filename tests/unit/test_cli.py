"""The command line: JSON out, exit 0 / 1 (domain error) / 2 (usage), key never from argv."""

import json
import sqlite3

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
    assert set(wallet) == {"walletId", "publicKey", "userId", "createdAt", "status"}
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


def _wallets_under(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """ada and bob under KEY, eve under another key."""
    for user_id, key in (("ada", KEY), ("bob", KEY), ("eve", "eve's very own key!!")):
        _run(capsys, "create-user", "--email", f"{user_id}@example.com", "--id", user_id)
        monkeypatch.setenv("WALLET_ENCRYPTION_KEY", key)
        assert _run(capsys, "create-wallet", "--user-id", user_id)[0] == 0


def test_rotate_keys_is_resumable_lists_strangers_and_has_a_dry_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _wallets_under(capsys, monkeypatch)
    monkeypatch.setenv("WALLET_ENCRYPTION_KEY", KEY)
    monkeypatch.setenv("WALLET_NEW_ENCRYPTION_KEY", OTHER_KEY)
    code, _, err = _run(capsys, "rotate-keys", "--dry-run", "--batch-size", "2")
    assert code == 1
    assert "would rotate 2, already under the new key 0, opened by neither key 1" in err
    code, _, err = _run(capsys, "rotate-keys", "--batch-size", "2")
    assert code == 1
    assert "rotated 2, already under the new key 0, opened by neither key 1" in err
    assert err.count("unopenable wallet: ") == 1
    code, _, err = _run(capsys, "rotate-keys")
    assert "rotated 0, already under the new key 2, opened by neither key 1" in err
    monkeypatch.setenv("WALLET_ENCRYPTION_KEY", OTHER_KEY)
    assert _run(capsys, "create-wallet", "--user-id", "ada")[0] == 0
    monkeypatch.setenv("WALLET_ENCRYPTION_KEY", KEY)
    assert _run(capsys, "create-wallet", "--user-id", "bob")[0] == 1
    assert KEY not in err
    assert OTHER_KEY not in err


def test_rotate_keys_never_reads_keys_from_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "rotate-keys")
    assert code == 2
    assert "WALLET_ENCRYPTION_KEY" in err


def test_audit_verify_reports_edited_and_deleted_events(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    _wallets_under(capsys, monkeypatch)
    monkeypatch.setenv("WALLET_NEW_ENCRYPTION_KEY", OTHER_KEY)
    monkeypatch.setenv("WALLET_ENCRYPTION_KEY", KEY)
    _run(capsys, "rotate-keys")
    monkeypatch.setenv("WALLET_ENCRYPTION_KEY", OTHER_KEY)
    monkeypatch.setenv("WALLET_NEW_ENCRYPTION_KEY", KEY)
    _run(capsys, "rotate-keys")
    code, out, err = _run(capsys, "audit", "verify")
    assert (code, out) == (0, "")
    assert "3 wallets checked, 0 broken" in err
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as database:
        ada, bob = (
            database.execute('SELECT id FROM wallets WHERE "userId" = ?', (user,)).fetchone()[0]
            for user in ("ada", "bob")
        )
        database.execute(
            'UPDATE wallet_events SET details = \'{"bulk":"false"}\' '
            'WHERE "walletId" = ? AND sequence = 2',
            (ada,),
        )
        database.execute('DELETE FROM wallet_events WHERE "walletId" = ? AND sequence = 2', (bob,))
    code, out, err = _run(capsys, "audit", "verify")
    assert code == 1
    assert f"wallet {ada}: event 2: its content does not match its hash" in out
    assert f"wallet {bob}: event 2: event 2 is missing" in out
    assert "3 wallets checked, 2 broken" in err
