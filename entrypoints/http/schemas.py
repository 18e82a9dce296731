"""Request and response bodies: msgspec Structs in camelCase, converted to and from the
application's requests and results here and nowhere else.
"""

from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec

from application.results import UserResult, WalletResult
from application.sign_transaction import SignResult
from application.wallet_events import EventPage
from domain.model import MAX_EMAIL_CHARS, MAX_ID_CHARS
from domain.secrets import EncryptionKey

_TEXT = "No NUL characters or lone surrogates."
Id = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_ID_CHARS,
        description=f"One URL path segment: no '/', not '.' or '..'. {_TEXT}",
    ),
]
Email = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=MAX_EMAIL_CHARS,
        # The '@' rule of domain.model.check_email: text on both sides of the last '@'.
        pattern=r"[\s\S]@[^@]+$",
        description=f"Text on both sides of its last '@'. {_TEXT}",
    ),
]
Key = Annotated[
    str,
    msgspec.Meta(
        min_length=EncryptionKey.MIN_CHARS,
        max_length=EncryptionKey.MAX_CHARS,
        description="Never stored or echoed. No lone surrogates.",
    ),
]


class CreateWalletBody(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    """Create (or fetch) the wallet of `userId`; `encryptionKey` is never stored or echoed."""

    user_id: Id
    encryption_key: Key

    def __repr__(self) -> str:
        return f"CreateWalletBody(user_id={self.user_id!r}, encryption_key=<redacted>)"


class RegisterUserBody(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    """Register a user; without `id`, one is generated."""

    email: Email
    id: Id | None = None


class WalletBody(msgspec.Struct, rename="camel"):
    """A wallet: never its encrypted or plain seed."""

    wallet_id: str
    public_key: str
    user_id: str
    created_at: datetime
    status: Literal["active", "suspended"]

    @classmethod
    def of(cls, result: WalletResult) -> "WalletBody":
        return cls(
            result.wallet_id,
            result.public_key,
            result.user_id,
            result.created_at,
            "suspended" if result.status == "suspended" else "active",
        )


class UserBody(msgspec.Struct, rename="camel"):
    """A user."""

    id: str
    email: str
    created_at: datetime

    @classmethod
    def of(cls, result: UserResult) -> "UserBody":
        return cls(result.id, result.email, result.created_at)


class StatusBody(msgspec.Struct):
    """Liveness or readiness."""

    status: str


class ProblemBody(msgspec.Struct, omit_defaults=True):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[str] | None = None


Xdr = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=60_000,
        description="Base64 XDR of a transaction envelope or a fee-bump transaction envelope.",
    ),
]
Passphrase = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=256,
        description="The network passphrase; one of WALLET_NETWORKS (by default the Stellar test "
        "network and the public network).",
    ),
]
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
            EventBody(e.sequence, e.type, e.occurred_at, e.token_id, e.details, e.prev_hash, e.hash)
            for e in page.events
        ]
        return cls(events, page.next_cursor)


# Examples for the OpenAPI document. The public keys were made at random once and their secrets
# never kept; the encryption keys are plainly placeholders, never to be used.
EXAMPLE_USER_ID = "user-42"
EXAMPLE_EMAIL = "ada@example.com"
EXAMPLE_KEY = "an example caller key, not a real one"
EXAMPLE_NEW_KEY = "the next example caller key, not real"
_PUBLIC_KEY = "GBCK52FACVINIZ7VFLQKIUGK3KAWH2UAII232456EUXVBI5DO2MUTY4K"
_TESTNET = "Test SDF Network ; September 2015"
_TOKEN_ID = "9b088a0d5d92"  # noqa: S105 - the non-secret id of a token (SHA-256 prefix)
_TRANSACTION_HASH = "64be2296e2078e3d577f18eb52452672843a1f58d5fcc276fe15d843cf5209b8"
_PAYMENT_XDR = (  # 25 XLM from the wallet on the test network, unsigned
    "AAAAAgAAAABEruigFVDUZ/Uq4KRQytqBY+qAQjW9c74lL1Cjo3aZSQAAAGQAA+unCgawAQAAAAEAAAAAAAAAAAAAAABr"
    "NuyAAAAAAAAAAAEAAAAAAAAAAQAAAAB66rYRr/BODEu5QgxhaKCTXK3jM04kMgoKhjmhow4M3wAAAAAAAAAADuaygAAA"
    "AAAAAAAA"
)
_SIGNED_PAYMENT_XDR = (
    "AAAAAgAAAABEruigFVDUZ/Uq4KRQytqBY+qAQjW9c74lL1Cjo3aZSQAAAGQAA+unCgawAQAAAAEAAAAAAAAAAAAAAABr"
    "NuyAAAAAAAAAAAEAAAAAAAAAAQAAAAB66rYRr/BODEu5QgxhaKCTXK3jM04kMgoKhjmhow4M3wAAAAAAAAAADuaygAAA"
    "AAAAAAABo3aZSQAAAEA8FmvdTsSNKffm2wvNQz1JqjpPcsmPx5j0C4bXm7pWLvza04TQLY+zn9qVAOviV+wWf9P32nTN"
    "LHbSTUi4Gh8H"
)
_CREATED_AT = datetime(2026, 3, 14, 9, 26, 53, 589000, tzinfo=UTC)

CREATE_WALLET_EXAMPLE = CreateWalletBody(user_id=EXAMPLE_USER_ID, encryption_key=EXAMPLE_KEY)
WALLET_EXAMPLE = WalletBody(
    wallet_id="019cebab-8995-79cb-8e59-2e30c8333017",
    public_key=_PUBLIC_KEY,
    user_id=EXAMPLE_USER_ID,
    created_at=_CREATED_AT,
    status="active",
)
SUSPENDED_WALLET_EXAMPLE = msgspec.structs.replace(WALLET_EXAMPLE, status="suspended")
REGISTER_USER_EXAMPLE = RegisterUserBody(email=EXAMPLE_EMAIL, id=EXAMPLE_USER_ID)
USER_EXAMPLE = UserBody(
    id=EXAMPLE_USER_ID,
    email=EXAMPLE_EMAIL,
    created_at=datetime(2026, 3, 14, 9, 26, 52, 104000, tzinfo=UTC),
)
GENERATED_ID_USER_EXAMPLE = UserBody(
    id="019cebac-3fbd-7dab-b7fe-3054d79bd85b",
    email="grace@example.com",
    created_at=datetime(2026, 3, 14, 9, 27, 40, 221000, tzinfo=UTC),
)
SIGN_EXAMPLE = SignBody(
    encryption_key=EXAMPLE_KEY, transaction_xdr=_PAYMENT_XDR, network_passphrase=_TESTNET
)
SIGNED_EXAMPLE = SignedBody(
    signed_transaction_xdr=_SIGNED_PAYMENT_XDR,
    transaction_hash=_TRANSACTION_HASH,
    public_key=_PUBLIC_KEY,
)
ROTATE_KEY_EXAMPLE = RotateKeyBody(encryption_key=EXAMPLE_KEY, new_encryption_key=EXAMPLE_NEW_KEY)
EXPORT_EXAMPLE = ExportBody(
    encryption_key=EXAMPLE_KEY, recipient_public_key="pK2BO0PdYBf4wayXSE4j/K49ZeciORlj2EHm57aAqH4="
)
SEALED_SECRET_EXAMPLE = SealedSecretBody(
    "4DTt4Py94E/3HK/jrGjKc34zPZPpB++/9p6vpS4Uymu6/JxMeDkdzLyjOHwf0nItr0xhrP/hZSdwYXYSDuL+eIALshPM"
    "2vf1hHUUgdqqnm4="
)
EVENT_PAGE_EXAMPLE = EventPageBody(  # ?limit=2: the first page of a longer trail
    events=[
        EventBody(
            sequence=1,
            type="created",
            occurred_at=_CREATED_AT,
            token_id=_TOKEN_ID,
            details={},
            prev_hash="0" * 64,
            hash="2a33ec76d976573aeefa4aec38ce031a5bdfd38fb2751f359d1c55d5d97ec3df",
        ),
        EventBody(
            sequence=2,
            type="signed",
            occurred_at=datetime(2026, 3, 14, 9, 31, 7, 412000, tzinfo=UTC),
            token_id=_TOKEN_ID,
            details={"transactionHash": _TRANSACTION_HASH, "networkPassphrase": _TESTNET},
            prev_hash="2a33ec76d976573aeefa4aec38ce031a5bdfd38fb2751f359d1c55d5d97ec3df",
            hash="8658ba3a5dbdc543803d3b163ba807a325b83d7dd40c31a917ad577f745452d9",
        ),
    ],
    next_cursor=2,
)
