"""Observability of a real `serve --workers 2`: every scrape of the metrics sums both workers'
requests, each request's log line is JSON with its id, and the workers' shared metric files are
gone once the server stops (with one worker too)."""

import json
import signal
from pathlib import Path

import httpx
import pytest

from harness.servers import serving
from tests.http.test_observability import _samples
from tests.support import AUTH, TOKEN


@pytest.mark.postgres
def test_serve_with_two_workers_sums_their_metrics_and_logs_json(
    postgres_url: str, tmp_path: Path
) -> None:
    log, scratch = tmp_path / "server.log", tmp_path / "tmp"
    scratch.mkdir()
    with serving(postgres_url, log, token=TOKEN, workers=2, TMPDIR=str(scratch)) as server:
        sent = 0
        while sent < 400 and len(_pids_serving(log)) < 2:
            # A new connection each time, so that both workers get some.
            response = httpx.get(f"{server.base_url}/health", headers={"X-Request-ID": f"r{sent}"})
            assert response.headers["x-request-id"] == f"r{sent}"
            sent += 1
        scrapes = [
            _samples(httpx.get(f"{server.base_url}/metrics", headers=AUTH).text) for _ in range(6)
        ]
        directories_while_serving = list(scratch.iterdir())
        files_while_serving = [path.name for path in directories_while_serving[0].iterdir()]
    assert len(_pids_serving(log)) == 2
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    served = [
        line for line in lines if line.get("event") == "request" and line["route"] == "/health"
    ]
    ours = [line["request_id"] for line in served if str(line["request_id"]).startswith("r")]
    assert ours == [f"r{number}" for number in range(sent)]
    # Every scrape, whichever worker answers it, counts every worker's requests (the start-up
    # probe of harness/servers.py included).
    health = 'wallet_http_requests_total{method="GET",route="/health",status="200"}'
    assert [scrape[health] for scrape in scrapes] == [len(served)] * 6
    assert len(directories_while_serving) == 1
    assert directories_while_serving[0].name.startswith("wallet-orchestrator-metrics-")
    assert any(name.startswith("counter_") for name in files_while_serving)
    assert list(scratch.iterdir()) == []


def test_serve_with_one_worker_removes_its_metric_files_when_terminated(tmp_path: Path) -> None:
    log, scratch = tmp_path / "server.log", tmp_path / "tmp"
    scratch.mkdir()
    database = f"sqlite:///{tmp_path}/wallets.db"
    with serving(database, log, token=TOKEN, TMPDIR=str(scratch)) as server:
        assert httpx.get(f"{server.base_url}/metrics", headers=AUTH).status_code == 200
        directories_while_serving = list(scratch.iterdir())
        process = server.process
    assert len(directories_while_serving) == 1
    assert directories_while_serving[0].name.startswith("wallet-orchestrator-metrics-")
    assert list(scratch.iterdir()) == []
    assert process is not None
    assert process.returncode == 128 + signal.SIGTERM
    assert "Traceback" not in log.read_text()


def _pids_serving(log: Path) -> set[int]:
    pids = set()
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("event") == "request":
                pids.add(int(record["pid"]))
    return pids
