"""The README's "Recovery" commands, run as written, in order, on one SQLite database: a
ceremony, a check, escrow of an existing wallet, a restore under a new key after the caller key
is "lost", and an import after the database "lost" the wallet. Between the commands the test
only does what the README says happens around them: the wallet existed before, and the escrow
copies were kept outside the database.
"""

import asyncio
import json
import os
import re
import sqlite3
import subprocess
from pathlib import Path

from harness.servers import ROOT
from tests.system.test_serve import _commands

SECTION = "## Recovery"
OLD_KEY = "a caller key of at least 16 characters"
NEW_KEY = "the key after the loss, 16+ chars"


def _block() -> list[str]:
    section = (
        ROOT.joinpath("README.md").read_text().split(SECTION + "\n", 1)[1].split("\n## ", 1)[0]
    )
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert match is not None
    return _commands(match.group(1))


def _run(command: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _cli(command: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    result = _run(command, env, cwd)
    assert result.returncode == 0, (command, result.stdout, result.stderr)
    return result


def _escrow_copy(database_url: str, recovery_key: str, user_id: str) -> dict[str, str]:
    """What GET /wallets/user/{userId}/escrow answers, read in-process."""
    from entrypoints.container import open_container  # noqa: PLC0415 - after env is set
    from entrypoints.settings import Settings  # noqa: PLC0415

    settings = Settings.from_env(
        {"DATABASE_URL": database_url, "WALLET_RECOVERY_PUBLIC_KEY": recovery_key}
    )

    async def read() -> dict[str, str]:
        async with open_container(settings) as container:
            escrow = await container.get_escrow()(user_id)
        return {
            "walletId": escrow.wallet_id,
            "userId": escrow.user_id,
            "publicKey": escrow.public_key,
            "recoveryKeyId": escrow.recovery_key_id,
            "sealedSeed": escrow.sealed_seed,
        }

    return asyncio.run(read())


def test_the_recovery_section_runs_as_written(tmp_path: Path) -> None:
    database = tmp_path / "wallets.db"
    url = f"sqlite:///{database}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WALLET_")}
    env["DATABASE_URL"] = url
    keygen, check, export, escrow, restore, import_ = _block()
    assert export.startswith("export WALLET_RECOVERY_PUBLIC_KEY=")

    # Before: ada's wallet exists, made with no recovery key configured.
    _cli("uv run wallet-orchestrator create-user --email ada@example.com --id ada", env, tmp_path)
    made = _cli(
        f"WALLET_ENCRYPTION_KEY='{OLD_KEY}' uv run wallet-orchestrator create-wallet --user-id ada",
        env,
        tmp_path,
    )
    wallet = json.loads(made.stdout)

    outputs = [_cli(keygen, env, tmp_path)]
    ceremony = json.loads((tmp_path / "ceremony.json").read_text())
    assert (len(ceremony["shares"]), ceremony["keyId"][:3]) == (5, "rk-")
    outputs.append(_cli(check, env, tmp_path))
    then = f"{export}; "
    outputs.append(_cli(then + escrow, env, tmp_path))
    copy = _escrow_copy(url, ceremony["publicKey"], "ada")
    assert (copy["walletId"], copy["recoveryKeyId"]) == (wallet["walletId"], ceremony["keyId"])

    restored = _cli(then + restore, env, tmp_path)
    outputs.append(restored)
    assert json.loads(restored.stdout)["restored"] == 1
    replay = "WALLET_ENCRYPTION_KEY='{}' uv run wallet-orchestrator create-wallet --user-id ada"
    assert json.loads(_cli(replay.format(NEW_KEY), env, tmp_path).stdout) == wallet
    assert _run(replay.format(OLD_KEY), env, tmp_path).returncode == 1

    # The database loses the wallet; the escrow copy was kept outside it.
    (tmp_path / "escrows.jsonl").write_text(json.dumps(copy) + "\n")
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("DELETE FROM wallets")
    imported = _cli(then + import_, env, tmp_path)
    outputs.append(imported)
    assert json.loads(imported.stdout)["imported"] == 1
    again = json.loads(_cli(replay.format(NEW_KEY), env, tmp_path).stdout)
    assert (again["walletId"], again["publicKey"]) == (wallet["walletId"], wallet["publicKey"])
    _cli("uv run wallet-orchestrator audit verify", env, tmp_path)

    words = {word for share in ceremony["shares"] for word in share.split()}
    for result in outputs[1:]:  # keygen's own output holds the shares, by design
        said = set(re.findall(r"[a-z]+", result.stdout + result.stderr))
        assert len(said & words) < 3, (result.args, said & words)
