"""Errors of key management: no key-derivation slot in time, and the key-management backend
(HSM or KMS) that holds the second factor unavailable, refusing, or holding another key.
"""

from domain.errors.base import DomainError


class KeyDerivationBusy(DomainError):
    """Every key-derivation slot of this process stayed taken until the request's deadline:
    nothing was changed, and the same request may succeed later.
    """

    def __init__(self) -> None:
        super().__init__("the service is busy deriving keys; retry later")


class KmsUnavailable(DomainError):
    """The key-management backend (HSM or KMS) cannot answer now: unreachable, too slow for the
    deadline, sealed. Nothing was changed, and the same request may succeed later. `cause` names
    the kind of failure (never a message: those may quote values).
    """

    def __init__(self, backend: str, cause: str) -> None:
        super().__init__(f"the key-management backend ({backend}) is unavailable; retry later")
        self.backend = backend
        self.cause = cause


class KmsRefused(DomainError):
    """The key-management backend answered but refused: no permission, no such key, a key
    version disabled by policy. Retrying will not help until an operator acts.
    """

    def __init__(self, backend: str, key_label: str, reason: str) -> None:
        super().__init__(
            f"the key-management backend ({backend}) refused the request for key "
            f"{key_label!r}: {reason}"
        )
        self.backend = backend
        self.key_label = key_label
        self.reason = reason


class KmsKeyMismatch(DomainError):
    """A v2 envelope's share was wrapped by a backend key that this deployment does not have
    (another token or transit key, a key that was deleted and made again, another backend):
    neither the caller's key nor the envelope is at fault. `wallet_id` names the wallet once a
    use case knows it.
    """

    def __init__(self, backend: str, reason: str, wallet_id: str | None = None) -> None:
        super().__init__(f"the wallet's key share was wrapped by another {backend} key: {reason}")
        self.backend = backend
        self.reason = reason
        self.wallet_id = wallet_id
