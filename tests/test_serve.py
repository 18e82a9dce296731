"""A real `serve` process on a socket, driven with the README's own curl commands, Python snippet
and CLI lines, so the README stays a contract."""

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
START_TIMEOUT_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _code_block(after_heading: str, language: str) -> str:
    section = README.split(after_heading, 1)[1]
    match = re.search(rf"```{language}\n(.*?)```", section, re.DOTALL)
    assert match is not None, f"no {language} block after {after_heading!r}"
    return match.group(1)


def _commands(block: str) -> list[str]:
    joined = block.replace("\\\n", " ")
    return [
        line.strip() for line in joined.splitlines() if line.strip() and not line.startswith("#")
    ]


class Server:
    def __init__(self, process: subprocess.Popen[bytes], port: int, stderr: Path) -> None:
        self.process = process
        self.base_url = f"http://127.0.0.1:{port}"
        self.stderr = stderr

    def printed_token(self) -> str:
        match = re.search(r"export TOKEN=(\S+)", self.stderr.read_text())
        assert match is not None, self.stderr.read_text()
        return match.group(1)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """`wallet-orchestrator serve` on a free port, SQLite in tmp_path, no token configured."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "WALLET_API_TOKENS"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/wallets.db"
    stderr = tmp_path / "stderr.txt"
    with stderr.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=sink,
        )
    running = Server(process, port, stderr)
    try:
        _wait_until_up(running)
        yield running
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_until_up(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert server.process.poll() is None, server.stderr.read_text()
        try:
            if httpx.get(f"{server.base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"server did not start: {server.stderr.read_text()}")


def test_readme_curl_examples_work_as_written(server: Server) -> None:
    token = server.printed_token()
    commands = [
        c for c in _commands(_code_block("## Use it over HTTP", "sh")) if c.startswith("curl")
    ]
    assert len(commands) == 6
    for written in commands:
        command = written.replace("http://127.0.0.1:8000", server.base_url)
        result = subprocess.run(
            ["bash", "-c", command + " -w '\\n%{http_code}'"],
            env={**os.environ, "TOKEN": token},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert result.returncode == 0, (command, result.stderr)
        body, status = result.stdout.rsplit("\n", 1)
        assert status in {"200", "201"}, (command, status, body)
        json.loads(body)


def test_served_api_rejects_missing_and_foreign_tokens(server: Server) -> None:
    token = server.printed_token()
    assert len(token) >= 32
    assert httpx.get(f"{server.base_url}/users/ada").status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert httpx.get(f"{server.base_url}/users/ada", headers=wrong).status_code == 401
    right = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{server.base_url}/users/ada", headers=right).status_code == 404
    assert server.stderr.read_text().count(token) == 1


def test_readme_python_snippet_runs() -> None:
    snippet = _code_block("## Use it from Python or the command line", "python")
    result = subprocess.run(
        [sys.executable, "-c", snippet],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    public_key, created = result.stdout.split()
    assert (public_key[0], len(public_key), created) == ("G", 56, "True")


def test_readme_cli_lines_run(tmp_path: Path) -> None:
    block = _code_block("## Use it from Python or the command line", "sh")
    commands = [c for c in _commands(block) if " serve " not in c]
    assert len(commands) == 4
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    outputs = []
    for command in commands:
        result = subprocess.run(
            ["bash", "-c", command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, (shlex.quote(command), result.stderr)
        outputs.append(result.stdout)
    assert json.loads(outputs[2]) == json.loads(outputs[3])
