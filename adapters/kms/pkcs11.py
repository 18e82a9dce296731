"""The pkcs11 backend: shares wrapped by AES-256-GCM under a key generated inside a PKCS#11 token
(an HSM, or SoftHSM2 in tests) that never leaves it.

Key versions are token objects sharing one label; CKA_ID is a 4-byte big-endian version and 8
random bytes, and its hex is the key_ref. The newest version wraps; when two processes made the
same version at once, the one with the smallest id wins everywhere, so both keep unwrapping.

PKCS#11 calls block, so each runs on one of `pool_size` worker threads, each owning one session
(at most `pool_size` open, one call at a time on each), bounded by `timeout` including the wait
for a free thread. python-pkcs11 initialises a module without locking arguments, which tells it
that one thread at a time calls it (SoftHSM2 then turns its own locks off and crashes under
concurrent calls), so the process's calls into PKCS#11 also take one process-wide lock: the
threads keep the event loop free and bound the wait, they do not make calls run in parallel.
The library, the threads and the sessions belong to the process that opened them: after a fork
the child initialises the library again and opens its own.
"""

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import pkcs11
from pkcs11 import Attribute, GCMParams, KeyType, Mechanism, MechanismFlag, ObjectClass
from pkcs11 import exceptions as p11

from adapters.kms.base import SHARE_BYTES, BackendCheck, WrappedShare
from domain.errors import EnvelopeTampered, KmsKeyMismatch, KmsRefused, KmsUnavailable
from domain.secrets import Secret

if TYPE_CHECKING:
    from pkcs11._pkcs11 import lib as Library  # noqa: N812 - a class, named as one

NAME = "pkcs11"
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
PIN_REFUSED = (
    p11.PinIncorrect,
    p11.PinInvalid,
    p11.PinLenRange,
    p11.PinLocked,
    p11.PinExpired,
    p11.UserPinNotInitialized,
)
_log = logging.getLogger("wallet_orchestrator.kms.pkcs11")
T = TypeVar("T")


class _AesKey(Protocol):
    """What python-pkcs11's token AES key objects offer (its stubs type them loosely)."""

    @property
    def id(self) -> bytes: ...
    def encrypt(self, data: bytes, **kwargs: Any) -> bytes | Iterator[bytes]: ...
    def decrypt(self, data: bytes, **kwargs: Any) -> bytes | Iterator[bytes]: ...
    def __getitem__(self, key: Attribute) -> Any: ...


@dataclass(frozen=True, slots=True)
class _Login:
    session: "pkcs11.Session | None"  # None: someone else in this process logged in first
    pin_digest: bytes


class _ProcessWide:
    """PKCS#11 loads a library and logs in to a token once per process, not per session, so
    these are shared by every wrapper of the process. The login session stays open for the
    process's life: closing it would log out every session of the process on that token.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()  # every PKCS#11 call, and these tables
        self.libraries: dict[str, int] = {}  # module path -> pid that initialised it
        self.logins: dict[tuple[int, str, int], _Login] = {}  # (pid, module, slot id)
        self.abandoned: list[object] = []  # a parent's sessions: kept so none is ever closed
        self.salt = os.urandom(16)

    def after_fork_in_child(self) -> None:
        self.lock = threading.RLock()  # a parent's thread may have held it


_shared = _ProcessWide()
os.register_at_fork(after_in_child=_shared.after_fork_in_child)


def _library(module_path: str) -> "Library":
    with _shared.lock:
        library = pkcs11.lib(module_path)
        if _shared.libraries.setdefault(module_path, os.getpid()) != os.getpid():
            # A forked child calls C_Initialize itself; a library that resets on fork
            # (SoftHSM2's reset_on_fork) is no longer initialised and refuses C_Finalize
            with contextlib.suppress(p11.PKCS11Error):
                library.finalize()
            library.initialize()
            _shared.libraries[module_path] = os.getpid()
        return library


def _log_in(module_path: str, token: "pkcs11.Token", pin: Secret) -> bool:
    """Log this process in to `token` unless it is; False when it is, under another PIN."""
    digest = hashlib.sha256(_shared.salt + bytes(pin.reveal())).digest()
    key = (os.getpid(), module_path, token.slot.slot_id)
    with _shared.lock:
        login = _shared.logins.get(key)
        if login is None:
            try:
                session = token.open(user_pin=pin.reveal().decode())
            except p11.UserAlreadyLoggedIn:
                session = None
            login = _shared.logins[key] = _Login(session, digest)
    return hmac.compare_digest(login.pin_digest, digest)


@dataclass(slots=True)
class _Session:
    session: "pkcs11.Session"
    keys: dict[str, _AesKey] = field(default_factory=dict)


@dataclass(slots=True)
class _Process:
    """One process's worker threads and their sessions, keyed by thread."""

    pool_size: int
    pid: int = field(default_factory=os.getpid)
    sessions: dict[int, _Session] = field(default_factory=dict)
    newest: tuple[str | None, float] = (None, 0.0)
    executor: ThreadPoolExecutor = field(init=False)

    def __post_init__(self) -> None:
        self.executor = ThreadPoolExecutor(self.pool_size, thread_name_prefix="pkcs11")

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        with _shared.lock:
            for held in self.sessions.values():
                _close_quietly(held)
            self.sessions.clear()


def _close_quietly(held: _Session) -> None:
    try:
        held.session.close()
    except p11.PKCS11Error as error:
        _log.warning("pkcs11: closing a session failed (%s)", type(error).__name__)


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
        self._pin = Secret(pin.encode("utf-8"))
        self._pin_refused: str | None = None
        self._process: _Process | None = None

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
        return await self._run(lambda process, held: self._wrap(process, held, share, context))

    async def unwrap(self, wrapped: WrappedShare, context: bytes) -> bytes:
        self._check_origin(wrapped)

        def unwrap(process: _Process, held: _Session) -> bytes:
            return self._decrypt(self._key(process, held, wrapped.key_ref), wrapped, context)

        return await self._run(unwrap)

    async def rewrap(self, wrapped: WrappedShare, context: bytes) -> WrappedShare | None:
        """Unwrap and wrap again in one call on the worker thread: PKCS#11 has no re-encrypt
        for GCM, so the share passes briefly through this process's memory.
        """
        self._check_origin(wrapped)

        def rewrap(process: _Process, held: _Session) -> WrappedShare | None:
            if wrapped.key_ref == self._newest(process, held)[0]:
                return None
            share = self._decrypt(self._key(process, held, wrapped.key_ref), wrapped, context)
            return self._wrap(process, held, share, context)

        return await self._run(rewrap)

    async def ensure_key(self) -> bool:
        def ensure(process: _Process, held: _Session) -> bool:
            if self._refresh(process, held) is not None:
                return False
            self._generate(process, held, 1)
            return True

        return await self._run(ensure)

    async def rotate_key(self) -> str:
        def rotate(process: _Process, held: _Session) -> str:
            newest = self._refresh(process, held)
            return self._generate(process, held, 1 if newest is None else _version(newest) + 1)

        return await self._run(rotate)

    async def check(self) -> list[BackendCheck]:
        """Module, token and PIN, key, round trip, in that order; once one fails, the next are
        reported as not checked. Failures are reported, not raised.
        """
        process = self._current_process()
        steps: list[tuple[str, Callable[[], Awaitable[str]]]] = [
            ("PKCS#11 module", lambda: self._call(process, self._module_loads)),
            ("token and PIN", lambda: self._run(lambda _, __: "token found, PIN accepted")),
            ("key present", lambda: self._run(self._key_present)),
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
        process, self._process = self._process, None
        if process is None or process.pid != os.getpid():
            return
        try:
            await asyncio.wait_for(asyncio.to_thread(process.close), self.timeout)
        except TimeoutError:
            _log.warning(
                "pkcs11: sessions still busy after %.1fs; closing them later", self.timeout
            )

    async def _run(self, operation: Callable[[_Process, _Session], T]) -> T:
        """`operation` on a worker thread's session, within the deadline."""
        if self._pin_refused is not None:
            raise self._refused(self._pin_refused)
        process = self._current_process()
        return await self._call(process, lambda: self._in_session(process, operation))

    async def _call(self, process: _Process, function: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(
                loop.run_in_executor(process.executor, function), self.timeout
            )
        except TimeoutError:
            _log.warning("pkcs11: no answer within %.1fs", self.timeout)
            raise KmsUnavailable(NAME, "TimeoutError") from None

    def _current_process(self) -> _Process:
        process = self._process
        if process is None or process.pid != os.getpid():
            if process is not None:
                _shared.abandoned.append(process)
            process = self._process = _Process(self.pool_size)
        return process

    def _in_session(self, process: _Process, operation: Callable[[_Process, _Session], T]) -> T:
        with _shared.lock:
            return self._in_session_locked(process, operation)

    def _in_session_locked(
        self, process: _Process, operation: Callable[[_Process, _Session], T]
    ) -> T:
        thread = threading.get_ident()
        held = process.sessions.get(thread)
        if held is None:
            try:
                session = self._open_session()
            except p11.PKCS11Error as error:
                _log.warning("pkcs11: opening a session failed (%s)", type(error).__name__)
                raise KmsUnavailable(NAME, type(error).__name__) from None
            held = process.sessions[thread] = _Session(session)
        try:
            return operation(process, held)
        except (p11.KeyHandleInvalid, p11.ObjectHandleInvalid) as error:
            held.keys.clear()  # a key deleted on the token: look again next time
            process.newest = (None, 0.0)
            raise KmsUnavailable(NAME, type(error).__name__) from None
        except p11.PKCS11Error as error:
            _log.warning("pkcs11: dropped a session after %s", type(error).__name__)
            del process.sessions[thread]
            _close_quietly(held)
            raise KmsUnavailable(NAME, type(error).__name__) from None

    def _module_loads(self) -> str:
        library = self._library()
        return f"{library.manufacturer_id} {library.library_description} ({self.module_path})"

    def _key_present(self, process: _Process, held: _Session) -> str:
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

    def _library(self) -> "Library":
        try:
            return _library(self.module_path)
        except (p11.PKCS11Error, OSError):
            raise self._refused(
                f"cannot load the PKCS#11 module {self.module_path}: install it (Debian: "
                "apt-get install softhsm2 for SoftHSM2) or fix the module path"
            ) from None

    def _open_session(self) -> "pkcs11.Session":
        library = self._library()
        try:
            token = library.get_token(token_label=self.token_label)
        except (p11.NoSuchToken, p11.MultipleTokensReturned) as error:
            how = "none" if isinstance(error, p11.NoSuchToken) else "more than one"
            raise self._refused(
                f"{how} of the module's tokens is labelled {self.token_label!r}: initialise "
                f"exactly one (SoftHSM2: softhsm2-util --init-token --free --label "
                f"{self.token_label} --pin ... --so-pin ...)"
            ) from None
        try:
            same_pin = _log_in(self.module_path, token, self._pin)
        except PIN_REFUSED as error:
            self._pin_refused = (
                f"the token refused the user PIN ({type(error).__name__}): configure the "
                "token's user PIN and restart (it is not offered again, so the token cannot lock)"
            )
            raise self._refused(self._pin_refused) from None
        if not same_pin:
            raise self._refused(
                "this process is logged in to the token under another PIN: use the same PIN "
                "for every key of the token"
            )
        return token.open(rw=True)

    def _refused(self, reason: str) -> KmsRefused:
        return KmsRefused(NAME, self.key_label, reason)

    def _no_key(self) -> KmsRefused:
        return self._refused(
            f"the token {self.token_label!r} has no key labelled {self.key_label!r}: "
            "run `wallet-orchestrator kms init`"
        )

    def _check_origin(self, wrapped: WrappedShare) -> None:
        if wrapped.backend != NAME:
            raise KmsKeyMismatch(NAME, f"wrapped by the {wrapped.backend} backend")
        if not KEY_REF.fullmatch(wrapped.key_ref):
            raise KmsKeyMismatch(NAME, f"{wrapped.key_ref!r} is not a pkcs11 key version")

    def _wrap(
        self, process: _Process, held: _Session, share: bytes, context: bytes
    ) -> WrappedShare:
        key_ref, key = self._newest(process, held)
        if key_ref is None or key is None:
            raise self._no_key()
        iv = os.urandom(IV_BYTES)
        sealed = key.encrypt(share, mechanism=Mechanism.AES_GCM, mechanism_param=_gcm(iv, context))
        return WrappedShare(NAME, key_ref, iv + cast("bytes", sealed))

    def _decrypt(self, key: _AesKey, wrapped: WrappedShare, context: bytes) -> bytes:
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

    def _key(self, process: _Process, held: _Session, key_ref: str) -> _AesKey:
        if key_ref not in held.keys:
            self._refresh(process, held)
        key = held.keys.get(key_ref)
        if key is None:
            raise KmsKeyMismatch(
                NAME, f"no key {key_ref} labelled {self.key_label!r} on this token"
            )
        return key

    def _newest(self, process: _Process, held: _Session) -> tuple[str | None, _AesKey | None]:
        key_ref, seen_at = process.newest
        if key_ref is None or time.monotonic() - seen_at > NEWEST_TTL_SECONDS:
            key_ref = self._refresh(process, held)
        elif key_ref not in held.keys:
            self._refresh(process, held)
        return key_ref, held.keys.get(key_ref) if key_ref is not None else None

    def _refresh(self, process: _Process, held: _Session) -> str | None:
        """Read this label's key versions into the session's cache; the newest's key_ref."""
        found = held.session.get_objects(
            {Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.LABEL: self.key_label}
        )
        keys = {}
        for item in found:
            key = cast("_AesKey", item)
            if len(key.id) == KEY_ID_BYTES and key[Attribute.KEY_TYPE] == KeyType.AES:
                keys[key.id.hex()] = key
        held.keys = keys
        newest = min(keys, key=lambda ref: (-_version(ref), ref), default=None)
        process.newest = (newest, time.monotonic())
        return newest

    def _generate(self, process: _Process, held: _Session, version: int) -> str:
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


def _works(key: _AesKey) -> bool:
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
