"""Errors of wallet access: users and wallets not found or taken, a wallet's seed that the key
does not open or that is damaged, a wallet that may not be used so, and its escrow.
"""

from domain.errors.base import DomainError
from domain.errors.input import Field


class UserNotFound(DomainError):
    """No user has this id."""

    def __init__(self, user_id: str) -> None:
        super().__init__(f"user {user_id!r} does not exist")
        self.user_id = user_id


class WalletNotFound(DomainError):
    """The user has no wallet (or does not exist)."""

    def __init__(self, user_id: str) -> None:
        super().__init__(f"user {user_id!r} has no wallet")
        self.user_id = user_id


class EscrowNotFound(DomainError):
    """The user's wallet has no escrow (none was configured when it was last sealed)."""

    def __init__(self, user_id: str) -> None:
        super().__init__(f"the wallet of user {user_id!r} has no escrow")
        self.user_id = user_id


class EscrowUnreadable(DomainError):
    """An escrow does not open with the recovery key at hand: sealed to another key, damaged,
    or holding a seed that is not the wallet's.
    """

    def __init__(self, reason: str, wallet_id: str | None = None) -> None:
        where = "an escrow" if wallet_id is None else f"the escrow of wallet {wallet_id}"
        super().__init__(f"{where} cannot be used: {reason}")
        self.wallet_id = wallet_id
        self.reason = reason


class UserConflict(DomainError):
    """The email or id of a registration already belongs to another user."""

    def __init__(self, *fields: Field) -> None:
        super().__init__(f"this {' or '.join(fields)} already belongs to another user")
        self.fields = fields


class WalletKeyMismatch(DomainError):
    """The user's wallet exists but was encrypted under a different encryption key."""

    def __init__(self, user_id: str) -> None:
        super().__init__(f"the wallet of user {user_id!r} exists under a different encryption key")
        self.user_id = user_id


class EnvelopeTampered(DomainError):
    """A stored envelope is damaged or was tampered with: not a wrong key, a broken envelope.
    `wallet_id` names the wallet once a use case knows it.
    """

    def __init__(self, reason: str, wallet_id: str | None = None) -> None:
        super().__init__(f"stored encrypted key failed its integrity check: {reason}")
        self.reason = reason
        self.wallet_id = wallet_id


class SealingFailed(DomainError):
    """A freshly sealed seed did not open back to its public key: nothing was stored."""

    def __init__(self) -> None:
        super().__init__(
            "the new wallet's encrypted seed failed its self-check; nothing was stored"
        )


class PublicKeyTaken(DomainError):
    """A generated public key is already stored: the key generator is broken."""

    def __init__(self) -> None:
        super().__init__("generated public key is already in use")


class WalletExistsUnderAnotherKey(WalletKeyMismatch):
    """A creation replay came with a key that does not open the user's existing wallet."""


class SponsorKeyMismatch(WalletKeyMismatch):
    """The sponsor's wallet exists but the sponsor's encryption key does not open it."""

    def __init__(self, user_id: str) -> None:
        DomainError.__init__(
            self, f"the sponsor's encryption key does not open the wallet of user {user_id!r}"
        )
        self.user_id = user_id


class WalletSuspended(DomainError):
    """The wallet is suspended: it can be read, not used (sign, rotate, export)."""

    def __init__(self, user_id: str) -> None:
        super().__init__(f"the wallet of user {user_id!r} is suspended")
        self.user_id = user_id


class ExportDisabled(DomainError):
    """Exporting seeds is turned off in this deployment (WALLET_ALLOW_EXPORT)."""

    def __init__(self) -> None:
        super().__init__("exporting wallets is disabled in this deployment")
