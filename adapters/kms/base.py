"""What the v2 cipher needs from a key-management backend, whichever it is."""

import re
from dataclasses import dataclass
from typing import Protocol

KEY_REF = re.compile(r"[A-Za-z0-9._-]{1,64}")
"""A backend's name for one version of its wrapping key, as stored in envelopes."""
BACKEND_NAME = re.compile(r"[a-z0-9]{1,16}")
SHARE_BYTES = 32
MAX_WRAPPED_BYTES = 1024


@dataclass(frozen=True, slots=True)
class WrappedShare:
    """A wallet's 32-byte share as a backend wrapped it: the backend's name, the key version that
    wrapped it (`key_ref`, matching KEY_REF) and the backend's opaque bytes (at most
    MAX_WRAPPED_BYTES).
    """

    backend: str
    key_ref: str
    wrapped: bytes


@dataclass(frozen=True, slots=True)
class BackendCheck:
    """One line of `doctor`'s report on the backend: what was checked, whether it passed, and how
    to fix it when it did not (never a secret).
    """

    name: str
    ok: bool
    detail: str


class KeyWrapper(Protocol):
    """A key-management backend that wraps and unwraps 32-byte shares under a key it never lets
    out, binding each share to a context (the wallet's binding) that it authenticates.

    Every call is bounded by the deadline the backend was configured with. Errors (domain):
    KmsUnavailable (unreachable, too slow, sealed: retry later), KmsRefused (permission, no such
    key, a version disabled by policy: an operator must act), KmsKeyMismatch (`unwrap`/`rewrap`
    of a share that another key wrapped: a key this backend does not have under that reference,
    or another backend), EnvelopeTampered (the key is the right one but the wrapped bytes or the
    context do not authenticate). Nothing unwrapped is kept after the call returns.
    """

    name: str
    """Stored in every envelope this backend wraps (matches BACKEND_NAME)."""
    key_label: str
    """The configured key's name, for operators' messages and logs."""

    async def wrap(self, share: bytes, context: bytes) -> WrappedShare:
        """The share wrapped by the newest version of the key, bound to `context`."""
        ...

    async def unwrap(self, wrapped: WrappedShare, context: bytes) -> bytes:
        """The share, if `wrapped` was made by `wrap` with this context and a version of this
        backend's key that is still enabled.
        """
        ...

    async def rewrap(self, wrapped: WrappedShare, context: bytes) -> WrappedShare | None:
        """The share wrapped again by the newest key version, without it leaving the backend
        where the backend allows (transit's rewrap); None when it already is.
        """
        ...

    async def ensure_key(self) -> bool:
        """Create the wrapping key if it does not exist (True), else do nothing (False)."""
        ...

    async def rotate_key(self) -> str:
        """Make a new newest version of the wrapping key and return its key_ref. Shares wrapped
        by older versions still unwrap until they are rewrapped.
        """
        ...

    async def check(self) -> list[BackendCheck]:
        """Doctor's checks: reachable, key present, a wrap/unwrap round trip."""
        ...

    async def aclose(self) -> None:
        """Release connections and sessions."""
        ...
