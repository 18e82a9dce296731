"""A key-management backend seen from outside: every call timed and told to a listener."""

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from adapters.kms.base import BackendCheck, KeyWrapper, WrappedShare
from domain.errors import EnvelopeTampered, KmsKeyMismatch, KmsRefused, KmsUnavailable

CallListener = Callable[[str, str, float], None]
"""Told the operation (wrap, unwrap, rewrap, ensure_key, rotate_key), its outcome and seconds."""
OUTCOMES = ("ok", "unavailable", "refused", "key_mismatch", "tampered", "error")
_OUTCOME_OF: tuple[tuple[type[Exception], str], ...] = (
    (KmsUnavailable, "unavailable"),
    (KmsRefused, "refused"),
    (KmsKeyMismatch, "key_mismatch"),
    (EnvelopeTampered, "tampered"),
)
Result = TypeVar("Result")


class ObservedKeyWrapper:
    """The same backend; each call's operation, outcome (one of OUTCOMES) and duration go to
    `on_call`. Outcomes are fixed words: never a message, a key or a context.
    """

    def __init__(self, inner: KeyWrapper, on_call: CallListener) -> None:
        self._inner = inner
        self._on_call = on_call
        self.name = inner.name
        self.key_label = inner.key_label

    async def wrap(self, share: bytes, context: bytes) -> WrappedShare:
        return await self._observed("wrap", self._inner.wrap(share, context))

    async def unwrap(self, wrapped: WrappedShare, context: bytes) -> bytes:
        return await self._observed("unwrap", self._inner.unwrap(wrapped, context))

    async def rewrap(self, wrapped: WrappedShare, context: bytes) -> WrappedShare | None:
        return await self._observed("rewrap", self._inner.rewrap(wrapped, context))

    async def ensure_key(self) -> bool:
        return await self._observed("ensure_key", self._inner.ensure_key())

    async def rotate_key(self) -> str:
        return await self._observed("rotate_key", self._inner.rotate_key())

    async def check(self) -> list[BackendCheck]:
        return await self._inner.check()

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def _observed(self, operation: str, call: Awaitable[Result]) -> Result:
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await call
        except Exception as error:
            outcome = next((name for kind, name in _OUTCOME_OF if isinstance(error, kind)), "error")
            raise
        else:
            outcome = "ok"
            return result
        finally:
            self._on_call(operation, outcome, time.perf_counter() - started)
