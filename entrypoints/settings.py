"""Configuration, read from the environment once, in one place."""

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from adapters.crypto.cipher import DEFAULT_KDF, DEFAULT_KDF_CEILING
from adapters.crypto.envelope import KdfParams
from adapters.crypto.key_cache import DEFAULT_CONCURRENCY
from adapters.crypto.sealed_export import SealedBoxSealer
from adapters.sql.engine import PoolSettings, async_url
from adapters.stellar.policy_document import policy_of
from domain.errors import InvalidInput
from domain.policy import SigningPolicy
from domain.recovery import RecoveryKey
from domain.secrets import SecretSeed
from entrypoints.env_values import (
    SettingsError,
    choice,
    flag,
    listed,
    seconds,
    whole_number,
)
from entrypoints.kms_settings import KmsSettings, KmsSettingsError
from entrypoints.logs import LOG_FORMATS, LOG_LEVELS
from entrypoints.scopes import ScopeError, with_scopes
from entrypoints.webhook_settings import WebhookSettings

__all__ = [
    "DEFAULT_DATABASE_URL",
    "DEFAULT_NETWORKS",
    "MEMORY_DATABASE_URL",
    "PUBLIC_NETWORK",
    "TESTNET_NETWORK",
    "Settings",
    "SettingsError",
]

DEFAULT_DATABASE_URL = "sqlite:///./wallets.db"
TESTNET_NETWORK = "Test SDF Network ; September 2015"
PUBLIC_NETWORK = "Public Global Stellar Network ; September 2015"
DEFAULT_NETWORKS = frozenset({TESTNET_NETWORK, PUBLIC_NETWORK})
MEMORY_DATABASE_URL = "memory://"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_RATE_LIMIT = re.compile(r"([1-9][0-9]{0,8})/(second|minute|hour|day)")
CACHED, UNNAMED = "cached", "unnamed"
PREPARED_STATEMENTS = (CACHED, UNNAMED)
"""WALLET_DB_PREPARED_STATEMENTS: `unnamed` for PgBouncer in transaction pooling mode."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable, with its default (from_env falls back to these, and to
    PoolSettings', DEFAULT_KDF's and DEFAULT_KDF_CEILING's). `api_tokens` are secrets: kept out
    of repr. `db_timeout` is also how long a key derivation waits for one of the
    `kdf_concurrency` slots.
    """

    database_url: str = DEFAULT_DATABASE_URL
    api_tokens: tuple[str, ...] = field(default=(), repr=False)
    api_token_hashes: tuple[str, ...] = ()
    kdf: KdfParams = DEFAULT_KDF
    kdf_ceiling: KdfParams = DEFAULT_KDF_CEILING
    kdf_concurrency: int = DEFAULT_CONCURRENCY
    pool: PoolSettings = PoolSettings()
    ready_timeout: float = 2.0
    db_timeout: float = 5.0
    key_cache_size: int = 16
    key_cache_ttl: float = 600.0
    rate_limit: tuple[int, str] | None = None
    networks: frozenset[str] = DEFAULT_NETWORKS
    allow_export: bool = False
    rotation_batch_size: int = 100
    migration_lock_timeout: float = 60.0
    log_level: str = "INFO"
    log_format: str = "json"
    kms: KmsSettings = KmsSettings()
    horizon_url: str | None = None
    horizon_timeout: float = 30.0
    recovery_key: RecoveryKey | None = None
    signing_policy: SigningPolicy | None = None
    idempotency_ttl: float = 86400.0
    webhooks: WebhookSettings = WebhookSettings()

    @property
    def has_api_tokens(self) -> bool:
        """Whether any token (plain or as a SHA-256 hash) is configured."""
        return bool(self.api_tokens or self.api_token_hashes)

    @property
    def backend(self) -> str:
        """'memory' for the in-memory adapters, else 'sql'."""
        return "memory" if self.database_url == MEMORY_DATABASE_URL else "sql"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        defaults = cls()
        database_url = environ.get("DATABASE_URL", "").strip() or defaults.database_url
        if database_url != MEMORY_DATABASE_URL:
            try:
                async_url(database_url)
            except Exception:  # noqa: BLE001 - the URL may hold a password: name the variable only
                raise SettingsError(
                    "DATABASE_URL is not a postgresql:// or sqlite:// URL"
                ) from None
        tokens = listed(environ, "WALLET_API_TOKENS")
        token_hashes = tuple(value.lower() for value in listed(environ, "WALLET_API_TOKEN_HASHES"))
        try:
            scoped = [with_scopes(entry) for entry in (*tokens, *token_hashes)]
        except ScopeError as error:
            raise SettingsError(f"WALLET_API_TOKENS or WALLET_API_TOKEN_HASHES: {error}") from None
        if not all(_SHA256_HEX.fullmatch(digest) for digest, _ in scoped[len(tokens) :]):
            raise SettingsError(
                "WALLET_API_TOKEN_HASHES must be comma-separated SHA-256 hex digests, each with "
                "an optional :scopes suffix"
            )
        kdf = _kdf(environ, defaults.kdf, "WALLET_KDF_MEMORY_KIB", "WALLET_KDF_ITERATIONS")
        ceiling = _kdf(
            environ, defaults.kdf_ceiling, "WALLET_KDF_MAX_MEMORY_KIB", "WALLET_KDF_MAX_ITERATIONS"
        )
        if kdf.exceeds(ceiling):
            raise SettingsError(
                "WALLET_KDF_MAX_MEMORY_KIB and WALLET_KDF_MAX_ITERATIONS must be at least "
                "WALLET_KDF_MEMORY_KIB and WALLET_KDF_ITERATIONS (the cost of new envelopes)"
            )
        pool = _pool(environ, defaults.pool)
        try:
            kms = KmsSettings.from_env(environ)
        except KmsSettingsError as error:
            raise SettingsError(str(error)) from None
        return cls(
            database_url=database_url,
            api_tokens=tokens,
            api_token_hashes=token_hashes,
            rate_limit=_rate_limit(environ.get("WALLET_RATE_LIMIT", "")),
            kdf=kdf,
            kdf_ceiling=ceiling,
            kdf_concurrency=whole_number(
                environ, "WALLET_KDF_CONCURRENCY", defaults.kdf_concurrency, minimum=1
            ),
            pool=pool,
            db_timeout=seconds(environ, "WALLET_DB_TIMEOUT", defaults.db_timeout),
            networks=frozenset(listed(environ, "WALLET_NETWORKS")) or defaults.networks,
            allow_export=flag(environ, "WALLET_ALLOW_EXPORT", defaults.allow_export),
            rotation_batch_size=whole_number(
                environ, "WALLET_ROTATION_BATCH_SIZE", defaults.rotation_batch_size, minimum=1
            ),
            migration_lock_timeout=seconds(
                environ, "WALLET_MIGRATION_LOCK_TIMEOUT", defaults.migration_lock_timeout
            ),
            key_cache_size=whole_number(environ, "WALLET_KEY_CACHE_SIZE", defaults.key_cache_size),
            key_cache_ttl=seconds(
                environ, "WALLET_KEY_CACHE_TTL_SECONDS", defaults.key_cache_ttl, allow_zero=True
            ),
            log_level=choice(environ, "WALLET_LOG_LEVEL", LOG_LEVELS, defaults.log_level).upper(),
            log_format=choice(environ, "WALLET_LOG_FORMAT", LOG_FORMATS, defaults.log_format),
            kms=kms,
            horizon_url=_horizon_url(environ),
            horizon_timeout=seconds(environ, "WALLET_HORIZON_TIMEOUT", defaults.horizon_timeout),
            recovery_key=_recovery_key(environ),
            signing_policy=_signing_policy(environ),
            idempotency_ttl=_idempotency_ttl(environ, defaults.idempotency_ttl),
            webhooks=WebhookSettings.from_env(environ),
        )


MAX_IDEMPOTENCY_TTL = 366 * 86400.0
"""A year: keys are for retries, and a longer time no clock arithmetic should be asked to hold."""


def _idempotency_ttl(environ: Mapping[str, str], default: float) -> float:
    ttl = seconds(environ, "WALLET_IDEMPOTENCY_TTL_SECONDS", default)
    if ttl > MAX_IDEMPOTENCY_TTL:
        raise SettingsError(
            f"WALLET_IDEMPOTENCY_TTL_SECONDS must be at most {MAX_IDEMPOTENCY_TTL:.0f} (a year)"
        )
    return ttl


def _signing_policy(environ: Mapping[str, str]) -> SigningPolicy | None:
    """WALLET_SIGNING_POLICY: a JSON document, or @path to a file holding one."""
    text = environ.get("WALLET_SIGNING_POLICY", "").strip()
    if not text:
        return None
    if text.startswith("@"):
        try:
            with open(text[1:], encoding="utf-8") as file:  # noqa: PTH123 - a path as given
                text = file.read()
        except (OSError, UnicodeDecodeError) as error:
            raise SettingsError(
                f"WALLET_SIGNING_POLICY: cannot read {text[1:]!r} ({type(error).__name__})"
            ) from None
    try:
        return policy_of(json.loads(text))
    except ValueError:
        raise SettingsError("WALLET_SIGNING_POLICY is not a JSON document") from None
    except InvalidInput as wrong:
        raise SettingsError(f"WALLET_SIGNING_POLICY: {wrong.reason}") from None


def _recovery_key(environ: Mapping[str, str]) -> RecoveryKey | None:
    text = environ.get("WALLET_RECOVERY_PUBLIC_KEY", "").strip()
    if not text:
        return None
    try:
        key = RecoveryKey(text)
        # A seal to it must work: libsodium refuses low-order points (all zeros, say).
        SealedBoxSealer().seal(SecretSeed(bytes(32)), key.public_key)
    except InvalidInput:
        raise SettingsError(
            "WALLET_RECOVERY_PUBLIC_KEY must be a usable X25519 public key: 32 bytes of "
            "standard base64"
        ) from None
    return key


def _horizon_url(environ: Mapping[str, str]) -> str | None:
    url = environ.get("WALLET_HORIZON_URL", "").strip()
    if not url:
        return None
    if not url.startswith(("http://", "https://")) or any(c.isspace() for c in url):
        raise SettingsError("WALLET_HORIZON_URL must be an http:// or https:// URL")
    return url.rstrip("/")


def _kdf(environ: Mapping[str, str], default: KdfParams, memory: str, iterations: str) -> KdfParams:
    try:
        return KdfParams(
            memory_kib=whole_number(environ, memory, default.memory_kib),
            iterations=whole_number(environ, iterations, default.iterations),
        )
    except SettingsError:
        raise
    except ValueError as error:
        raise SettingsError(f"{memory}, {iterations}: {error}") from None


def _pool(environ: Mapping[str, str], default: PoolSettings) -> PoolSettings:
    statements = choice(
        environ,
        "WALLET_DB_PREPARED_STATEMENTS",
        PREPARED_STATEMENTS,
        CACHED if default.cache_statements else UNNAMED,
    )
    return replace(
        default,
        size=whole_number(environ, "WALLET_DB_POOL_SIZE", default.size, minimum=1),
        acquire_timeout=seconds(environ, "WALLET_DB_POOL_TIMEOUT", default.acquire_timeout),
        connect_timeout=seconds(environ, "WALLET_DB_CONNECT_TIMEOUT", default.connect_timeout),
        cache_statements=statements == CACHED,
    )


def _rate_limit(raw: str) -> tuple[int, str] | None:
    """'100/second', '600/minute', '10000/hour' or '' (no limit)."""
    if not raw.strip():
        return None
    match = _RATE_LIMIT.fullmatch(raw.strip())
    if match is None:
        raise SettingsError("WALLET_RATE_LIMIT must look like 100/second, 600/minute or 5000/hour")
    return int(match[1]), match[2]
