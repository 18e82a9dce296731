"""The pkcs11 backend: shares wrapped by AES-256-GCM under a key generated inside a PKCS#11 token
(an HSM, or SoftHSM2 in tests) that never leaves it.

Key versions are token objects sharing one label; CKA_ID is a 4-byte big-endian version and 8
random bytes, and its hex is the key_ref. The newest version wraps; when two processes made the
same version at once, the one with the smallest id wins everywhere, so both keep unwrapping.

The calls run on worker threads, one session each, under one process-wide lock: see
adapters.kms.pkcs11_sessions.
"""

import os
import re
import time
from collections.abc import Awaitable, Callable
from typing import cast

from pkcs11 import Attribute, GCMParams, KeyType, Mechanism, MechanismFlag, ObjectClass
from pkcs11 import exceptions as p11

from adapters.kms.base import SHARE_BYTES, BackendCheck, WrappedShare
from adapters.kms.pkcs11_sessions import NAME, AesKey, HeldSession, Process, TokenSessions
from domain.errors import EnvelopeTampered, KmsKeyMismatch, KmsRefused, KmsUnavailable
from domain.secrets import Secret

__all__ = ["KEY_REF", "NAME", "Pkcs11KeyWrapper"]  # NAME: importable from here as before

IV_BYTES = 12
TAG_BITS = 128
WRAPPED_BYTES = IV_BYTES + SHARE_BYTES + TAG_BITS // 8
VERSION_BYTES = 4
KEY_ID_BYTES = VERSION_BYTES + 8
KEY_REF = re.compile(r"[0-9a-f]{24}")
NEWEST_TTL_SECONDS = 30.0
"""How long this process trusts its idea of the newest version (another process may rotate)."""
KEY_TEMPLATE = {
    Attribute.TOKEN: True,
    Attribute.PRIVATE: True,
    Attribute.SENSITIVE: True,
    Attribute.EXTRACTABLE: False,
    Attribute.MODIFIABLE: False,
    Attribute.COPYABLE: False,
}


def _version(key_ref: str) -> int:
    return int(key_ref[: VERSION_BYTES * 2], 16)


class Pkcs11KeyWrapper:
    """Wraps shares under the newest version of the AES key labelled `key_label` on the token
    labelled `token_label`. The PIN is held in a Secret: never in repr, errors or logs. A PIN the
    token refused is not offered again until the process restarts, so that retries cannot lock
    the token. Within one process a token is logged in once; a wrapper whose PIN differs from the
    one that logged in is refused.
    """

    name = NAME

    def __init__(  # noqa: PLR0913, PLR0917 - the settings of one token, said once
        self,
        module_path: str,
        token_label: str,
        pin: str,
        key_label: str,
        timeout: float,
        pool_size: int = 4,
    ) -> None:
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        self.module_path = module_path
        self.token_label = token_label
        self.key_label = key_label
        self.timeout = timeout
        self.pool_size = pool_size
        self._sessions = TokenSessions(
            module_path, token_label, Secret(pin.encode("utf-8")), key_label, timeout, pool_size
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(module_path={self.module_path!r}, "
            f"token_label={self.token_label!r}, key_label={self.key_label!r}, "
            f"timeout={self.timeout!r}, pool_size={self.pool_size!r})"
        )

    __str__ = __repr__

    async def wrap(self, share: bytes, context: bytes) -> WrappedShare:
        if len(share) != SHARE_BYTES:
            raise ValueError("a share is 32 bytes")
        return await self._sessions.run(
            lambda process, held: self._wrap(process, held, share, context)
        )

    async def unwrap(self, wrapped: WrappedShare, context: bytes) -> bytes:
        self._check_origin(wrapped)

        def unwrap(process: Process, held: HeldSession) -> bytes:
            return self._decrypt(self._key(process, held, wrapped.key_ref), wrapped, context)

        return await self._sessions.run(unwrap)

    async def rewrap(self, wrapped: WrappedShare, context: bytes) -> WrappedShare | None:
        """Unwrap and wrap again in one call on the worker thread: PKCS#11 has no re-encrypt
        for GCM, so the share passes briefly through this process's memory.
        """
        self._check_origin(wrapped)

        def rewrap(process: Process, held: HeldSession) -> WrappedShare | None:
            if wrapped.key_ref == self._newest(process, held)[0]:
                return None
            share = self._decrypt(self._key(process, held, wrapped.key_ref), wrapped, context)
            return self._wrap(process, held, share, context)

        return await self._sessions.run(rewrap)

    async def ensure_key(self) -> bool:
        def ensure(process: Process, held: HeldSession) -> bool:
            if self._refresh(process, held) is not None:
                return False
            self._generate(process, held, 1)
            return True

        return await self._sessions.run(ensure)

    async def rotate_key(self) -> str:
        def rotate(process: Process, held: HeldSession) -> str:
            newest = self._refresh(process, held)
            return self._generate(process, held, 1 if newest is None else _version(newest) + 1)

        return await self._sessions.run(rotate)

    async def check(self) -> list[BackendCheck]:
        """Module, token and PIN, key, round trip, in that order; once one fails, the next are
        reported as not checked. Failures are reported, not raised.
        """
        sessions = self._sessions
        process = sessions.current_process()
        steps: list[tuple[str, Callable[[], Awaitable[str]]]] = [
            ("PKCS#11 module", lambda: sessions.call(process, sessions.module_loads)),
            ("token and PIN", lambda: sessions.run(lambda _, __: "token found, PIN accepted")),
            ("key present", lambda: sessions.run(self._key_present)),
            ("wrap/unwrap round trip", self._round_trip),
        ]
        checks: list[BackendCheck] = []
        for name, step in steps:
            if checks and not checks[-1].ok:
                checks.append(
                    BackendCheck(name, ok=False, detail="not checked: fix the check above first")
                )
                continue
            try:
                checks.append(BackendCheck(name, ok=True, detail=await step()))
            except KmsRefused as error:
                checks.append(BackendCheck(name, ok=False, detail=error.reason))
            except KmsUnavailable as error:
                detail = f"no answer within {self.timeout}s ({error.cause}): check that the "
                detail += "token is reachable and not overloaded, then retry"
                checks.append(BackendCheck(name, ok=False, detail=detail))
            except (KmsKeyMismatch, EnvelopeTampered) as error:
                detail = f"the share did not come back ({type(error).__name__}): the key does "
                detail += "not work with AES-GCM on this token; check the token's mechanisms"
                checks.append(BackendCheck(name, ok=False, detail=detail))
        return checks

    async def aclose(self) -> None:
        await self._sessions.aclose()

    def _key_present(self, process: Process, held: HeldSession) -> str:
        newest = self._refresh(process, held)
        if newest is None:
            raise self._no_key()
        return f"newest version {newest}"

    async def _round_trip(self) -> str:
        share = os.urandom(SHARE_BYTES)
        wrapped = await self.wrap(share, b"doctor")
        if await self.unwrap(wrapped, b"doctor") != share:
            raise EnvelopeTampered("the round trip returned another share")
        return f"a share wrapped and unwrapped under {wrapped.key_ref}"

    def _no_key(self) -> KmsRefused:
        return self._sessions.refused(
            f"the token {self.token_label!r} has no key labelled {self.key_label!r}: "
            "run `wallet-orchestrator kms init`"
        )

    def _check_origin(self, wrapped: WrappedShare) -> None:
        if wrapped.backend != NAME:
            raise KmsKeyMismatch(NAME, f"wrapped by the {wrapped.backend} backend")
        if not KEY_REF.fullmatch(wrapped.key_ref):
            raise KmsKeyMismatch(NAME, f"{wrapped.key_ref!r} is not a pkcs11 key version")

    def _wrap(
        self, process: Process, held: HeldSession, share: bytes, context: bytes
    ) -> WrappedShare:
        key_ref, key = self._newest(process, held)
        if key_ref is None or key is None:
            raise self._no_key()
        iv = os.urandom(IV_BYTES)
        sealed = key.encrypt(share, mechanism=Mechanism.AES_GCM, mechanism_param=_gcm(iv, context))
        return WrappedShare(NAME, key_ref, iv + cast("bytes", sealed))

    def _decrypt(self, key: AesKey, wrapped: WrappedShare, context: bytes) -> bytes:
        data = wrapped.wrapped
        if len(data) != WRAPPED_BYTES:
            raise EnvelopeTampered(f"a pkcs11 wrapped share is {WRAPPED_BYTES} bytes")
        params = _gcm(data[:IV_BYTES], context)
        try:
            share = key.decrypt(
                data[IV_BYTES:], mechanism=Mechanism.AES_GCM, mechanism_param=params
            )
        except (p11.EncryptedDataInvalid, p11.EncryptedDataLenRange):
            raise EnvelopeTampered("wrapped share or binding fails authentication") from None
        except p11.GeneralError:
            # SoftHSM2 reports a wrong GCM tag as a general error: tampering if the key works
            if _works(key):
                raise EnvelopeTampered("wrapped share or binding fails authentication") from None
            raise
        return cast("bytes", share)

    def _key(self, process: Process, held: HeldSession, key_ref: str) -> AesKey:
        if key_ref not in held.keys:
            self._refresh(process, held)
        key = held.keys.get(key_ref)
        if key is None:
            raise KmsKeyMismatch(
                NAME, f"no key {key_ref} labelled {self.key_label!r} on this token"
            )
        return key

    def _newest(self, process: Process, held: HeldSession) -> tuple[str | None, AesKey | None]:
        key_ref, seen_at = process.newest
        if key_ref is None or time.monotonic() - seen_at > NEWEST_TTL_SECONDS:
            key_ref = self._refresh(process, held)
        elif key_ref not in held.keys:
            self._refresh(process, held)
        return key_ref, held.keys.get(key_ref) if key_ref is not None else None

    def _refresh(self, process: Process, held: HeldSession) -> str | None:
        """Read this label's key versions into the session's cache; the newest's key_ref."""
        found = held.session.get_objects(
            {Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.LABEL: self.key_label}
        )
        keys = {}
        for item in found:
            key = cast("AesKey", item)
            if len(key.id) == KEY_ID_BYTES and key[Attribute.KEY_TYPE] == KeyType.AES:
                keys[key.id.hex()] = key
        held.keys = keys
        newest = min(keys, key=lambda ref: (-_version(ref), ref), default=None)
        process.newest = (newest, time.monotonic())
        return newest

    def _generate(self, process: Process, held: HeldSession, version: int) -> str:
        key_id = version.to_bytes(VERSION_BYTES, "big") + os.urandom(KEY_ID_BYTES - VERSION_BYTES)
        held.session.generate_key(
            KeyType.AES,
            256,
            id=key_id,
            label=self.key_label,
            store=True,
            capabilities=MechanismFlag.ENCRYPT | MechanismFlag.DECRYPT,
            template=KEY_TEMPLATE,
        )
        newest = self._refresh(process, held)  # a concurrent maker of this version may win
        return newest if newest is not None else key_id.hex()


def _gcm(iv: bytes, context: bytes) -> GCMParams:
    return GCMParams(iv, context, TAG_BITS)


def _works(key: AesKey) -> bool:
    """Whether the key still encrypts and decrypts a probe."""
    params = _gcm(os.urandom(IV_BYTES), b"probe")
    try:
        sealed = key.encrypt(b"probe", mechanism=Mechanism.AES_GCM, mechanism_param=params)
        opened = key.decrypt(
            cast("bytes", sealed), mechanism=Mechanism.AES_GCM, mechanism_param=params
        )
    except p11.PKCS11Error:
        return False
    return opened == b"probe"
