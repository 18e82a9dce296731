"""Holders of secret bytes: redacted in repr and str, wiped (best effort) when done."""

from collections.abc import Hashable
from types import TracebackType
from typing import Self

from domain.errors import Field, InvalidInput


class Secret:
    """Secret bytes in a mutable buffer. Use as a context manager to wipe the buffer on exit."""

    __slots__ = ("_buffer",)

    def __init__(self, value: bytes | bytearray) -> None:
        self._buffer = bytearray(value)

    def reveal(self) -> bytearray:
        """The secret bytes themselves; callers must not copy them into logs or messages."""
        return self._buffer

    def wipe(self) -> None:
        """Overwrite the buffer with zeros and empty it."""
        self._buffer[:] = bytes(len(self._buffer))  # same length: written in place
        self._buffer.clear()

    def __len__(self) -> int:
        return len(self._buffer)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.wipe()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<redacted>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError(f"{type(self).__name__} cannot be pickled")


class EncryptionKey(Secret):
    """The caller's encryption key (UTF-8 bytes of the text it sent). Never stored."""

    MIN_CHARS = 16
    MAX_CHARS = 1024

    @classmethod
    def from_text(cls, text: str, field: Field = Field.ENCRYPTION_KEY) -> "EncryptionKey":
        """Validate the key's length in characters and hold its UTF-8 bytes; errors name
        `field`.
        """
        if not cls.MIN_CHARS <= len(text) <= cls.MAX_CHARS:
            raise InvalidInput(field, f"must be {cls.MIN_CHARS} to {cls.MAX_CHARS} characters long")
        try:
            return cls(text.encode("utf-8"))
        except UnicodeEncodeError:
            raise InvalidInput(field, "must be valid Unicode text") from None


class PreparedKey(EncryptionKey):
    """The caller's key with what a cipher made of it ahead of time (its stretched form for the
    cipher's current parameters), so that sealing and opening under it need no slow step.
    `material` is opaque to everything but the cipher, which recognises it by `scope`; both the
    key and the material are wiped together.
    """

    __slots__ = ("material", "scope")

    def __init__(self, key: bytes | bytearray, material: Secret, scope: Hashable) -> None:
        super().__init__(key)
        self.material = material
        self.scope = scope

    def wipe(self) -> None:
        super().wipe()
        self.material.wipe()


class SecretSeed(Secret):
    """The 32-byte ed25519 seed of a Stellar keypair."""
