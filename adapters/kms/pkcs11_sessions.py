"""The pkcs11 backend's sessions: the process-wide library and login, the worker threads and
the session each of them owns.

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
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import pkcs11
from pkcs11 import Attribute
from pkcs11 import exceptions as p11

from domain.errors import KmsRefused, KmsUnavailable
from domain.secrets import Secret

if TYPE_CHECKING:
    from pkcs11._pkcs11 import lib as Library  # noqa: N812 - a class, named as one

NAME = "pkcs11"
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


class AesKey(Protocol):
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
class HeldSession:
    session: "pkcs11.Session"
    keys: dict[str, AesKey] = field(default_factory=dict)


@dataclass(slots=True)
class Process:
    """One process's worker threads and their sessions, keyed by thread."""

    pool_size: int
    pid: int = field(default_factory=os.getpid)
    sessions: dict[int, HeldSession] = field(default_factory=dict)
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


def _close_quietly(held: HeldSession) -> None:
    try:
        held.session.close()
    except p11.PKCS11Error as error:
        _log.warning("pkcs11: closing a session failed (%s)", type(error).__name__)


class TokenSessions:
    """One wrapper's worker threads and their sessions on the token labelled `token_label`,
    logged in with `pin`; its refusals name `key_label`.
    """

    def __init__(  # noqa: PLR0913, PLR0917 - the settings of one token, said once
        self,
        module_path: str,
        token_label: str,
        pin: Secret,
        key_label: str,
        timeout: float,
        pool_size: int,
    ) -> None:
        self.module_path = module_path
        self.token_label = token_label
        self.key_label = key_label
        self.timeout = timeout
        self.pool_size = pool_size
        self._pin = pin
        self._pin_refused: str | None = None
        self.process: Process | None = None

    async def run(self, operation: Callable[[Process, HeldSession], T]) -> T:
        """`operation` on a worker thread's session, within the deadline."""
        if self._pin_refused is not None:
            raise self.refused(self._pin_refused)
        process = self.current_process()
        return await self.call(process, lambda: self._in_session(process, operation))

    async def call(self, process: Process, function: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(
                loop.run_in_executor(process.executor, function), self.timeout
            )
        except TimeoutError:
            _log.warning("pkcs11: no answer within %.1fs", self.timeout)
            raise KmsUnavailable(NAME, "TimeoutError") from None

    def current_process(self) -> Process:
        process = self.process
        if process is None or process.pid != os.getpid():
            if process is not None:
                _shared.abandoned.append(process)
            process = self.process = Process(self.pool_size)
        return process

    async def aclose(self) -> None:
        process, self.process = self.process, None
        if process is None or process.pid != os.getpid():
            return
        try:
            await asyncio.wait_for(asyncio.to_thread(process.close), self.timeout)
        except TimeoutError:
            _log.warning(
                "pkcs11: sessions still busy after %.1fs; closing them later", self.timeout
            )

    def module_loads(self) -> str:
        library = self._library()
        return f"{library.manufacturer_id} {library.library_description} ({self.module_path})"

    def refused(self, reason: str) -> KmsRefused:
        return KmsRefused(NAME, self.key_label, reason)

    def _in_session(self, process: Process, operation: Callable[[Process, HeldSession], T]) -> T:
        with _shared.lock:
            return self._in_session_locked(process, operation)

    def _in_session_locked(
        self, process: Process, operation: Callable[[Process, HeldSession], T]
    ) -> T:
        thread = threading.get_ident()
        held = process.sessions.get(thread)
        if held is None:
            try:
                session = self._open_session()
            except p11.PKCS11Error as error:
                _log.warning("pkcs11: opening a session failed (%s)", type(error).__name__)
                raise KmsUnavailable(NAME, type(error).__name__) from None
            held = process.sessions[thread] = HeldSession(session)
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

    def _library(self) -> "Library":
        try:
            return _library(self.module_path)
        except (p11.PKCS11Error, OSError):
            raise self.refused(
                f"cannot load the PKCS#11 module {self.module_path}: install it (Debian: "
                "apt-get install softhsm2 for SoftHSM2) or fix the module path"
            ) from None

    def _open_session(self) -> "pkcs11.Session":
        library = self._library()
        try:
            token = library.get_token(token_label=self.token_label)
        except (p11.NoSuchToken, p11.MultipleTokensReturned) as error:
            how = "none" if isinstance(error, p11.NoSuchToken) else "more than one"
            raise self.refused(
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
            raise self.refused(self._pin_refused) from None
        if not same_pin:
            raise self.refused(
                "this process is logged in to the token under another PIN: use the same PIN "
                "for every key of the token"
            )
        return token.open(rw=True)
