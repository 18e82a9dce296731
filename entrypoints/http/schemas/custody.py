"""The bodies of the custody operations on a wallet: sign, rotate the key, export, suspend and
resume (no fields), and its audit trail.
"""

from datetime import datetime
from typing import Annotated

import msgspec

from application.sign_transaction import SignResult
from application.wallet_events import EventPage
from entrypoints.http.schemas.fields import Key, Passphrase, Xdr, wire_name

RecipientKey = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=128, description="An X25519 public key: 32 bytes, base64."
    ),
]


class SignBody(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    """Sign a transaction with the user's wallet."""

    encryption_key: Key
    transaction_xdr: Xdr
    network_passphrase: Passphrase

    def __repr__(self) -> str:
        return "SignBody(encryption_key=<redacted>, ...)"


class SignedBody(msgspec.Struct, rename="camel"):
    """The envelope with the wallet's signature added, and the hash it signed (hex)."""

    signed_transaction_xdr: str
    transaction_hash: str
    public_key: str

    @classmethod
    def of(cls, result: SignResult) -> "SignedBody":
        return cls(result.signed_transaction_xdr, result.transaction_hash, result.public_key)


class RotateKeyBody(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    """Re-seal the wallet's seed from `encryptionKey` to `newEncryptionKey`."""

    encryption_key: Key
    new_encryption_key: Key

    def __repr__(self) -> str:
        return "RotateKeyBody(<redacted>)"


class ExportBody(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    """Seal the wallet's seed to a recovery recipient."""

    encryption_key: Key
    recipient_public_key: RecipientKey

    def __repr__(self) -> str:
        return f"ExportBody(encryption_key=<redacted>, recipient={self.recipient_public_key!r})"


class SealedSecretBody(msgspec.Struct, rename="camel"):
    """The seed in a libsodium sealed box to the recipient's key, base64."""

    sealed_secret: str


class EmptyBody(msgspec.Struct, forbid_unknown_fields=False):
    """No fields."""


class EventBody(msgspec.Struct, rename="camel"):
    """One audit event of a wallet; `hash` chains it to the previous event's."""

    sequence: int
    type: str
    occurred_at: datetime
    token_id: str | None
    details: dict[str, str]
    prev_hash: str
    hash: str


class EventPageBody(msgspec.Struct, rename="camel"):
    """A page of events; pass `nextCursor` as `cursor` for the next one (null at the end)."""

    events: list[EventBody]
    next_cursor: int | None

    @classmethod
    def of(cls, page: EventPage) -> "EventPageBody":
        events = [
            EventBody(
                e.sequence,
                e.type,
                e.occurred_at,
                e.token_id,
                {wire_name(name): value for name, value in e.details.items()},
                e.prev_hash,
                e.hash,
            )
            for e in page.events
        ]
        return cls(events, page.next_cursor)
