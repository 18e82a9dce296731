"""`wallet-orchestrator doctor`: one row per check, exit 1 if any fails, and no side effects:
nothing migrated, created or written, and no token, hash or password printed.
"""

import asyncio
import hashlib
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy.exc
from sqlalchemy import text
from sqlalchemy.engine import make_url

from adapters.crypto.envelope import KdfParams
from adapters.sql.engine import async_url, create_engine, read_only_engine
from entrypoints import cli
from entrypoints.doctor_keys import check_key_derivation

GOOD_TOKEN = "Xq3v9Lr0Jm2Wc7Tn5Bh8Kd1Fs4Gz6Py0Ue3Ai9Oc2Rw"
SHORT_TOKEN = "short-but-not-empty-token"
PASSWORD = "s3cretpw"
CHECKS = [
    "configuration",
    "database",
    "migrations",
    "api tokens",
    "key derivation",
    "key management",
]


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("WALLET_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("COLUMNS", "1000")  # one line per row: no text wrapped mid-word
    monkeypatch.setenv("DATABASE_URL", "memory://")
    monkeypatch.setenv("WALLET_API_TOKENS", GOOD_TOKEN)
    # OWASP's minimum: as cheap as a valid deployment gets (about 15 ms).
    monkeypatch.setenv("WALLET_KDF_MEMORY_KIB", "19456")
    monkeypatch.setenv("WALLET_KDF_ITERATIONS", "2")


@pytest.fixture
def migrated_sqlite_url(
    sqlite_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> str:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    assert cli.main(["migrate"]) == 0
    capsys.readouterr()
    return sqlite_url


@pytest.fixture
def migrated_postgres_url(postgres_url: str) -> str:
    return postgres_url


def _doctor(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, tuple[str, str]], str]:
    """The exit code, each check's (result, detail and remedy) from the table, and all output."""
    code = cli.main(["doctor"])
    out = capsys.readouterr().out
    rows: dict[str, tuple[str, str]] = {}
    name = ""
    for line in out.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("│").split("│")]
        if len(cells) != 3 or cells[0] == "check":
            continue
        if cells[0]:
            name = cells[0]
            rows[name] = (cells[1], cells[2])
        else:
            rows[name] = (rows[name][0], f"{rows[name][1]} {cells[2]}")
    assert list(rows) == CHECKS
    return code, rows, out


def _results(rows: dict[str, tuple[str, str]]) -> dict[str, str]:
    return {name: result for name, (result, _) in rows.items()}


def test_all_pass_on_a_migrated_sqlite_file_which_is_left_as_it_was(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    migrated_sqlite_url: str,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("DATABASE_URL", migrated_sqlite_url)
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    code, rows, out = _doctor(capsys)
    assert code == 0
    assert set(_results(rows).values()) == {"pass"}
    assert "at this release's newest revision" in rows["migrations"][1]
    assert "all 6 checks passed" in out
    assert GOOD_TOKEN not in out
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before


@pytest.mark.postgres
def test_all_pass_on_a_migrated_postgres_database_without_printing_the_password(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    url = make_url(postgres_url).set(password=PASSWORD)
    monkeypatch.setenv("DATABASE_URL", url.render_as_string(hide_password=False))
    code, rows, out = _doctor(capsys)
    assert code == 0
    assert set(_results(rows).values()) == {"pass"}
    assert url.render_as_string(hide_password=True) in rows["configuration"][1]
    assert PASSWORD not in out


@pytest.mark.postgres
def test_an_unmigrated_postgres_database_fails_and_is_left_unmigrated(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, empty_postgres_url: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_postgres_url)
    code, rows, _ = _doctor(capsys)
    assert code == 1
    assert rows["database"][0] == "pass"
    result, detail = rows["migrations"]
    assert result == "FAIL"
    assert "never migrated" in detail
    assert "to fix: run `wallet-orchestrator migrate`" in detail
    assert _postgres_tables(empty_postgres_url) == []


def _postgres_tables(url: str) -> list[str]:
    async def tables() -> list[str]:
        engine = create_engine(url)
        async with engine.connect() as connection:
            names = await connection.scalars(
                text(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                )
            )
            found = list(names)
        await engine.dispose()
        return found

    return asyncio.run(tables())


def test_an_unreachable_database_fails_without_printing_the_password(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres:{PASSWORD}@127.0.0.1:9/none")
    monkeypatch.setenv("WALLET_DB_CONNECT_TIMEOUT", "2")
    code, rows, out = _doctor(capsys)
    assert code == 1
    assert _results(rows) == {
        "configuration": "pass",
        "database": "FAIL",
        "migrations": "skip",
        "api tokens": "pass",
        "key derivation": "pass",
        "key management": "pass",
    }
    assert "cannot query postgresql://postgres:***@127.0.0.1:9/none" in rows["database"][1]
    assert "to fix: check that the server is up" in rows["database"][1]
    assert PASSWORD not in out


def test_a_missing_sqlite_file_fails_and_is_not_created(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    code, rows, _ = _doctor(capsys)
    assert code == 1
    result, detail = rows["database"]
    assert result == "FAIL"
    assert f"the SQLite file {path} does not exist" in detail
    assert "wallet-orchestrator migrate" in detail
    assert rows["migrations"][0] == "skip"
    assert list(path.parent.iterdir()) == []


BEHIND_OR_AHEAD = {
    "0002": ("at revision 0002, behind this release's", "run `wallet-orchestrator migrate`"),
    "9999": ("a newer release migrated it", "run the release that migrated it"),
}


@pytest.mark.parametrize("revision", BEHIND_OR_AHEAD)
def test_a_database_behind_or_ahead_of_this_release_fails(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    migrated_sqlite_url: str,
    revision: str,
) -> None:
    with closing(sqlite3.connect(migrated_sqlite_url.removeprefix("sqlite:///"))) as database:
        database.execute("UPDATE alembic_version SET version_num = ?", (revision,))
        database.commit()
    monkeypatch.setenv("DATABASE_URL", migrated_sqlite_url)
    code, rows, _ = _doctor(capsys)
    assert code == 1
    result, detail = rows["migrations"]
    finding, remedy = BEHIND_OR_AHEAD[revision]
    assert result == "FAIL"
    assert finding in detail
    assert remedy in detail
    if revision == "9999":
        assert "wallet-orchestrator migrate" not in detail


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_the_doctors_connections_cannot_write(backend: str, request: pytest.FixtureRequest) -> None:
    url = str(request.getfixturevalue(f"migrated_{backend}_url"))

    async def write() -> None:
        engine = read_only_engine(async_url(url), connect_timeout=5)
        try:
            async with engine.connect() as connection:
                await connection.execute(text("CREATE TABLE doctor_was_here (x INTEGER)"))
        finally:
            await engine.dispose()

    with pytest.raises(sqlalchemy.exc.DBAPIError, match=r"read-?only"):
        asyncio.run(write())


def test_the_in_memory_backend_passes_with_a_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, rows, _ = _doctor(capsys)
    assert code == 0
    assert "not for production" in rows["database"][1]


def test_no_token_fails(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WALLET_API_TOKENS")
    code, rows, _ = _doctor(capsys)
    assert code == 1
    result, detail = rows["api tokens"]
    assert result == "FAIL"
    assert "no API token is configured" in detail
    assert "secrets.token_urlsafe(32)" in detail
    assert "WALLET_API_TOKEN_HASHES" in detail


def test_a_short_token_fails_and_no_token_is_printed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WALLET_API_TOKENS", f"{GOOD_TOKEN},{SHORT_TOKEN}")
    code, rows, out = _doctor(capsys)
    assert code == 1
    result, detail = rows["api tokens"]
    assert result == "FAIL"
    assert "WALLET_API_TOKENS entry 2 is shorter than 32 characters" in detail
    assert 'to fix: replace each with one made by python -c "import secrets' in detail
    assert GOOD_TOKEN not in out
    assert SHORT_TOKEN not in out


def test_hashed_tokens_pass_and_are_counted_not_printed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    digest = hashlib.sha256(SHORT_TOKEN.encode()).hexdigest()
    other = hashlib.sha256(b"another token of the deployment").hexdigest()
    monkeypatch.delenv("WALLET_API_TOKENS")
    monkeypatch.setenv("WALLET_API_TOKEN_HASHES", f"{digest},{other}:read+sign")
    code, rows, out = _doctor(capsys)
    assert code == 0
    listed = f"by id: {digest[:12]} (every scope), {other[:12]} (read+sign)"
    assert rows["api tokens"] == (
        "pass",
        f"0 in WALLET_API_TOKENS, 2 in WALLET_API_TOKEN_HASHES; {listed}",
    )
    assert digest not in out
    assert other not in out


def test_a_malformed_environment_fails_the_configuration_and_skips_the_rest(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WALLET_DB_POOL_SIZE", "abc")
    code, rows, out = _doctor(capsys)
    assert code == 1
    assert _results(rows) == dict.fromkeys(CHECKS, "skip") | {"configuration": "FAIL"}
    assert "WALLET_DB_POOL_SIZE must be a whole number" in rows["configuration"][1]
    assert "to fix: fix that variable" in rows["configuration"][1]
    assert "6 of 6 checks did not pass" in out


def test_a_kdf_below_owasp_minimum_fails(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WALLET_KDF_MEMORY_KIB", "64")
    monkeypatch.setenv("WALLET_KDF_ITERATIONS", "1")
    code, rows, _ = _doctor(capsys)
    assert code == 1
    result, detail = rows["key derivation"]
    assert result == "FAIL"
    assert "m=64 KiB, t=1: one derivation took" in detail
    assert "below OWASP's minimum" in detail
    assert "to fix: set WALLET_KDF_MEMORY_KIB=19456 and WALLET_KDF_ITERATIONS=2" in detail


def test_owasp_equivalent_pairs_pass_and_a_slow_derivation_fails() -> None:
    assert check_key_derivation(KdfParams(memory_kib=12288, iterations=3)).passed
    assert not check_key_derivation(KdfParams(memory_kib=12288, iterations=2)).passed
    slow = check_key_derivation(KdfParams(memory_kib=19456, iterations=2), limit_seconds=0)
    assert not slow.passed
    assert "over 0 s" in slow.detail
    assert "more CPU" in slow.remedy


def test_the_real_command(sqlite_url: str) -> None:
    environment = {
        **os.environ,
        "DATABASE_URL": sqlite_url,
        "WALLET_API_TOKENS": SHORT_TOKEN,
        "WALLET_KDF_MEMORY_KIB": "19456",
        "WALLET_KDF_ITERATIONS": "2",
    }
    result = subprocess.run(
        [Path(sys.executable).with_name("wallet-orchestrator"), "doctor"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "3 of 6 checks did not pass" in result.stdout
    assert SHORT_TOKEN not in result.stdout + result.stderr
    assert not Path(sqlite_url.removeprefix("sqlite:///")).exists()
