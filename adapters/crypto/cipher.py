"""Cipher on libsodium: Argon2id-stretched caller keys, XChaCha20-Poly1305; envelope v1, or v2
with a key-management backend as the second factor.
"""

import os
from collections.abc import Awaitable, Callable

from adapters.crypto.envelope import (
    NONCE_BYTES,
    Envelope,
    KdfParams,
    KeySchedule,
    WrongKey,
    open_sealed,
    seal,
)
from adapters.crypto.envelope_v2 import EnvelopeV2, open_v2, seal_v2, share_context
from adapters.crypto.key_cache import StretchedKeyCache
from adapters.crypto.opened_envelopes import DEFAULT_SIZE, OpenedEnvelopes
from adapters.kms.base import SHARE_BYTES, KeyWrapper
from domain.errors import EnvelopeTampered, KmsKeyMismatch, WalletKeyMismatch
from domain.model import WalletBinding
from domain.secrets import EncryptionKey, PreparedKey, Secret, SecretSeed

DEFAULT_KDF = KdfParams(memory_kib=19 * 1024, iterations=2)
DEFAULT_KDF_CEILING = KdfParams(memory_kib=256 * 1024, iterations=8)
"""The most an envelope may ask of Argon2id before it is refused unread (256 MiB, 8 passes)."""

DeploymentSalt = Callable[[], Awaitable[bytes]]
"""Returns the deployment's random 16-byte Argon2id salt (stored with the schema)."""


class Argon2AeadCipher:
    """Seals seeds in v1 envelopes: the caller's key stretched with Argon2id under the deployment
    salt (cached), XChaCha20-Poly1305 with a random 192-bit nonce per wallet, and the wallet's
    binding as associated data. Wrong keys and damaged envelopes raise different errors.

    With a key-management backend (`wrapper`), new envelopes are v2: a random 32-byte share per
    wallet, wrapped by the backend and bound to the wallet, joins the stretched key in the AEAD
    key; opening one unwraps the share (one backend call; nothing unwrapped is kept). v1
    envelopes open with or without a backend; a v2 one without its backend is KmsKeyMismatch.

    `prepare` stretches the key for `kdf` ahead of time (a PreparedKey, holding the stretched
    key's KeySchedule); sealing and opening under a prepared key at its parameters then do no
    Argon2id, and derive no subkey but v2's per-wallet AEAD key. An envelope whose parameters
    exceed `ceiling` is never derived: EnvelopeTampered, at once. Opening confirms the key's
    cache entry (a key that opens nothing stays on probation).

    Each v1 envelope opened is recorded in `opened` (OpenedEnvelopes: by default remembering as
    many as its own default, each as long as the key cache keeps a key, and none when the cache
    is off): `opened_before` answers from it, and `verify` of an envelope recorded there does
    not open it again. v2 envelopes are never recorded: proving a key on one always asks the
    backend for its second factor.
    """

    def __init__(  # noqa: PLR0913 - the parameters, their store, then the optional parts
        self,
        kdf: KdfParams,
        keys: StretchedKeyCache,
        deployment_salt: DeploymentSalt,
        ceiling: KdfParams = DEFAULT_KDF_CEILING,
        wrapper: KeyWrapper | None = None,
        *,
        opened: OpenedEnvelopes | None = None,
    ) -> None:
        if kdf.exceeds(ceiling):
            raise ValueError("the key-derivation cost of new envelopes is above the ceiling")
        self._kdf = kdf
        self._ceiling = ceiling
        self._keys = keys
        self._deployment_salt = deployment_salt
        self._wrapper = wrapper
        if opened is None:
            opened = OpenedEnvelopes(keys.ttl_seconds, DEFAULT_SIZE if keys.enabled else 0)
        self._opened = opened

    async def prepare(self, key: EncryptionKey) -> PreparedKey:
        salt = await self._deployment_salt()
        return self._prepared(key, salt, await self._keys.stretched(key, salt, self._kdf))

    async def ready_to_seal(self, key: EncryptionKey) -> PreparedKey | None:
        if self._wrapper is not None:
            return None
        salt = await self._deployment_salt()
        material = self._keys.cached(key, salt, self._kdf)
        return None if material is None else self._prepared(key, salt, material)

    def _prepared(self, key: EncryptionKey, salt: bytes, material: bytes) -> PreparedKey:
        return PreparedKey(key.reveal(), Secret(material), (salt, self._kdf))

    async def encrypt(self, seed: SecretSeed, key: EncryptionKey, binding: WalletBinding) -> str:
        salt = await self._deployment_salt()
        schedule = await self._schedule(key, salt, self._kdf)
        nonce = os.urandom(NONCE_BYTES)
        if self._wrapper is None:
            envelope = seal(
                bytes(seed.reveal()), schedule, binding, params=self._kdf, salt=salt, nonce=nonce
            )
            return envelope.to_text()
        with Secret(os.urandom(SHARE_BYTES)) as share:
            wrapped = await self._wrapper.wrap(bytes(share.reveal()), share_context(binding))
            sealed = seal_v2(
                bytes(seed.reveal()),
                schedule,
                binding,
                share=bytes(share.reveal()),
                wrapped=wrapped,
                params=self._kdf,
                salt=salt,
                nonce=nonce,
            )
        return sealed.to_text()

    async def decrypt(
        self, envelope: str, key: EncryptionKey, binding: WalletBinding
    ) -> SecretSeed:
        if envelope.startswith(f"{EnvelopeV2.VERSION}$"):
            return await self._decrypt_v2(EnvelopeV2.parse(envelope), key, binding)
        parsed = Envelope.parse(envelope)
        self._check_ceiling(parsed.params)
        schedule = await self._schedule(key, parsed.salt, parsed.params)
        try:
            seed = SecretSeed(open_sealed(parsed, schedule, binding))
        except WrongKey:
            raise WalletKeyMismatch(binding.user_id) from None
        self._keys.confirm(key, parsed.salt, parsed.params)
        self._opened.record(key.reveal(), envelope, binding, (parsed.salt, parsed.params))
        return seed

    def opened_before(self, envelope: str, key: EncryptionKey, binding: WalletBinding) -> bool:
        if envelope.startswith(f"{EnvelopeV2.VERSION}$"):
            return False
        scope = self._opened.opened(key.reveal(), envelope, binding)
        if scope is None:
            return False
        self._keys.confirm(key, *scope)
        return True

    async def verify(self, envelope: str, key: EncryptionKey, binding: WalletBinding) -> None:
        if not self.opened_before(envelope, key, binding):
            (await self.decrypt(envelope, key, binding)).wipe()

    async def rewrap(self, envelope: str, binding: WalletBinding) -> str | None:
        if not envelope.startswith(f"{EnvelopeV2.VERSION}$"):
            return None
        parsed = EnvelopeV2.parse(envelope)
        wrapper = self._wrapper_of(parsed)
        share = await wrapper.rewrap(parsed.share, share_context(binding))
        return None if share is None else parsed.with_share(share).to_text()

    def is_current(self, envelope: str) -> bool:
        """Whether the envelope is intact and of the kind `encrypt` writes now (a damaged one is
        not: a bulk command then opens it, and lists it as damaged).
        """
        parser = Envelope.parse if self._wrapper is None else EnvelopeV2.parse
        try:
            parsed = parser(envelope)
        except EnvelopeTampered:
            return False
        if not isinstance(parsed, EnvelopeV2):
            return True
        return self._wrapper is not None and parsed.share.backend == self._wrapper.name

    async def _decrypt_v2(
        self, parsed: EnvelopeV2, key: EncryptionKey, binding: WalletBinding
    ) -> SecretSeed:
        self._check_ceiling(parsed.params)
        wrapper = self._wrapper_of(parsed)
        schedule = await self._schedule(key, parsed.salt, parsed.params)
        with Secret(await wrapper.unwrap(parsed.share, share_context(binding))) as share:
            if len(share) != SHARE_BYTES:
                raise EnvelopeTampered("the unwrapped share is not 32 bytes")
            try:
                seed = SecretSeed(open_v2(parsed, schedule, bytes(share.reveal()), binding))
            except WrongKey:
                raise WalletKeyMismatch(binding.user_id) from None
        self._keys.confirm(key, parsed.salt, parsed.params)
        return seed

    def _wrapper_of(self, parsed: EnvelopeV2) -> KeyWrapper:
        if self._wrapper is None:
            backend = parsed.share.backend
            reason = "this deployment has no key-management backend (WALLET_KMS=none)"
            raise KmsKeyMismatch(backend, reason)
        return self._wrapper

    def _check_ceiling(self, params: KdfParams) -> None:
        if params.exceeds(self._ceiling):
            raise EnvelopeTampered("key-derivation cost above this deployment's ceiling")

    async def _schedule(self, key: EncryptionKey, salt: bytes, params: KdfParams) -> KeySchedule:
        """The prepared key schedule if the key was prepared for this salt and these parameters;
        else the cache's (a derivation, if it has none).
        """
        if isinstance(key, PreparedKey) and key.scope == (salt, params):
            return KeySchedule(bytes(key.material.reveal()))
        return KeySchedule(await self._keys.stretched(key, salt, params))
