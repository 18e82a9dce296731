"""Real `wallet-orchestrator serve` processes, for tests and benchmarks that go over a socket."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def stop_process_group(
    process: subprocess.Popen[bytes], signals: tuple[signal.Signals, ...], timeout: float = 10
) -> None:
    """Signal the process's own group (its children go with it even if it dies first) with each
    of `signals` in turn until it has exited.
    """
    for stop_signal in signals:
        if process.poll() is not None:
            return
        os.killpg(process.pid, stop_signal)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            continue
        return


class ServerProcess:
    """`wallet-orchestrator serve` in its own process group, output to a log file."""

    def __init__(self, env: Mapping[str, str], log: Path, workers: int = 1) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._env = dict(env)
        self._workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "ServerProcess":
        command = [sys.executable, "-m", "entrypoints.cli", "serve", "--port", str(self.port)]
        command += ["--workers", str(self._workers)]
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self._env, stdout=sink, stderr=sink, start_new_session=True
            )
        self._wait_until_up()
        return self

    def printed_token(self) -> str:
        match = re.search(r"export TOKEN=(\S+)", self.log.read_text())
        if match is None:
            raise RuntimeError(f"no token in the server's output: {self.log.read_text()}")
        return match.group(1)

    def kill(self) -> None:
        """SIGKILL the whole process group: parent and workers die at once, mid-request."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not start: {self.log.read_text()[-3000:]}")


@contextmanager
def serving(
    database_url: str, log: Path, *, token: str, workers: int = 1, **env: str
) -> Iterator[ServerProcess]:
    """A started server on `database_url` accepting `token` (plus any WALLET_* `env`), stopped
    on exit, whatever state its user left it in.
    """
    environment = {**os.environ, "DATABASE_URL": database_url, "WALLET_API_TOKENS": token, **env}
    server = ServerProcess(environment, log, workers=workers).start()
    try:
        yield server
    finally:
        server.stop()
