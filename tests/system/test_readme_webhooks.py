"""The README's "Webhooks" section, run as written: receiver.py (its Python block) listening on
127.0.0.1:9000 under the secret the first sh block's `export` line makes, the service beside it
with that block's WALLET_WEBHOOK_URL on a SQLite database of the test's own (started as the other
README runners start `just run`: `serve` on a free port), ada and her wallet made with the HTTP
section's own curl commands, then the second sh block's `webhooks` lines on the same database.
"""

import base64
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from harness.servers import ROOT, ServerProcess, stop_process_group
from tests.system.test_serve import _code_block, _commands, run_curl, run_line

SECTION = "## Webhooks"
RECEIVER_ADDRESS = ("127.0.0.1", 9000)
PRINTED = "wallet.created ada 1"
ARRIVAL_SECONDS = 5.0
"""The README promises "within about a second of the commit"; this leaves room for a slow host."""
QUIET_SECONDS = 1.5
"""How long the receiver is watched after the event arrived, for a second print of it."""
LISTEN_SECONDS = 60.0
"""`uv run` may sync the environment before receiver.py starts listening."""
CLI_SECONDS = 60


def _blocks() -> list[tuple[str, str]]:
    """The section's code blocks, in order, as (language, text)."""
    readme = ROOT.joinpath("README.md").read_text()
    section = readme.split(SECTION + "\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(\w*)\n(.*?)```", section, re.DOTALL)


def _written(language: str) -> list[str]:
    return [text for written_in, text in _blocks() if written_in == language]


def test_the_webhooks_section_has_the_blocks_this_runner_runs() -> None:
    """A block added or removed fails here until the runner below runs it too."""
    assert Counter(language for language, _ in _blocks()) == {"json": 1, "python": 1, "sh": 2}


def _port_9000_or_skip() -> None:
    """Skip when something else holds receiver.py's port, except under CI=true: fail then."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as HTTPServer binds
        try:
            probe.bind(RECEIVER_ADDRESS)
        except OSError as error:
            reason = f"127.0.0.1:9000, where the README's receiver.py listens, is in use ({error})"
            if os.environ.get("CI") == "true":
                pytest.fail(f"{reason}; CI must run the README's receiver", pytrace=False)
            pytest.skip(reason)


def _exported_secret(export: str) -> str:
    """The secret the README's `export` line makes, evaluated by sh as written."""
    assert export.startswith("export WALLET_WEBHOOK_SECRET="), export
    shown = subprocess.run(
        ["sh", "-c", f'{export}; printf %s "$WALLET_WEBHOOK_SECRET"'],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout
    assert shown.startswith("whsec_"), shown
    assert len(base64.b64decode(shown.removeprefix("whsec_"), validate=True)) == 32
    return shown


def _service_settings(line: str) -> dict[str, str]:
    """The assignments before `just run` on the README's line that starts the service."""
    words = shlex.split(line)
    assert words[-2:] == ["just", "run"], line
    settings = dict(word.split("=", 1) for word in words[:-2])
    assert settings == {"WALLET_WEBHOOK_URL": "http://127.0.0.1:9000/hooks"}, line
    return settings


@contextmanager
def _receiver(line: str, home: Path, env: dict[str, str]) -> Iterator[Path]:
    """The README's `uv run python receiver.py &` in `home` (the background is this process
    group, stopped on exit), once it listens: the file its standard output goes to.
    """
    assert line == "uv run python receiver.py &", line
    printed, said = home / "receiver.out", home / "receiver.err"
    with printed.open("wb") as out, said.open("wb") as err:
        process = subprocess.Popen(
            ["bash", "-c", line.removesuffix("&").strip()],
            cwd=home,
            env={**env, "UV_PROJECT": str(ROOT)},  # the README's shell is in the clone
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
    try:
        _wait_until_listening(process, said)
        yield printed
    finally:
        stop_process_group(process, (signal.SIGTERM, signal.SIGKILL))


def _wait_until_listening(process: subprocess.Popen[bytes], said: Path) -> None:
    deadline = time.monotonic() + LISTEN_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"receiver.py exited {process.returncode}: {said.read_text()}")
        try:
            socket.create_connection(RECEIVER_ADDRESS, timeout=1).close()
        except OSError:
            time.sleep(0.1)
        else:
            return
    raise AssertionError(f"receiver.py not listening after {LISTEN_SECONDS} s: {said.read_text()}")


def _create_ada_and_her_wallet(server: ServerProcess) -> None:
    """The HTTP section's two POSTs, as written: register ada, create her wallet."""
    token = server.printed_token()
    posts = [c for c in _commands(_code_block("## Use it over HTTP", "sh")) if "-X POST" in c]
    assert [re.findall(r"/(users|wallets/create-user-wallet) ", c) for c in posts] == [
        ["users"],
        ["wallets/create-user-wallet"],
    ], posts
    assert [run_curl(server, token, post)[0] for post in posts] == [201, 201]


def _printed_lines(printed: Path) -> list[str]:
    """What receiver.py printed: the event, within ARRIVAL_SECONDS, then QUIET_SECONDS more."""
    started = time.monotonic()
    while time.monotonic() - started < ARRIVAL_SECONDS:
        if PRINTED in printed.read_text().splitlines():
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"receiver.py printed {printed.read_text()!r} in {ARRIVAL_SECONDS} s")
    time.sleep(QUIET_SECONDS)
    return printed.read_text().splitlines()


def _wait_until_delivered(server: ServerProcess) -> None:
    """Until the service has recorded the delivery (the receiver's 204 reached it)."""
    auth = {"Authorization": f"Bearer {server.printed_token()}"}
    counted = 'wallet_webhook_deliveries_total{outcome="delivered"} 1.0'
    deadline = time.monotonic() + ARRIVAL_SECONDS
    metrics = ""
    while time.monotonic() < deadline:
        metrics = httpx.get(f"{server.base_url}/metrics", headers=auth, timeout=5).text
        if counted in metrics:
            return
        time.sleep(0.1)
    raise AssertionError(f"no {counted!r} in {ARRIVAL_SECONDS} s: {metrics}")


def _run_cli_lines(lines: list[str], env: dict[str, str]) -> list[str]:
    """Each line in a shell of its own in the clone, exiting 0: their outputs."""
    return [run_line(line, env, CLI_SECONDS).stdout for line in lines]


def _check_cli_outputs(lines: list[str], outputs: list[str]) -> None:
    """Nothing is owed once the one event is delivered: both lists are empty JSON lines, both
    retries (every failed one; the placeholder id, a valid one that names no event) requeue 0.
    """
    assert [line.split("#")[0].split("webhooks ")[1].strip() for line in lines] == [
        "list",
        "list --failed",
        "retry --all-failed",
        "retry --event-id evt_01a2…_3",
    ], lines
    owed, failed, all_failed, one_event = outputs
    assert [json.loads(row) for row in owed.splitlines()] == []
    assert [json.loads(row) for row in failed.splitlines()] == []
    assert json.loads(all_failed) == {"requeued": 0}
    assert json.loads(one_event) == {"requeued": 0}


def test_the_webhooks_section_runs_as_written(tmp_path: Path) -> None:
    (receiver_py,) = _written("python")
    assert receiver_py.startswith("# receiver.py\n")
    start_block, cli_lines = (_commands(block) for block in _written("sh"))
    export, receiver_line, serve_line = start_block
    assert len(cli_lines) == 4, cli_lines
    _port_9000_or_skip()
    (tmp_path / "receiver.py").write_text(receiver_py)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WALLET_")}
    env["WALLET_WEBHOOK_SECRET"] = _exported_secret(export)
    service_env = {
        **env,
        **_service_settings(serve_line),
        "DATABASE_URL": f"sqlite:///{tmp_path}/wallets.db",
    }
    with ExitStack() as stack:
        printed = stack.enter_context(_receiver(receiver_line, tmp_path, env))
        server = ServerProcess(service_env, tmp_path / "server.log")
        stack.callback(server.stop)
        server.start()
        _create_ada_and_her_wallet(server)
        assert _printed_lines(printed) == [PRINTED]
        _wait_until_delivered(server)
        _check_cli_outputs(cli_lines, _run_cli_lines(cli_lines, service_env))
