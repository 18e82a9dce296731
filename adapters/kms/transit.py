"""A Vault-compatible transit engine (OpenBao, HashiCorp Vault) as the key-management backend:
shares are wrapped by an aes256-gcm96 key created with derived=true, so each wallet's binding
(the context) is authenticated by the backend, and the key never leaves it (rewrap included).

key_ref is `v<version>-<kcv>`: the transit key version and a key check value of that version
(the first bytes of its HMAC of a fixed input). The check value tells a share of another key
(another server, a key deleted and made again under the same name: KmsKeyMismatch) from a
damaged share (EnvelopeTampered), which the ciphertext's failing authentication alone cannot.

Transit's encrypt creates a missing key on the fly ("upsert"), so `wrap` reads the key before
each encryption and refuses when it is gone; a token whose policy grants only `update` (not
`create`) on `<mount>/encrypt/<key>` closes that door on the server's side as well.
"""

import asyncio
import base64
import re
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from adapters.kms.base import SHARE_BYTES, BackendCheck, WrappedShare
from domain.errors import DomainError, EnvelopeTampered, KmsKeyMismatch, KmsRefused, KmsUnavailable

NAME = "transit"
KEY_TYPE = "aes256-gcm96"
KCV_INPUT = base64.b64encode(b"wallet-orchestrator key check").decode()
KCV_BYTES = 6
STATE_TTL = 1.0
"""How long unwrap and rewrap trust the key's metadata (latest version, versions' creation
times): it only decides whether rewrap has work to do; rotate_key refreshes it at once."""
KEY_REF = re.compile(r"v([1-9][0-9]{0,9})-([0-9a-f]{12})")
CIPHERTEXT = re.compile(r"vault:v([1-9][0-9]{0,9}):([A-Za-z0-9+/]+={0,2})")
POOL = httpx.Limits(max_connections=10, max_keepalive_connections=10)
"""Few connections, all kept: opening one costs more than a request (200 concurrent unwraps on
a local OpenBao: 0.42 s through 10 connections, 0.55 s through 100), and a handful is enough to
keep a transit server busy."""
CHECK_CONTEXT = b"wallet-orchestrator doctor round trip"
KEY_MISSING = "no such transit key: run `wallet-orchestrator kms init`"
TAMPERED = "wrapped share or binding fails authentication"


@dataclass(frozen=True, slots=True)
class _KeyState:
    latest: int
    min_decryption: int
    created: Mapping[int, int]
    """Creation time (to the second) of each version still enabled: a key deleted and made
    again has new ones, unless both happened within the same second."""
    read_at: float


@dataclass(slots=True)
class _Session:
    loop: asyncio.AbstractEventLoop
    client: httpx.AsyncClient
    lock: asyncio.Lock


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


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


def _versioned(value: object) -> tuple[int, bytes]:
    """The version and bytes of a `vault:v<N>:<base64>` value the backend returned."""
    match = CIPHERTEXT.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise KmsUnavailable(NAME, "malformed-response")
    return int(match.group(1)), base64.b64decode(match.group(2))


class TransitKeyWrapper:
    """Shares wrapped by one transit key, over one pooled HTTP client per event loop (close it
    with `aclose` on that loop). A `client` passed in is used on every loop and left open: its
    owner closes it.
    """

    name = NAME

    def __init__(  # noqa: PLR0913, PLR0917 - the backend's settings, as operators name them
        self,
        addr: str,
        token: str,
        key_name: str,
        timeout: float,
        mount: str = "transit",
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.key_label = key_name
        self._addr = addr.rstrip("/")
        self._mount = mount.strip("/")
        self._key = quote(key_name, safe="")
        self._timeout = timeout
        self._headers = {"X-Vault-Token": token}
        self._given_client = client
        self._session: _Session | None = None
        self._state: _KeyState | None = None
        self._kcvs: dict[tuple[int, int], str] = {}

    def __repr__(self) -> str:
        return (
            f"TransitKeyWrapper(addr={self._addr!r}, mount={self._mount!r}, "
            f"key_name={self.key_label!r}, timeout={self._timeout!r})"
        )

    async def wrap(self, share: bytes, context: bytes) -> WrappedShare:
        _require_context(context)
        if len(share) != SHARE_BYTES:
            raise ValueError("a share is 32 bytes")
        async with self._deadline():
            state = await self._key_state(refresh=True)  # encrypt would create a missing key
            body = {"plaintext": _b64(share), "context": _b64(context)}
            data = await self._post(f"encrypt/{self._key}", body)
            version, wrapped = _versioned(data.get("ciphertext"))
            return WrappedShare(NAME, await self._key_ref(version, state), wrapped)

    async def unwrap(self, wrapped: WrappedShare, context: bytes) -> bytes:
        _require_context(context)
        version, kcv = _parse_key_ref(wrapped)
        async with self._deadline():
            await self._verify(version, kcv)
            body = {"ciphertext": _ciphertext(version, wrapped), "context": _b64(context)}
            data = await self._authenticated(f"decrypt/{self._key}", body, version, kcv)
            plaintext = data.get("plaintext")
            if not isinstance(plaintext, str):
                raise KmsUnavailable(NAME, "malformed-response")
            return base64.b64decode(plaintext)

    async def rewrap(self, wrapped: WrappedShare, context: bytes) -> WrappedShare | None:
        _require_context(context)
        version, kcv = _parse_key_ref(wrapped)
        async with self._deadline():
            state = await self._verify(version, kcv)
            if version == state.latest:
                return None
            body = {"ciphertext": _ciphertext(version, wrapped), "context": _b64(context)}
            data = await self._authenticated(f"rewrap/{self._key}", body, version, kcv)
            new_version, rewrapped = _versioned(data.get("ciphertext"))
            return WrappedShare(NAME, await self._key_ref(new_version, state), rewrapped)

    async def ensure_key(self) -> bool:
        async with self._deadline():
            data = await self._read_key()
            created = data is None
            if created:
                await self._post(f"keys/{self._key}", {"type": KEY_TYPE, "derived": True})
                self._kcvs.clear()  # a key made again may reuse the old one's creation second
                data = await self._read_key()
            if data is None:
                raise KmsUnavailable(NAME, "inconsistent-response")
            self._state = self._state_of(data)
            return created

    async def rotate_key(self) -> str:
        async with self._deadline():
            await self._post(f"keys/{self._key}/rotate", None)
            state = await self._key_state(refresh=True)
            return await self._key_ref(state.latest, state)

    async def check(self) -> list[BackendCheck]:
        checks = [self._check_reachable, self._check_token, self._check_key, self._check_round]
        report: list[BackendCheck] = []
        for check in checks:
            report.append(await check())
            if not report[-1].ok:
                break
        return report

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is None or self._given_client is not None:
            return
        if session.loop is asyncio.get_running_loop():
            await session.client.aclose()

    # -- doctor -----------------------------------------------------------------------------

    async def _check_reachable(self) -> BackendCheck:
        name = "transit server reachable and unsealed"
        try:
            async with self._deadline():
                response = await self._send("GET", "sys/health?standbyok=true&perfstandbyok=true")
        except KmsUnavailable as error:
            fix = "check the transit address setting and that the server runs"
            return _failed(name, f"cannot reach {self._addr} ({error.cause}): {fix}")
        if response.status_code == 200:
            return _passed(name, f"{self._addr} answers, unsealed")
        if response.status_code == 503:
            fix = "unseal it (bao operator unseal) before the service can wrap or unwrap"
            return _failed(name, f"{self._addr} is sealed: {fix}")
        if response.status_code == 501:
            return _failed(name, f"{self._addr} is not initialised (operator init)")
        return _failed(name, f"{self._addr} health is HTTP {response.status_code}")

    async def _check_token(self) -> BackendCheck:
        name = "token accepted"
        try:
            async with self._deadline():
                response = await self._send("GET", "auth/token/lookup-self", token=True)
        except KmsUnavailable as error:
            return _failed(name, f"the server did not answer ({error.cause})")
        if response.status_code == 200:
            return _passed(name, "the server accepts the configured token")
        fix = "issue a new token with the wallets' transit policy and configure it"
        reason = f"the server refused the token (HTTP {response.status_code}: invalid, expired"
        return _failed(name, f"{reason} or revoked): {fix}")

    async def _check_key(self) -> BackendCheck:
        name = "transit key present"
        try:
            async with self._deadline():
                state = await self._key_state(refresh=True)
        except DomainError as error:
            return _failed(name, str(error))
        detail = f"{self._mount}/{self.key_label}: {KEY_TYPE}, derived, latest version "
        detail += f"v{state.latest}, min decryption version v{state.min_decryption}"
        return _passed(name, detail)

    async def _check_round(self) -> BackendCheck:
        name = "wrap/unwrap round trip"
        share = bytes(range(SHARE_BYTES))
        try:
            wrapped = await self.wrap(share, CHECK_CONTEXT)
            same = await self.unwrap(wrapped, CHECK_CONTEXT) == share
        except DomainError as error:
            return _failed(name, str(error))
        if not same:
            return _failed(name, "the share unwrapped to other bytes: a broken server")
        return _passed(name, f"wrapped and unwrapped under {wrapped.key_ref}")

    # -- key versions and check values --------------------------------------------------------

    async def _verify(self, version: int, kcv: str, *, fresh: bool = False) -> _KeyState:
        """The key's state, once version `version` of it is known to have check value `kcv`."""
        state = await self._key_state(refresh=fresh)
        if version not in state.created and not fresh:
            state = await self._key_state(refresh=True)
        if version < state.min_decryption:
            raise KmsRefused(NAME, self.key_label, _revoked(version, state))
        if version not in state.created:
            latest = f"its latest is v{state.latest}"
            raise KmsKeyMismatch(NAME, f"transit key has no version v{version} ({latest})")
        if await self._kcv(version, state, fresh=fresh) != kcv:
            raise KmsKeyMismatch(NAME, f"version v{version} is another key's (check value)")
        return state

    async def _authenticated(
        self, path: str, body: dict[str, Any], version: int, kcv: str
    ) -> dict[str, Any]:
        """Decrypt or rewrap; a share that fails authentication is checked again against the
        key as it is now, so that a key made again reads as a mismatch, not as tampering.
        """
        try:
            return await self._post(path, body)
        except EnvelopeTampered:
            await self._verify(version, kcv, fresh=True)
            raise

    async def _key_ref(self, version: int, state: _KeyState) -> str:
        if version not in state.created:  # another process rotated since the state was read
            state = await self._key_state(refresh=True)
        if version not in state.created:
            raise KmsUnavailable(NAME, "inconsistent-response")
        return f"v{version}-{await self._kcv(version, state)}"

    async def _kcv(self, version: int, state: _KeyState, *, fresh: bool = False) -> str:
        cache_key = (version, state.created[version])
        if not fresh and (known := self._kcvs.get(cache_key)) is not None:
            return known
        async with self._http().lock:
            if not fresh and (known := self._kcvs.get(cache_key)) is not None:
                return known
            body = {"input": KCV_INPUT, "key_version": version}
            data = await self._post(f"hmac/{self._key}/sha2-256", body)
            _, mac = _versioned(data.get("hmac"))
            self._kcvs[cache_key] = mac[:KCV_BYTES].hex()
            return self._kcvs[cache_key]

    async def _key_state(self, *, refresh: bool = False) -> _KeyState:
        state = self._state
        if not refresh and state is not None and state.read_at > time.monotonic() - STATE_TTL:
            return state
        async with self._http().lock:
            if self._state is not state and self._state is not None:
                return self._state  # read by another task while this one waited
            data = await self._read_key()
            if data is None:
                raise KmsRefused(NAME, self.key_label, KEY_MISSING)
            self._state = self._state_of(data)
            return self._state

    def _state_of(self, data: dict[str, Any]) -> _KeyState:
        if data.get("type") != KEY_TYPE or data.get("derived") is not True:
            reason = f"the key is not a derived {KEY_TYPE} key, so it would not authenticate "
            reason += "the wallets' bindings: configure a new key name and run "
            reason += "`wallet-orchestrator kms init`"
            raise KmsRefused(NAME, self.key_label, reason)
        try:
            created = {int(v): int(t) for v, t in data["keys"].items()}
            latest, minimum = int(data["latest_version"]), int(data["min_decryption_version"])
        except (KeyError, TypeError, ValueError, AttributeError):
            raise KmsUnavailable(NAME, "malformed-response") from None
        return _KeyState(latest, minimum, created, time.monotonic())

    async def _read_key(self) -> dict[str, Any] | None:
        """The key's metadata, or None when the mount has no key of that name."""
        response = await self._send("GET", f"{self._mount}/keys/{self._key}", token=True)
        if response.status_code == 404 and "no handler" not in _error_text(response):
            return None
        return self._data(response)

    # -- HTTP ---------------------------------------------------------------------------------

    async def _post(self, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        response = await self._send("POST", f"{self._mount}/{path}", body, token=True)
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
        if status == 403:
            reason = "permission denied (the token is invalid or expired, or its policy does "
            reason += f"not allow this operation on {self._mount}/*/{self.key_label})"
            return KmsRefused(NAME, self.key_label, reason)
        if status == 404 and "no handler" in text:
            reason = f"no transit engine is mounted at {self._mount!r}"
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

    async def _send(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, token: bool = False
    ) -> httpx.Response:
        headers = self._headers if token else None
        try:
            return await self._http().client.request(
                method, f"{self._addr}/v1/{path}", json=body, headers=headers
            )
        except httpx.TimeoutException as error:
            raise KmsUnavailable(NAME, "timeout") from error
        except httpx.HTTPError as error:
            raise KmsUnavailable(NAME, type(error).__name__) from error

    def _http(self) -> _Session:
        """The running event loop's client (and lock): a pool is bound to the loop that made it."""
        loop = asyncio.get_running_loop()
        session = self._session
        if session is None or session.loop is not loop:
            client = self._given_client or httpx.AsyncClient(timeout=self._timeout, limits=POOL)
            session = self._session = _Session(loop, client, asyncio.Lock())
        return session

    @asynccontextmanager
    async def _deadline(self) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(self._timeout):
                yield
        except TimeoutError:
            raise KmsUnavailable(NAME, "timeout") from None


def _require_context(context: bytes) -> None:
    if not context:
        raise ValueError("a derived transit key needs a non-empty context")


def _parse_key_ref(wrapped: WrappedShare) -> tuple[int, str]:
    if wrapped.backend != NAME:
        raise KmsKeyMismatch(NAME, f"wrapped by the {wrapped.backend} backend")
    match = KEY_REF.fullmatch(wrapped.key_ref)
    if match is None:
        raise KmsKeyMismatch(NAME, "not a transit key reference (v<version>-<check value>)")
    return int(match.group(1)), match.group(2)


def _ciphertext(version: int, wrapped: WrappedShare) -> str:
    return f"vault:v{version}:{_b64(wrapped.wrapped)}"


def _revoked(version: int, state: _KeyState) -> str:
    return (
        f"key version v{version} is disabled by min_decryption_version "
        f"v{state.min_decryption} (revoked)"
    )


def _passed(name: str, detail: str) -> BackendCheck:
    return BackendCheck(name, ok=True, detail=detail)


def _failed(name: str, detail: str) -> BackendCheck:
    return BackendCheck(name, ok=False, detail=detail)
