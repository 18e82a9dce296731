"""What this process knows of the transit key: its versions as last read (briefly trusted) and
the key check value of each version, so that a key_ref names one version of one key.
"""

import base64
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.kms.transit_client import KEY_MISSING, NAME, TransitClient, versioned
from domain.errors import KmsKeyMismatch, KmsRefused, KmsUnavailable

KEY_TYPE = "aes256-gcm96"
KCV_INPUT = base64.b64encode(b"wallet-orchestrator key check").decode()
KCV_BYTES = 6
STATE_TTL = 1.0
"""How long unwrap and rewrap trust the key's metadata (latest version, versions' creation
times): it only decides whether rewrap has work to do; rotate_key refreshes it at once."""


@dataclass(frozen=True, slots=True)
class KeyState:
    latest: int
    min_decryption: int
    created: Mapping[int, int]
    """Creation time (to the second) of each version still enabled: a key deleted and made
    again has new ones, unless both happened within the same second."""
    read_at: float


class KeyVersions:
    """The key's state and its versions' check values, read through `client`."""

    def __init__(self, client: TransitClient) -> None:
        self._client = client
        self._state: KeyState | None = None
        self._kcvs: dict[tuple[int, int], str] = {}

    def forget_check_values(self) -> None:
        self._kcvs.clear()

    def remember(self, data: dict[str, Any]) -> None:
        """Take `data`, the key's metadata just read, as its state."""
        self._state = self._state_of(data)

    async def verify(self, version: int, kcv: str, *, fresh: bool = False) -> KeyState:
        """The key's state, once version `version` of it is known to have check value `kcv`."""
        state = await self.state(refresh=fresh)
        if version not in state.created and not fresh:
            state = await self.state(refresh=True)
        if version < state.min_decryption:
            raise KmsRefused(NAME, self._client.key_label, _revoked(version, state))
        if version not in state.created:
            latest = f"its latest is v{state.latest}"
            raise KmsKeyMismatch(NAME, f"transit key has no version v{version} ({latest})")
        if await self._kcv(version, state, fresh=fresh) != kcv:
            raise KmsKeyMismatch(NAME, f"version v{version} is another key's (check value)")
        return state

    async def key_ref(self, version: int, state: KeyState) -> str:
        if version not in state.created:  # another process rotated since the state was read
            state = await self.state(refresh=True)
        if version not in state.created:
            raise KmsUnavailable(NAME, "inconsistent-response")
        return f"v{version}-{await self._kcv(version, state)}"

    async def _kcv(self, version: int, state: KeyState, *, fresh: bool = False) -> str:
        cache_key = (version, state.created[version])
        if not fresh and (known := self._kcvs.get(cache_key)) is not None:
            return known
        async with self._client.http().lock:
            if not fresh and (known := self._kcvs.get(cache_key)) is not None:
                return known
            body = {"input": KCV_INPUT, "key_version": version}
            data = await self._client.post(f"hmac/{self._client.key}/sha2-256", body)
            _, mac = versioned(data.get("hmac"))
            self._kcvs[cache_key] = mac[:KCV_BYTES].hex()
            return self._kcvs[cache_key]

    async def state(self, *, refresh: bool = False) -> KeyState:
        state = self._state
        if not refresh and state is not None and state.read_at > time.monotonic() - STATE_TTL:
            return state
        async with self._client.http().lock:
            if self._state is not state and self._state is not None:
                return self._state  # read by another task while this one waited
            data = await self._client.read_key()
            if data is None:
                raise KmsRefused(NAME, self._client.key_label, KEY_MISSING)
            self._state = self._state_of(data)
            return self._state

    def _state_of(self, data: dict[str, Any]) -> KeyState:
        if data.get("type") != KEY_TYPE or data.get("derived") is not True:
            reason = f"the key is not a derived {KEY_TYPE} key, so it would not authenticate "
            reason += "the wallets' bindings: configure a new key name and run "
            reason += "`wallet-orchestrator kms init`"
            raise KmsRefused(NAME, self._client.key_label, reason)
        try:
            created = {int(v): int(t) for v, t in data["keys"].items()}
            latest, minimum = int(data["latest_version"]), int(data["min_decryption_version"])
        except (KeyError, TypeError, ValueError, AttributeError):
            raise KmsUnavailable(NAME, "malformed-response") from None
        return KeyState(latest, minimum, created, time.monotonic())


def _revoked(version: int, state: KeyState) -> str:
    return (
        f"key version v{version} is disabled by min_decryption_version "
        f"v{state.min_decryption} (revoked)"
    )
