"""The README's "Batch creation" section, run as written: its curl commands on a real `serve`
process after the HTTP section's (ada has her wallet), and its command lines on a database of
their own.
"""

import json
import os
import re
from pathlib import Path

from harness.servers import ROOT, ServerProcess
from tests.system.test_serve import _code_block, _commands, run_curl, run_line

SECTION = "## Batch creation"
KEY = "a caller key of at least 16 characters"


def _blocks() -> list[str]:
    section = ROOT.joinpath("README.md").read_text().split(SECTION, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.DOTALL)


def test_the_batch_curl_commands_run_as_written(readme_server: ServerProcess) -> None:
    server, token = readme_server, readme_server.printed_token()
    for command in _commands(_code_block("## Use it over HTTP", "sh")):
        if command.startswith("curl") and "/metrics" not in command:
            status, _ = run_curl(server, token, command)
            assert status in {200, 201}, command
    curls, _ = _blocks()
    commands = _commands(curls)
    assert len(commands) == 2
    answers = [run_curl(server, token, command) for command in commands]
    (registered, user), (batched, body) = answers
    assert (registered, batched) == (201, 200)
    assert json.loads(user)["id"] == "lin"
    results = json.loads(body)["results"]
    assert [(r["refId"], r["userId"], r["status"]) for r in results] == [
        ("row-1", "ada", 200),
        ("row-2", "lin", 201),
        ("row-3", "nobody", 404),
    ]
    assert results[1]["wallet"]["userId"] == "lin"
    assert results[1]["problem"] is None
    assert results[2]["wallet"] is None
    assert results[2]["problem"]["type"].endswith("/problems/user-not-found")
    assert KEY not in body
    assert KEY not in server.log.read_text()


def test_the_batch_command_lines_run_as_written(tmp_path: Path) -> None:
    _, lines = _blocks()
    commands = _commands(lines)
    assert len(commands) == 3
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    outputs = []
    for command in commands:
        result = run_line(command, env)
        outputs.append(result.stdout)
        assert KEY not in result.stdout + result.stderr
    summary = json.loads(outputs[-1])
    assert summary == {
        "items": 3,
        "created": 2,
        "existing": 1,
        "failed": 0,
        "failures": [],
        "stopped": None,
    }
