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

The HTTP calls and the mapping of failures are in adapters.kms.transit_client, the key's
versions and check values in adapters.kms.transit_keys.
"""

import base64
import re
from typing import Any

import httpx

from adapters.kms.base import SHARE_BYTES, BackendCheck, WrappedShare
from adapters.kms.transit_client import NAME, Session, TransitClient, versioned
from adapters.kms.transit_keys import KEY_TYPE, KeyVersions
from domain.errors import DomainError, EnvelopeTampered, KmsKeyMismatch, KmsUnavailable

__all__ = ["KEY_REF", "KEY_TYPE", "NAME", "TransitKeyWrapper"]  # NAME, KEY_TYPE: as before

KEY_REF = re.compile(r"v([1-9][0-9]{0,9})-([0-9a-f]{12})")
CHECK_CONTEXT = b"wallet-orchestrator doctor round trip"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


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
        self._client = TransitClient(
            addr, mount, key_name, token=token, timeout=timeout, client=client
        )
        self._keys = KeyVersions(self._client)

    def __repr__(self) -> str:
        http = self._client
        return (
            f"TransitKeyWrapper(addr={http.addr!r}, mount={http.mount!r}, "
            f"key_name={self.key_label!r}, timeout={http.timeout!r})"
        )

    @property
    def _session(self) -> Session | None:
        """The client of the loop that last used this wrapper, if any (tests close it there)."""
        return self._client.session

    async def wrap(self, share: bytes, context: bytes) -> WrappedShare:
        _require_context(context)
        if len(share) != SHARE_BYTES:
            raise ValueError("a share is 32 bytes")
        async with self._client.deadline():
            state = await self._keys.state(refresh=True)  # encrypt would create a missing key
            body = {"plaintext": _b64(share), "context": _b64(context)}
            data = await self._client.post(f"encrypt/{self._client.key}", body)
            version, wrapped = versioned(data.get("ciphertext"))
            return WrappedShare(NAME, await self._keys.key_ref(version, state), wrapped)

    async def unwrap(self, wrapped: WrappedShare, context: bytes) -> bytes:
        _require_context(context)
        version, kcv = _parse_key_ref(wrapped)
        async with self._client.deadline():
            await self._keys.verify(version, kcv)
            body = {"ciphertext": _ciphertext(version, wrapped), "context": _b64(context)}
            data = await self._authenticated("decrypt", body, version, kcv)
            plaintext = data.get("plaintext")
            if not isinstance(plaintext, str):
                raise KmsUnavailable(NAME, "malformed-response")
            return base64.b64decode(plaintext)

    async def rewrap(self, wrapped: WrappedShare, context: bytes) -> WrappedShare | None:
        _require_context(context)
        version, kcv = _parse_key_ref(wrapped)
        async with self._client.deadline():
            state = await self._keys.verify(version, kcv)
            if version == state.latest:
                return None
            body = {"ciphertext": _ciphertext(version, wrapped), "context": _b64(context)}
            data = await self._authenticated("rewrap", body, version, kcv)
            new_version, rewrapped = versioned(data.get("ciphertext"))
            return WrappedShare(NAME, await self._keys.key_ref(new_version, state), rewrapped)

    async def ensure_key(self) -> bool:
        async with self._client.deadline():
            data = await self._client.read_key()
            created = data is None
            if created:
                body = {"type": KEY_TYPE, "derived": True}
                await self._client.post(f"keys/{self._client.key}", body)
                # a key made again may reuse the old one's creation second
                self._keys.forget_check_values()
                data = await self._client.read_key()
            if data is None:
                raise KmsUnavailable(NAME, "inconsistent-response")
            self._keys.remember(data)
            return created

    async def rotate_key(self) -> str:
        async with self._client.deadline():
            await self._client.post(f"keys/{self._client.key}/rotate", None)
            state = await self._keys.state(refresh=True)
            return await self._keys.key_ref(state.latest, state)

    async def check(self) -> list[BackendCheck]:
        checks = [self._check_reachable, self._check_token, self._check_key, self._check_round]
        report: list[BackendCheck] = []
        for check in checks:
            report.append(await check())
            if not report[-1].ok:
                break
        return report

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _authenticated(
        self, operation: str, body: dict[str, Any], version: int, kcv: str
    ) -> dict[str, Any]:
        """Decrypt or rewrap; a share that fails authentication is checked again against the
        key as it is now, so that a key made again reads as a mismatch, not as tampering.
        """
        try:
            return await self._client.post(f"{operation}/{self._client.key}", body)
        except EnvelopeTampered:
            await self._keys.verify(version, kcv, fresh=True)
            raise

    # -- doctor -----------------------------------------------------------------------------

    async def _check_reachable(self) -> BackendCheck:
        name, addr = "transit server reachable and unsealed", self._client.addr
        path = "sys/health?standbyok=true&perfstandbyok=true"
        try:
            async with self._client.deadline():
                response = await self._client.send("GET", path)
        except KmsUnavailable as error:
            fix = "check the transit address setting and that the server runs"
            return _failed(name, f"cannot reach {addr} ({error.cause}): {fix}")
        if response.status_code == 200:
            return _passed(name, f"{addr} answers, unsealed")
        if response.status_code == 503:
            fix = "unseal it (bao operator unseal) before the service can wrap or unwrap"
            return _failed(name, f"{addr} is sealed: {fix}")
        if response.status_code == 501:
            return _failed(name, f"{addr} is not initialised (operator init)")
        return _failed(name, f"{addr} health is HTTP {response.status_code}")

    async def _check_token(self) -> BackendCheck:
        name = "token accepted"
        try:
            async with self._client.deadline():
                response = await self._client.send("GET", "auth/token/lookup-self", token=True)
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
            async with self._client.deadline():
                state = await self._keys.state(refresh=True)
        except DomainError as error:
            return _failed(name, str(error))
        detail = f"{self._client.mount}/{self.key_label}: {KEY_TYPE}, derived, latest version "
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


def _passed(name: str, detail: str) -> BackendCheck:
    return BackendCheck(name, ok=True, detail=detail)


def _failed(name: str, detail: str) -> BackendCheck:
    return BackendCheck(name, ok=False, detail=detail)
