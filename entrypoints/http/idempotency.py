"""Idempotency-Key on every route that changes state: the first request with a key runs and its
answer is kept (in the database, per token, for WALLET_IDEMPOTENCY_TTL_SECONDS); the same
request again gets that answer, with `Idempotent-Replayed: true`, without running.

The request is known by an HMAC-SHA256, keyed with the presented bearer token, of its method,
path, query and body: bodies hold caller keys, and a plain hash of one in the database could be
tried against guesses offline. Answers that would hold a secret (an export's sealed seed) are not
kept: a repeat of such a request runs again. 5xx and 429 answers are not kept either: the key is
freed, and a retry runs.
"""

import asyncio
import hashlib
import hmac
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar.enums import ScopeType
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from domain.errors import Field, IdempotencyKeyReused, InvalidInput, RequestInProgress
from domain.idempotency import IdempotencyRecord, KeptResponse
from domain.model import utc_now
from domain.ports import UnitOfWork

HEADER = "idempotency-key"
REPLAYED_HEADER = "Idempotent-Replayed"
REPLAYED = REPLAYED_HEADER.lower().encode()
OPT = "idempotency"
"""A route's `opt` key: REPLAY (its answers are kept) or RERUN (a repeat runs again)."""
REPLAY, RERUN = "replay", "rerun"
CHANGING_METHODS = frozenset({"POST", "PUT", "DELETE"})
_KEY = re.compile(r"[\x20-\x7e]{1,255}")
LEASE = timedelta(seconds=120)
"""After this long without an answer, a key's first request is taken to have died with its
process, and a repeat runs it again."""
_POLL_SECONDS = 0.05
_PURGE_EVERY_SECONDS = 60.0
PURGE_BATCH = 500
_NOT_KEPT = frozenset({429})
_SERVER_ERRORS = 500


class PurgeSchedule:
    """When this process last purged expired keys: one schedule for every route's middleware
    (Litestar builds a middleware stack per route), so that a purge runs at most once a minute
    per process.
    """

    def __init__(self, every_seconds: float = _PURGE_EVERY_SECONDS) -> None:
        self._every = every_seconds
        self._next = 0.0

    def due(self) -> bool:
        """Whether a purge is due now; if so, the next is a period away."""
        now = time.monotonic()
        if now < self._next:
            return False
        self._next = now + self._every
        return True


@dataclass(frozen=True, slots=True)
class IdempotencySettings:
    """How long keys are kept, how long a repeat waits for a first request still running, the
    largest body a keyed request may have (the app's own limit), and the process's purges.
    """

    ttl: timedelta
    wait_seconds: float
    max_body_bytes: int
    purges: PurgeSchedule


class IdempotencyMiddleware:
    """Idempotency-Key for the routes whose `opt` says so (after authentication: keys are the
    token's own). 400 for a malformed key, 422 idempotency-key-reused for a key used for another
    request, 409 request-in-progress when the first request is still running past the wait.
    """

    def __init__(
        self,
        app: ASGIApp,
        uow_factory: Callable[[], UnitOfWork],
        settings: IdempotencySettings,
    ) -> None:
        self._app = app
        self._uow = uow_factory
        self._settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _idempotency_key(scope)
        if key is None:
            await self._app(scope, receive, send)
            return
        messages, body = await _read_body(scope, receive, self._settings.max_body_bytes)
        replay_receive = _replaying(messages, receive)
        record = IdempotencyRecord(
            str(scope.get("user")),
            key,
            _request_hash(scope, body),
            utc_now(),
            utc_now() + self._settings.ttl,
        )
        kept = await self._claimed(record)
        if kept is not None:
            await _send_kept(kept, send)
            return
        answer = _Recorder(send)
        try:
            await self._app(scope, replay_receive, answer.send)
        finally:
            await self._settle(record, answer, keep=_handler_opt(scope) == REPLAY)
        await self._purge_now_and_then()

    async def _claimed(self, record: IdempotencyRecord) -> KeptResponse | None:
        """None when this request is to run (the key is now its); else the first answer."""
        deadline = time.monotonic() + self._settings.wait_seconds
        while True:
            async with self._uow() as uow:
                if await uow.idempotency.claim(record):
                    await uow.commit()
                    return None
                kept = await uow.idempotency.get(record.token_id, record.key)
                if kept is not None and kept.request_hash != record.request_hash:
                    raise IdempotencyKeyReused
                if kept is not None and kept.response is not None:
                    return kept.response
                abandoned = kept is not None and utc_now() - kept.started_at > LEASE
                if abandoned and kept and await uow.idempotency.take_over(kept, utc_now()):
                    await uow.commit()
                    return None
            if time.monotonic() >= deadline:
                raise RequestInProgress
            await asyncio.sleep(_POLL_SECONDS)

    async def _settle(self, record: IdempotencyRecord, answer: "_Recorder", *, keep: bool) -> None:
        async with self._uow() as uow:
            response = answer.kept() if keep else None
            if response is None:
                await uow.idempotency.remove(record.token_id, record.key)
            else:
                await uow.idempotency.answer(record.token_id, record.key, response)
            await uow.commit()

    async def _purge_now_and_then(self) -> None:
        """Delete a batch of expired keys, at most once a minute per process."""
        if not self._settings.purges.due():
            return
        async with self._uow() as uow:
            await uow.idempotency.purge(utc_now(), PURGE_BATCH)
            await uow.commit()


class _Recorder:
    """Passes the answer on, and keeps its status, media type and body."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status = 0
        self.media_type = ""
        self._body: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            headers = dict(message.get("headers", []))
            self.media_type = headers.get(b"content-type", b"").decode("latin-1")
        elif message["type"] == "http.response.body":
            self._body.append(bytes(message.get("body", b"")))
        await self._send(message)

    def kept(self) -> KeptResponse | None:
        """The answer to keep, or None (a 5xx or 429, or no answer at all)."""
        if not self.status or self.status >= _SERVER_ERRORS or self.status in _NOT_KEPT:
            return None
        return KeptResponse(self.status, b"".join(self._body), self.media_type)


def _idempotency_key(scope: Scope) -> str | None:
    """The request's key, when it has one and its route takes one; InvalidInput if malformed."""
    if scope["type"] != ScopeType.HTTP or scope.get("method") not in CHANGING_METHODS:
        return None
    if _handler_opt(scope) not in (REPLAY, RERUN):
        return None
    values = [value for name, value in scope["headers"] if name == HEADER.encode()]
    if not values:
        return None
    text = values[0].decode("latin-1")
    if len(values) > 1 or not _KEY.fullmatch(text):
        raise InvalidInput(
            Field.IDEMPOTENCY_KEY, "must be one header of 1 to 255 printable ASCII characters"
        )
    return text


def _handler_opt(scope: Scope) -> Any:
    handler = scope.get("route_handler")
    return None if handler is None else handler.opt.get(OPT)


async def _read_body(
    scope: Scope, receive: Receive, limit: int
) -> tuple[list[ReceiveMessage], bytes]:
    """The request's body messages, read whole; 413 as soon as it is known to be over `limit`
    (by its Content-Length, or by what came), before more is read.
    """
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            raise RequestEntityTooLarge
    messages: list[ReceiveMessage] = []
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise RequestEntityTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return messages, b"".join(chunks)


def _replaying(messages: list[ReceiveMessage], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> ReceiveMessage:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


def _request_hash(scope: Scope, body: bytes) -> str:
    token = b""
    for name, value in scope["headers"]:
        if name == b"authorization":
            token = value.partition(b" ")[2].strip()
    request = b"\n".join(
        (
            str(scope.get("method", "")).encode(),
            scope.get("raw_path") or str(scope["path"]).encode(),
            scope.get("query_string", b""),
            body,
        )
    )
    return hmac.new(token, request, hashlib.sha256).hexdigest()


async def _send_kept(kept: KeptResponse, send: Send) -> None:
    headers = [(b"content-length", str(len(kept.body)).encode()), (REPLAYED, b"true")]
    if kept.media_type:
        headers.append((b"content-type", kept.media_type.encode("latin-1")))
    await send({"type": "http.response.start", "status": kept.status, "headers": headers})
    await send({"type": "http.response.body", "body": kept.body, "more_body": False})
