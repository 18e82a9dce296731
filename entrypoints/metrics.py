"""Prometheus metrics: what is counted, and the /metrics exposition (multiprocess-safe).

`serve` points PROMETHEUS_MULTIPROC_DIR at a directory before any worker starts, and
prometheus-client then keeps every worker's values in files there that a scrape of any worker
adds up. This module must not be imported before that (the CLI imports it lazily). Labels hold
route templates, statuses and outcome names only: never a user id, key, token or seed.
"""

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from entrypoints.metrics_dir import MULTIPROCESS_DIR
from entrypoints.process_id import process_id

if os.environ.get(MULTIPROCESS_DIR):
    # Each value's update checks the process id (a fork resets the values): the same check,
    # without a system call per update. Set before the first metric is made, as it must be.
    values.ValueClass = values.MultiProcessValue(process_identifier=process_id)  # type: ignore[no-untyped-call]

CONTENT_TYPE = CONTENT_TYPE_LATEST

CREATION_OUTCOMES = (
    "created",
    "replayed",
    "key_mismatch",
    "unknown_user",
    "invalid_input",
    "rejected",
    "failed",
)
KEY_CACHE_RESULTS = ("hit", "shared", "derived")
WEBHOOK_RESULTS = ("delivered", "retrying", "failed")

REQUESTS = Counter(
    "wallet_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "wallet_http_request_duration_seconds",
    "Time from the request's arrival to its last response byte, by method and route template.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CREATIONS = Counter(
    "wallet_creations",
    "Wallet creations (a request to create-user-wallet, or one item of a batch) by outcome: "
    "created, replayed (the wallet existed and the key "
    "opens it), key_mismatch, unknown_user, invalid_input, rejected (no valid token, too large, "
    "rate-limited) or failed (5xx: nothing was stored).",
    ["outcome"],
)
KEY_CACHE_LOOKUPS = Counter(
    "wallet_key_cache_lookups",
    "Stretched-key lookups: hit (cached), shared (waited for a derivation already running) or "
    "derived (an Argon2id run).",
    ["result"],
)
KEY_DERIVATIONS = Counter("wallet_key_derivations", "Argon2id derivations run.")
KEY_DERIVATIONS_WAITING = Gauge(
    "wallet_key_derivations_waiting",
    "Key derivations waiting for a free slot (WALLET_KDF_CONCURRENCY per worker), all workers.",
    multiprocess_mode="livesum",
)
KEY_DERIVATION_WAIT_SECONDS = Histogram(
    "wallet_key_derivation_wait_seconds",
    "Time a key derivation waited for a free slot (past WALLET_DB_TIMEOUT: 503 busy).",
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
TAMPERING = Counter(
    "wallet_envelope_tampering_detected",
    "Stored envelopes that failed their integrity check (right key, damaged or altered data).",
)
POOL_IN_USE = Gauge(
    "wallet_db_pool_connections_in_use",
    "Database connections checked out of the pools, all workers.",
    multiprocess_mode="livesum",
)
POOL_WAIT_SECONDS = Histogram(
    "wallet_db_pool_wait_seconds",
    "Time a unit of work waited for a pooled database connection.",
    buckets=(0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0),
)
KMS_CALLS = Counter(
    "wallet_kms_calls",
    "Calls to the key-management backend (WALLET_KMS), by operation and outcome.",
    ["operation", "outcome"],
)
KMS_CALL_SECONDS = Histogram(
    "wallet_kms_call_seconds",
    "Time a call to the key-management backend took, by operation.",
    ["operation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0),
)

WEBHOOK_ATTEMPTS = Counter(
    "wallet_webhook_attempts",
    "Webhook delivery attempts by result: delivered (a 2xx), retrying (failed, to be tried "
    "again on the schedule) or failed (failed on the last attempt: given up until requeued).",
    ["result"],
)
WEBHOOK_DELIVERIES = Counter(
    "wallet_webhook_deliveries",
    "Webhook deliveries ended, by outcome: delivered, or failed after the last attempt.",
    ["outcome"],
)
WEBHOOK_BACKLOG_SECONDS = Gauge(
    "wallet_webhook_oldest_pending_seconds",
    "Age of the oldest webhook delivery still pending (0 when none), as its dispatcher last saw "
    "it; the largest over workers.",
    multiprocess_mode="livemax",
)

_CREATIONS_BY_OUTCOME = {outcome: CREATIONS.labels(outcome) for outcome in CREATION_OUTCOMES}
_KEY_LOOKUPS_BY_RESULT = {result: KEY_CACHE_LOOKUPS.labels(result) for result in KEY_CACHE_RESULTS}
"""Every outcome's and result's child, made once (a series exists, at 0, before its first count)
and found without `labels()`, which checks and joins its arguments on every call."""
for _result in WEBHOOK_RESULTS:
    WEBHOOK_ATTEMPTS.labels(_result)
for _outcome in ("delivered", "failed"):
    WEBHOOK_DELIVERIES.labels(_outcome)


_REQUEST_SERIES: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
"""Each (method, route, status)'s counter and histogram children, found once: `labels()` checks
and joins its arguments on every call. As many entries as those series themselves."""


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    series = _REQUEST_SERIES.get((method, route, status))
    if series is None:
        count = REQUESTS.labels(method, route, str(status))
        series = (count, REQUEST_SECONDS.labels(method, route))
        _REQUEST_SERIES[method, route, status] = series
    count, duration = series
    count.inc()
    duration.observe(seconds)


def count_creation(outcome: str) -> None:
    _CREATIONS_BY_OUTCOME[outcome].inc()


def count_key_lookup(result: str) -> None:
    _KEY_LOOKUPS_BY_RESULT[result].inc()
    if result == "derived":
        KEY_DERIVATIONS.inc()


def count_derivations_waiting(waiting: int) -> None:
    KEY_DERIVATIONS_WAITING.set(waiting)


def observe_derivation_wait(seconds: float) -> None:
    KEY_DERIVATION_WAIT_SECONDS.observe(seconds)


def count_tampering() -> None:
    TAMPERING.inc()


def observe_kms_call(operation: str, outcome: str, seconds: float) -> None:
    KMS_CALLS.labels(operation, outcome).inc()
    KMS_CALL_SECONDS.labels(operation).observe(seconds)


def count_webhook_attempt(result: str) -> None:
    WEBHOOK_ATTEMPTS.labels(result).inc()
    if result != "retrying":
        WEBHOOK_DELIVERIES.labels(result).inc()


def observe_webhook_backlog(seconds: float) -> None:
    WEBHOOK_BACKLOG_SECONDS.set(seconds)


def observe_pool_wait(seconds: float) -> None:
    POOL_WAIT_SECONDS.observe(seconds)


def watch_pool(engine: AsyncEngine) -> None:
    """Keep POOL_IN_USE in step with this engine's checkouts and checkins."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(*_: Any) -> None:
        POOL_IN_USE.inc()

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(*_: Any) -> None:
        POOL_IN_USE.dec()


def exposition() -> bytes:
    """Every metric in the Prometheus text format: all workers' when running multiprocess."""
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)
