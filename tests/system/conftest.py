"""Fixtures shared by the system tests that run the README as written."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.servers import ServerProcess


@pytest.fixture
def readme_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """`wallet-orchestrator serve` on a free port, SQLite in tmp_path, no token configured (it
    prints the one it makes up, as the README's first steps show).
    """
    env = {k: v for k, v in os.environ.items() if k != "WALLET_API_TOKENS"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/wallets.db"
    running = ServerProcess(env, tmp_path / "server.log").start()
    try:
        yield running
    finally:
        running.stop()
