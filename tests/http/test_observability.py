"""Request ids, one structured log line per request, redaction, and the Prometheus metrics, in
process; summed over the workers of a real `serve --workers 2` in
tests/system/test_observability_served.py."""

import io
import json
import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import structlog

from domain.errors import StoreUnavailable
from entrypoints.container import Container
from entrypoints.http import problems
from entrypoints.logs import REQUEST_LOG, Throttled, configure_structlog, formatter, redact
from entrypoints.settings import Settings, SettingsError
from tests.http.test_custody import _tamper_with_envelope
from tests.support import AUTH, KEY, OTHER_KEY, TOKEN, http_client

CREATE = "/wallets/create-user-wallet"
USER = "observed-user-7f3a"


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What our loggers write, rendered as `serve` renders it (JSON), one line per record."""
    configure_structlog()
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(formatter("json"))
    logger = logging.getLogger("wallet_orchestrator")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    REQUEST_LOG.writer.to = sink  # the request lines, written by structlog itself
    try:
        yield sink
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def _records(sink: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in sink.getvalue().splitlines() if line.strip()]


def _request_lines(sink: io.StringIO) -> list[dict[str, object]]:
    return [record for record in _records(sink) if record.get("event") == "request"]


async def _metrics(client: httpx.AsyncClient) -> dict[str, float]:
    response = await client.get("/metrics", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return _samples(response.text)


def _samples(text: str) -> dict[str, float]:
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def _delta(after: dict[str, float], before: dict[str, float], name: str) -> float:
    return after.get(name, 0.0) - before.get(name, 0.0)


async def test_request_ids_are_taken_when_sane_and_made_otherwise(
    container: Container, json_lines: io.StringIO
) -> None:
    async with http_client(container) as client:
        given = await client.get("/health", headers={"X-Request-ID": "trace-42:a.b_c"})
        made = await client.get("/health")
        hostile = await client.get("/health", headers={"X-Request-ID": 'x" injected=1'})
        too_long = await client.get("/health", headers={"X-Request-ID": "a" * 129})
        unauthorized = await client.get(f"/wallets/user/{USER}")
        unknown = await client.get("/no/such/route", headers=AUTH)
    assert given.headers["x-request-id"] == "trace-42:a.b_c"
    for response in (made, hostile, too_long, unauthorized, unknown):
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    assert made.headers["x-request-id"] != hostile.headers["x-request-id"]
    logged = [line["request_id"] for line in _request_lines(json_lines)]
    assert logged == [
        response.headers["x-request-id"]
        for response in (given, made, hostile, too_long, unauthorized, unknown)
    ]


async def test_one_line_per_request_with_route_status_duration_and_outcome(
    container: Container, json_lines: io.StringIO
) -> None:
    async with http_client(container) as client:
        await client.post("/users", json={"email": "o@example.com", "id": USER}, headers=AUTH)
        body = {"userId": USER, "encryptionKey": KEY}
        created = await client.post(CREATE, json=body, headers=AUTH)
        await client.post(CREATE, json=body, headers=AUTH)
        await client.post(CREATE, json={"userId": USER, "encryptionKey": OTHER_KEY}, headers=AUTH)
        await client.get(f"/wallets/user/{USER}", headers=AUTH)
        await client.post(
            CREATE, json={"userId": "nobody-here", "encryptionKey": KEY}, headers=AUTH
        )
    lines = _request_lines(json_lines)
    summary = [(line["method"], line["route"], line["status"], line["outcome"]) for line in lines]
    assert summary == [
        ("POST", "/users", 201, "ok"),
        ("POST", CREATE, 201, "created"),
        ("POST", CREATE, 200, "replayed"),
        ("POST", CREATE, 409, "key_mismatch"),
        ("GET", "/wallets/user/{user_id}", 200, "ok"),
        ("POST", CREATE, 404, "unknown_user"),
    ]
    assert lines[1]["request_id"] == created.headers["x-request-id"]
    assert lines[3]["problem"] == "wallet-key-mismatch"
    for line in lines:
        assert isinstance(line["duration_ms"], float)
        assert line["duration_ms"] >= 0
        assert line["level"] == "info"
        assert isinstance(line["caller"], str)
        assert len(str(line["caller"])) == 12
    text = json_lines.getvalue()
    for secret_or_personal in (KEY, OTHER_KEY, TOKEN, USER, "o@example.com"):
        assert secret_or_personal not in text


def test_redaction_drops_every_field_that_could_hold_a_secret(json_lines: io.StringIO) -> None:
    log = structlog.get_logger("wallet_orchestrator.test")
    log.warning(
        "something happened",
        encryptionKey=KEY,
        new_encryption_key=OTHER_KEY,
        api_token=TOKEN,
        Authorization=f"Bearer {TOKEN}",
        seed="S" + "A" * 55,
        encrypted_key="wo1$argon2id$...",
        route="/users",
        attempts=3,
    )
    logging.getLogger("wallet_orchestrator.test").warning(
        "standard library too", extra={"token": TOKEN}
    )
    text = json_lines.getvalue()
    for secret in (KEY, OTHER_KEY, TOKEN, "S" + "A" * 55, "wo1$argon2id"):
        assert secret not in text
    first, second = _records(json_lines)
    assert (first["route"], first["attempts"]) == ("/users", 3)
    assert first["redacted_fields"] == sorted(
        [
            "encryptionKey",
            "new_encryption_key",
            "api_token",
            "Authorization",
            "seed",
            "encrypted_key",
        ]
    )
    assert second["event"] == "standard library too"


def test_the_request_line_writer_redacts_like_every_other_line(json_lines: io.StringIO) -> None:
    REQUEST_LOG.configure("INFO", "json")
    REQUEST_LOG.logger.warning("request", route="/users", encryptionKey=KEY, api_token=TOKEN)
    text = json_lines.getvalue()
    assert KEY not in text
    assert TOKEN not in text
    (line,) = _request_lines(json_lines)
    assert line["route"] == "/users"
    assert line["redacted_fields"] == ["api_token", "encryptionKey"]
    assert line["logger"] == "wallet_orchestrator.request"


def test_redact_keeps_a_record_without_secret_fields_as_it_is() -> None:
    record = {"event": "request", "route": "/users", "status": 201}
    assert redact(None, "info", dict(record)) == record


async def test_metrics_count_requests_outcomes_and_key_work_without_personal_labels(
    container: Container,
) -> None:
    async with http_client(container) as client:
        before = await _metrics(client)
        await client.post("/users", json={"email": "m@example.com", "id": USER}, headers=AUTH)
        body = {"userId": USER, "encryptionKey": KEY}
        await client.post(CREATE, json=body, headers=AUTH)
        await client.post(CREATE, json=body, headers=AUTH)
        await client.post(CREATE, json={"userId": USER, "encryptionKey": OTHER_KEY}, headers=AUTH)
        await client.post(CREATE, json={"userId": "nobody", "encryptionKey": KEY}, headers=AUTH)
        await client.post(CREATE, json={"userId": "", "encryptionKey": KEY}, headers=AUTH)
        await client.post(CREATE, json=body)
        await _tamper_with_envelope(container, USER)
        await client.post(CREATE, json=body, headers=AUTH)
        after = await _metrics(client)
        text = (await client.get("/metrics", headers=AUTH)).text
    outcomes = {
        "created": 1,
        "replayed": 1,
        "key_mismatch": 1,
        "unknown_user": 1,
        "invalid_input": 1,
        "rejected": 1,
        "failed": 1,
    }
    for outcome, count in outcomes.items():
        assert _delta(after, before, f'wallet_creations_total{{outcome="{outcome}"}}') == count
    assert _delta(after, before, "wallet_envelope_tampering_detected_total") == 1
    created = f'wallet_http_requests_total{{method="POST",route="{CREATE}",status="201"}}'
    assert _delta(after, before, created) == 1
    latency = f'wallet_http_request_duration_seconds_count{{method="POST",route="{CREATE}"}}'
    assert _delta(after, before, latency) == 7
    derived = _delta(after, before, 'wallet_key_cache_lookups_total{result="derived"}')
    hits = _delta(after, before, 'wallet_key_cache_lookups_total{result="hit"}')
    assert derived == _delta(after, before, "wallet_key_derivations_total")
    assert derived >= 2  # KEY and OTHER_KEY, each stretched once
    # KEY again: the tampered one. The replay is not looked up (its key opened that envelope
    # here: Cipher.opened_before), nor is the unknown user's key.
    assert hits >= 1
    if container.settings().backend == "sql":
        assert after["wallet_db_pool_connections_in_use"] == 0
        assert _delta(after, before, "wallet_db_pool_wait_seconds_count") >= 6
    for personal_or_secret in (USER, "m@example.com", KEY, OTHER_KEY, TOKEN):
        assert personal_or_secret not in text


async def test_metrics_need_the_token(container: Container) -> None:
    async with http_client(container) as client:
        response = await client.get("/metrics")
    assert response.status_code == 401


def test_database_unavailable_is_logged_once_per_interval_with_a_count(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(problems, "_unavailable_warning", Throttled(5.0, clock=lambda: now[0]))
    caplog.set_level(logging.WARNING, logger="wallet_orchestrator")
    request = object()
    for _ in range(500):
        problems.domain_error(request, StoreUnavailable("ConnectionError"))  # type: ignore[arg-type]
    now[0] += 6
    waited = StoreUnavailable("TimeoutError", waiting_for_connection=True)
    problems.domain_error(request, waited)  # type: ignore[arg-type]
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "database unavailable: ConnectionError (0 more such answers since the last line)",
        (
            "database unavailable: TimeoutError waiting for a connection "
            "(499 more such answers since the last line)"
        ),
    ]


def test_throttled_emits_at_most_once_per_interval() -> None:
    now = [0.0]
    emitted: list[int] = []
    throttled = Throttled(2.0, clock=lambda: now[0])
    for step in range(10):
        now[0] = step * 0.5
        throttled(emitted.append)
    assert emitted == [0, 3, 3]


def test_log_settings_come_from_the_environment() -> None:
    settings = Settings.from_env({"WALLET_LOG_LEVEL": "debug", "WALLET_LOG_FORMAT": "Console"})
    assert (settings.log_level, settings.log_format) == ("DEBUG", "console")
    assert (Settings.from_env({}).log_level, Settings.from_env({}).log_format) == ("INFO", "json")
    for name, value in (("WALLET_LOG_LEVEL", "loud"), ("WALLET_LOG_FORMAT", "xml")):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({name: value})


def test_the_cli_does_not_import_prometheus_client_before_serve_sets_its_directory() -> None:
    # prometheus-client picks its storage (in-process or shared files) when first imported.
    probe = "import sys, entrypoints.cli; print('prometheus_client' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "False"
