"""The transit backend's HTTP: one pooled client per event loop, the deadline of an operation,
and the mapping of the server's answers to data or to KmsUnavailable, KmsRefused and
EnvelopeTampered.
"""

import asyncio
import base64
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from domain.errors import DomainError, EnvelopeTampered, KmsRefused, KmsUnavailable

NAME = "transit"
CIPHERTEXT = re.compile(r"vault:v([1-9][0-9]{0,9}):([A-Za-z0-9+/]+={0,2})")
POOL = httpx.Limits(max_connections=10, max_keepalive_connections=10)
"""Few connections, all kept: opening one costs more than a request (200 concurrent unwraps on
a local OpenBao: 0.42 s through 10 connections, 0.55 s through 100), and a handful is enough to
keep a transit server busy."""
KEY_MISSING = "no such transit key: run `wallet-orchestrator kms init`"
TAMPERED = "wrapped share or binding fails authentication"


@dataclass(slots=True)
class Session:
    loop: asyncio.AbstractEventLoop
    client: httpx.AsyncClient
    lock: asyncio.Lock


def _error_text(response: httpx.Response) -> str:
    """The response's `errors`, lowercased, to classify it: never quoted in a message (the
    backend may echo inputs there).
    """
    try:
        body = response.json()
    except ValueError:
        return ""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return ""
    return " ".join(error for error in errors if isinstance(error, str)).lower()


def versioned(value: object) -> tuple[int, bytes]:
    """The version and bytes of a `vault:v<N>:<base64>` value the backend returned."""
    match = CIPHERTEXT.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise KmsUnavailable(NAME, "malformed-response")
    return int(match.group(1)), base64.b64decode(match.group(2))


class TransitClient:
    """Requests about the transit key `key_name` (`key`, quoted for paths) mounted at `mount`
    on the server at `addr`, over one pooled HTTP client per event loop (close it with `aclose`
    on that loop). A `client` passed in is used on every loop and left open: its owner closes it.
    """

    def __init__(  # noqa: PLR0913 - where the key is, then how to reach it
        self,
        addr: str,
        mount: str,
        key_name: str,
        *,
        token: str,
        timeout: float,
        client: httpx.AsyncClient | None,
    ) -> None:
        self.key_label = key_name
        self.addr = addr.rstrip("/")
        self.mount = mount.strip("/")
        self.key = quote(key_name, safe="")
        self.timeout = timeout
        self._headers = {"X-Vault-Token": token}
        self._given_client = client
        self.session: Session | None = None

    async def aclose(self) -> None:
        session, self.session = self.session, None
        if session is None or self._given_client is not None:
            return
        if session.loop is asyncio.get_running_loop():
            await session.client.aclose()

    async def read_key(self) -> dict[str, Any] | None:
        """The key's metadata, or None when the mount has no key of that name."""
        response = await self.send("GET", f"{self.mount}/keys/{self.key}", token=True)
        if response.status_code == 404 and "no handler" not in _error_text(response):
            return None
        return self._data(response)

    async def post(self, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        response = await self.send("POST", f"{self.mount}/{path}", body, token=True)
        return self._data(response)

    def _data(self, response: httpx.Response) -> dict[str, Any]:
        if response.is_success:
            if response.status_code == 204:
                return {}
            try:
                data = response.json().get("data")
            except (ValueError, AttributeError):
                data = None
            if not isinstance(data, dict):
                raise KmsUnavailable(NAME, "malformed-response")
            return data
        raise self._failure(response)

    def _failure(self, response: httpx.Response) -> DomainError:  # noqa: PLR0911 - one table
        status, text = response.status_code, _error_text(response)
        if status == 503 and "sealed" in text:
            return KmsUnavailable(NAME, "sealed")
        if status >= 500 or status == 429:
            return KmsUnavailable(NAME, f"http-{status}")
        if 300 <= status < 400:
            # A standby node (or one just unsealed, not yet active) redirects to the active
            # one. Not followed: the token would go wherever the answer points. Asking again
            # later reaches an active node.
            return KmsUnavailable(NAME, f"http-{status}")
        if status == 403:
            reason = "permission denied (the token is invalid or expired, or its policy does "
            reason += f"not allow this operation on {self.mount}/*/{self.key_label})"
            return KmsRefused(NAME, self.key_label, reason)
        if status == 404 and "no handler" in text:
            reason = f"no transit engine is mounted at {self.mount!r}"
            return KmsRefused(NAME, self.key_label, reason)
        if "key not found" in text:
            return KmsRefused(NAME, self.key_label, KEY_MISSING)
        if "disallowed by policy" in text:
            reason = "this key version is disabled by min_decryption_version (revoked)"
            return KmsRefused(NAME, self.key_label, reason)
        if "authentication failed" in text:
            return EnvelopeTampered(TAMPERED)
        if "invalid ciphertext" in text:
            return EnvelopeTampered("wrapped share is malformed")
        reason = f"the backend rejected the request (HTTP {status})"
        return KmsRefused(NAME, self.key_label, reason)

    async def send(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, token: bool = False
    ) -> httpx.Response:
        headers = self._headers if token else None
        try:
            return await self.http().client.request(
                method, f"{self.addr}/v1/{path}", json=body, headers=headers
            )
        except httpx.TimeoutException as error:
            raise KmsUnavailable(NAME, "timeout") from error
        except httpx.HTTPError as error:
            raise KmsUnavailable(NAME, type(error).__name__) from error

    def http(self) -> Session:
        """The running event loop's client (and lock): a pool is bound to the loop that made it."""
        loop = asyncio.get_running_loop()
        session = self.session
        if session is None or session.loop is not loop:
            client = self._given_client or httpx.AsyncClient(timeout=self.timeout, limits=POOL)
            session = self.session = Session(loop, client, asyncio.Lock())
        return session

    @asynccontextmanager
    async def deadline(self) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(self.timeout):
                yield
        except TimeoutError:
            raise KmsUnavailable(NAME, "timeout") from None
