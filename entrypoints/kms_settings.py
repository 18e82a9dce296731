"""Which key-management backend protects the envelopes (WALLET_KMS), and its settings."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from adapters.kms.base import KeyWrapper

NONE, PKCS11, TRANSIT = "none", "pkcs11", "transit"
KMS_BACKENDS = (NONE, PKCS11, TRANSIT)
DEFAULT_TRANSIT_MOUNT = "transit"


class KmsSettingsError(ValueError):
    """A key-management setting is missing or malformed. The message names the variable only."""


@dataclass(frozen=True, slots=True)
class Pkcs11Settings:
    """WALLET_PKCS11_*: the module's path, the token and key labels, and the user PIN."""

    module: str
    token_label: str
    key_label: str
    pin: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class TransitSettings:
    """WALLET_TRANSIT_*: the server's address, the token, the engine's mount and the key name."""

    addr: str
    key: str
    token: str = field(repr=False)
    mount: str = DEFAULT_TRANSIT_MOUNT


@dataclass(frozen=True, slots=True)
class KmsSettings:
    """The backend (`none`: envelope v1, no second factor) and its settings."""

    backend: str = NONE
    pkcs11: Pkcs11Settings | None = None
    transit: TransitSettings | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "KmsSettings":
        backend = environ.get("WALLET_KMS", "").strip().lower() or NONE
        if backend not in KMS_BACKENDS:
            raise KmsSettingsError(f"WALLET_KMS must be one of {', '.join(KMS_BACKENDS)}")
        if backend == PKCS11:
            return cls(
                backend,
                pkcs11=Pkcs11Settings(
                    module=_required(environ, "WALLET_PKCS11_MODULE"),
                    token_label=_required(environ, "WALLET_PKCS11_TOKEN_LABEL"),
                    key_label=_required(environ, "WALLET_PKCS11_KEY_LABEL"),
                    pin=_secret(environ, "WALLET_PKCS11_PIN"),
                ),
            )
        if backend == TRANSIT:
            return cls(
                backend,
                transit=TransitSettings(
                    addr=_required(environ, "WALLET_TRANSIT_ADDR"),
                    key=_required(environ, "WALLET_TRANSIT_KEY"),
                    token=_secret(environ, "WALLET_TRANSIT_TOKEN"),
                    mount=environ.get("WALLET_TRANSIT_MOUNT", "").strip().strip("/")
                    or DEFAULT_TRANSIT_MOUNT,
                ),
            )
        return cls()

    def key_wrapper(self, timeout: float) -> KeyWrapper | None:
        """The configured backend's adapter, each call bounded by `timeout` seconds; None for
        `none`. Each backend's library is imported here, when it is configured: a deployment
        without one does not pay for loading it at every start.
        """
        if self.pkcs11 is not None:
            from adapters.kms.pkcs11 import Pkcs11KeyWrapper  # noqa: PLC0415 - see above

            pkcs11 = self.pkcs11
            return Pkcs11KeyWrapper(
                pkcs11.module, pkcs11.token_label, pkcs11.pin, pkcs11.key_label, timeout
            )
        if self.transit is not None:
            from adapters.kms.transit import TransitKeyWrapper  # noqa: PLC0415 - see above

            transit = self.transit
            return TransitKeyWrapper(
                transit.addr, transit.token, transit.key, timeout, mount=transit.mount
            )
        return None


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise KmsSettingsError(f"{name} is required with WALLET_KMS={environ['WALLET_KMS']}")
    return value


def _secret(environ: Mapping[str, str], name: str) -> str:
    """`name`, or the first line of the file `name`_FILE names (one of the two, not both)."""
    value, path = environ.get(name, "").strip(), environ.get(f"{name}_FILE", "").strip()
    if value and path:
        raise KmsSettingsError(f"set {name} or {name}_FILE, not both")
    if path:
        try:
            value = Path(path).read_text(encoding="utf-8").splitlines()[0].strip()
        except (OSError, UnicodeDecodeError, IndexError):
            raise KmsSettingsError(f"{name}_FILE names no readable, non-empty file") from None
    if not value:
        raise KmsSettingsError(f"{name} or {name}_FILE is required with WALLET_KMS")
    return value
