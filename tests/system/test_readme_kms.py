"""The README's "With an HSM or a KMS" section, executed as written: its SoftHSM2 block, its
OpenBao block (on a free port instead of 8200), then its `kms upgrade`/`rotate`/`rewrap` block,
each in a shell of its own in a temporary working directory (the blocks write ./hsm and
./softhsm2.conf), on a SQLite database there holding a user and a v1 wallet made first with the
README's own CLI lines. The README assumes a shell in the clone; here UV_PROJECT tells `uv run`
where the project is instead, and HOME is the temporary directory (the dev server keeps its
token in ~/.vault-token).
"""

import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.servers import ROOT, free_port
from tests.kms_transit import require_bao
from tests.system.test_serve import _code_block, _commands
from tests.system.tools import required_tool

SOFTHSM_BLOCK = _commands(_code_block("A local SoftHSM2 token", "sh"))
OPENBAO_BLOCK = _commands(_code_block("A local OpenBao", "sh"))
KMS_BLOCK = _commands(_code_block("Then `just run` serves as before", "sh"))
CLI_BLOCK = _commands(_code_block("## Use it from Python or the command line", "sh"))
README_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
README_PORT = "127.0.0.1:8200"
SCRIPT_TIMEOUT_SECONDS = 300
STOP_SECONDS = 10


def _checked(command: str) -> str:
    """`command`, then stop the script saying which README command failed and how."""
    if command.endswith("&"):
        return command
    said = shlex.quote(f"README command failed: {command}")
    return f'{command} || {{ rc=$?; echo {said} "(exit $rc)" >&2; exit 1; }}'


def _script(*blocks: list[str]) -> str:
    return "\n".join(_checked(command) for block in blocks for command in block) + "\n"


def _first_wallet() -> list[str]:
    """The CLI section's lines that make ada and her wallet (under WALLET_KMS=none: v1)."""
    lines = [line for line in CLI_BLOCK if "create-user" in line or "create-wallet" in line]
    assert len(lines) == 2, CLI_BLOCK
    return lines


def _uv_cache() -> str:
    uv = shutil.which("uv")
    assert uv is not None, "the README's commands need uv"
    found = subprocess.run([uv, "cache", "dir"], capture_output=True, text=True, check=True)
    return found.stdout.strip()


@dataclass
class Script:
    """A bash script in its own process group, run in `home`."""

    home: Path
    process: subprocess.Popen[bytes]

    @classmethod
    def start(cls, home: Path, text: str) -> "Script":
        prefixes = ("WALLET_", "BAO_", "VAULT_", "DATABASE_URL", "SOFTHSM2_CONF")
        env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
        env |= {
            "DATABASE_URL": f"sqlite:///{home}/wallets.db",
            "UV_PROJECT": str(ROOT),
            "UV_CACHE_DIR": _uv_cache(),
            "HOME": str(home),
        }
        (home / "readme.sh").write_text(text)
        # To a file, not a pipe: the server it leaves in the background would hold a pipe open.
        with (home / "readme.log").open("w") as output:
            process = subprocess.Popen(
                ["bash", str(home / "readme.sh")],
                cwd=home,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return cls(home, process)

    def finish(self) -> str:
        """Its output once it has exited; raises if it exits with an error."""
        self.process.wait(timeout=SCRIPT_TIMEOUT_SECONDS)
        output = (self.home / "readme.log").read_text()
        assert self.process.returncode == 0, output
        return output

    def stop(self) -> None:
        """End the script and whatever it left running in the background (the dev server)."""
        group = self.process.pid
        for stop_signal in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(group, stop_signal)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + STOP_SECONDS
            while time.monotonic() < deadline and _group_alive(group):
                time.sleep(0.05)
        self.process.wait(timeout=STOP_SECONDS)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def _stored_envelope(home: Path) -> str:
    with sqlite3.connect(home / "wallets.db") as connection:
        rows = connection.execute('SELECT "encryptedKey" FROM wallets').fetchall()
    assert len(rows) == 1, rows
    return str(rows[0][0])


def _assert_upgraded_and_rewrapped(script: Script, backend: str) -> None:
    output = " ".join(script.finish().split())  # the progress display wraps lines
    assert "upgraded 1, already current 0" in output, output
    assert "rewrapped 1," in output, output
    assert _stored_envelope(script.home).split("$")[5] == backend


def _openbao_block(port: int) -> list[str]:
    """The OpenBao block on `port` (it starts a server, waits until it answers, then uses it)."""
    assert sum(README_PORT in command for command in OPENBAO_BLOCK) == 4, OPENBAO_BLOCK
    return [command.replace(README_PORT, f"127.0.0.1:{port}") for command in OPENBAO_BLOCK]


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Script]]:
    """The SoftHSM2 and the OpenBao runs, started together (each spends most of its time
    starting `wallet-orchestrator` processes), stopped at the end whatever happened."""
    required_tool(shutil.which("softhsm2-util"), "softhsm2", "README's SoftHSM2 block")
    required_tool(README_MODULE if Path(README_MODULE).is_file() else None, "softhsm2", "it")
    require_bao()
    hsm_home, bao_home = tmp_path_factory.mktemp("readme-hsm"), tmp_path_factory.mktemp("bao")
    openbao = _openbao_block(free_port())
    started: dict[str, Script] = {}
    try:
        softhsm2 = _script(_first_wallet(), SOFTHSM_BLOCK, KMS_BLOCK)
        started["softhsm2"] = Script.start(hsm_home, softhsm2)
        started["openbao"] = Script.start(bao_home, _script(_first_wallet(), openbao, KMS_BLOCK))
        yield started
    finally:
        for running in started.values():
            running.stop()


def test_the_softhsm2_block_then_kms_upgrade_rotate_rewrap(scripts: dict[str, Script]) -> None:
    _assert_upgraded_and_rewrapped(scripts["softhsm2"], "pkcs11")


def test_the_openbao_block_then_kms_upgrade_rotate_rewrap(scripts: dict[str, Script]) -> None:
    _assert_upgraded_and_rewrapped(scripts["openbao"], "transit")
