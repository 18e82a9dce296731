"""A real `serve` process on a socket, driven with the README's own curl commands, Python snippet
and CLI lines, so the README stays a contract."""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from harness.servers import ROOT, ServerProcess

README = (ROOT / "README.md").read_text()


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


@pytest.fixture
def server(readme_server: ServerProcess) -> ServerProcess:
    """The README's server (tests/system/conftest.py)."""
    return readme_server


def test_readme_curl_examples_work_as_written(server: ServerProcess) -> None:
    """The HTTP section's commands, then the custody section's, in order, on one server."""
    token = server.printed_token()
    basics = _commands(_code_block("## Use it over HTTP", "sh"))
    custody = _commands(_code_block("## Custody operations", "sh"))
    assignments = [c for c in custody if re.match(r"^[A-Z_]+=", c)]
    curls = [c for c in basics + custody if c.startswith("curl")]
    assert (len(basics), len(custody) - len(assignments)) == (7, 6)
    for written in curls:
        script = "; ".join([*assignments, written + " -w '\\n%{http_code}'"])
        result = subprocess.run(
            ["bash", "-c", script.replace("http://127.0.0.1:8000", server.base_url)],
            env={**os.environ, "TOKEN": token},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert result.returncode == 0, (written, result.stderr)
        body, status = result.stdout.rsplit("\n", 1)
        assert status in {"200", "201"}, (written, status, body)
        if "/metrics" in written:
            assert 'wallet_creations_total{outcome="created"} 1.0' in body
        else:
            json.loads(body)
    # The server's own output (JSON log lines, one per request) holds no key, and the token
    # only where it was handed out.
    log = server.log.read_text()
    request_lines = [line for line in log.splitlines() if '"event":"request"' in line]
    assert len(request_lines) >= len(curls)
    for key in ("a caller key of at least 16 characters", "the next caller key, 16+ chars"):
        assert key not in log
    assert log.count(token) == 1  # the one line that hands the made-up token to the operator


def test_served_api_rejects_missing_and_foreign_tokens(server: ServerProcess) -> None:
    token = server.printed_token()
    assert len(token) >= 32
    assert httpx.get(f"{server.base_url}/users/ada").status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert httpx.get(f"{server.base_url}/users/ada", headers=wrong).status_code == 401
    right = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{server.base_url}/users/ada", headers=right).status_code == 404
    assert server.log.read_text().count(token) == 1


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
    """The CLI section's lines, then the custody section's, in order, on one database."""
    block = _code_block("## Use it from Python or the command line", "sh")
    commands = [c for c in _commands(block) if " serve " not in c]
    custody = _commands(_code_block("never from arguments:", "sh"))
    assert (len(commands), len(custody)) == (4, 2)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    outputs = [run_line(command, env).stdout for command in commands + custody]
    assert json.loads(outputs[2]) == json.loads(outputs[3])


def run_line(
    line: str, env: dict[str, str], timeout: float = 60
) -> "subprocess.CompletedProcess[str]":
    """One of the README's command lines, in a shell of its own in the clone, as written: it
    must exit 0.
    """
    result = subprocess.run(
        ["bash", "-c", line],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, (shlex.quote(line), result.stdout, result.stderr)
    return result


def run_curl(server: ServerProcess, token: str, command: str) -> tuple[int, str]:
    """One of the README's curl commands (with any assignments before it, joined by `; `) run on
    `server` as written, with $TOKEN set: its status and its output (the body, and the headers
    first with -i).
    """
    written = command.replace("http://127.0.0.1:8000", server.base_url)
    result = subprocess.run(
        ["bash", "-c", written + " -w '\\n%{http_code}'"],
        cwd=ROOT,
        env={**os.environ, "TOKEN": token},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, (command, result.stderr)
    output, status = result.stdout.rsplit("\n", 1)
    return int(status), output
