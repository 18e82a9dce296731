"""Errors of input: a request value that a domain rule refuses (named by its Field), and a
change of signers that would lock the account out.
"""

from enum import StrEnum

from domain.errors.base import DomainError


class Field(StrEnum):
    """A request value that a domain rule can refuse. The edges name it in their own words (a
    JSON member, a command-line option, an environment variable); the domain never does.
    """

    USER_ID = "user_id"
    NEW_USER_ID = "id"
    EMAIL = "email"
    ENCRYPTION_KEY = "encryption_key"
    NEW_ENCRYPTION_KEY = "new_encryption_key"
    TRANSACTION_XDR = "transaction_xdr"
    NETWORK_PASSPHRASE = "network_passphrase"  # noqa: S105 - a field name, not a secret
    RECIPIENT_PUBLIC_KEY = "recipient_public_key"
    RECOVERY_PUBLIC_KEY = "recovery_public_key"
    RECOVERY_SHARES = "recovery_shares"
    ESCROW_FILE = "escrow_file"
    POLICY = "policy"
    SIGNERS = "signers"
    THRESHOLDS = "thresholds"
    SPONSOR = "sponsor"
    SPONSOR_USER_ID = "sponsor.user_id"
    SPONSOR_PUBLIC_KEY = "sponsor.public_key"
    SPONSOR_ENCRYPTION_KEY = "sponsor.encryption_key"
    SPONSOR_SEQUENCE = "sponsor_sequence"
    SEQUENCE = "sequence"
    TRUSTLINES = "trustlines"
    IDEMPOTENCY_KEY = "idempotency_key"
    BASE_FEE = "base_fee"
    VALID_UNTIL = "valid_until"
    CURRENT_SIGNERS = "current_signers"
    CURRENT_THRESHOLDS = "current_thresholds"
    ADD = "add"
    REMOVE = "remove"
    MASTER_WEIGHT = "master_weight"
    SUBMIT = "submit"
    CURSOR = "cursor"
    LIMIT = "limit"
    EVENT_ID = "event_id"


class InvalidInput(DomainError):
    """A request value breaks a domain rule (length, shape)."""

    def __init__(self, field: Field, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class Lockout(DomainError):
    """A change of an account's signers would leave signers whose total weight cannot reach the
    account's high threshold (or no signer with weight): the account could never change its
    signers again.
    """

    def __init__(self, weight: int, needed: int) -> None:
        super().__init__(
            f"after this change the signers' total weight ({weight}) cannot reach the high "
            f"threshold ({needed}): the account could never change its signers or thresholds "
            "again, unless a lockout is explicitly allowed"
        )
        self.weight = weight
        self.needed = needed
