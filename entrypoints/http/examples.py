"""Examples for the OpenAPI document: bodies, and an instance of each domain error a route can
raise. The public keys were made at random once and their secrets never kept; the encryption keys
are plainly placeholders, never to be used.
"""

from datetime import UTC, datetime

import msgspec

from domain.errors import (
    DomainError,
    EnvelopeTampered,
    ExportDisabled,
    KeyDerivationBusy,
    KmsKeyMismatch,
    KmsRefused,
    KmsUnavailable,
    SealingFailed,
    StoreUnavailable,
    UserNotFound,
    WalletExistsUnderAnotherKey,
    WalletKeyMismatch,
    WalletNotFound,
    WalletSuspended,
)
from entrypoints.http.schemas import (
    AuthorizationBody,
    CreateWalletBody,
    EventBody,
    EventPageBody,
    ExportBody,
    InspectBody,
    InspectionBody,
    RegisterUserBody,
    RotateKeyBody,
    SealedSecretBody,
    SignBody,
    SignedBody,
    SignerBody,
    ThresholdsBody,
    UserBody,
    WalletBody,
)

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
_FEE_PAYER = "GDQW6NXK4QPV7WRMBYAC5FG3Z3SZ5GV2WNHFDXTQF5UERQD6QGR2CTD7"
_FEE_BUMP_XDR = (  # the signed payment above, its fee paid by _FEE_PAYER, who signed
    "AAAABQAAAADhbzbq5B9f2iwOAC6U287lnpq6s05R3nAvaEjAfoGjoQAAAAAAAAGQAAAAAgAAAABEruigFVDUZ/Uq4KRQ"
    "ytqBY+qAQjW9c74lL1Cjo3aZSQAAAGQAA+unCgawAQAAAAEAAAAAAAAAAAAAAABrNuyAAAAAAAAAAAEAAAAAAAAAAQAA"
    "AAB66rYRr/BODEu5QgxhaKCTXK3jM04kMgoKhjmhow4M3wAAAAAAAAAADuaygAAAAAAAAAABo3aZSQAAAEA8FmvdTsSN"
    "Kffm2wvNQz1JqjpPcsmPx5j0C4bXm7pWLvza04TQLY+zn9qVAOviV+wWf9P32nTNLHbSTUi4Gh8HAAAAAAAAAAF+gaOh"
    "AAAAQC/gC9rCjqNPxzzRncIdgo1trX4uL1q751ml70wTb0c+TCevAlmW1XFZ9FpoFyr8Tv6LbrwKVBMQvw4GxxnGfgQ="
)
INSPECT_EXAMPLE = InspectBody(
    transaction_xdr=_FEE_BUMP_XDR,
    network_passphrase=_TESTNET,
    signers=[SignerBody(_PUBLIC_KEY, 1), SignerBody(_FEE_PAYER, 1)],
    thresholds=ThresholdsBody(low=1, medium=2, high=2),
)
INSPECTION_EXAMPLE = InspectionBody(
    transaction_hash=_TRANSACTION_HASH,
    signatures=[SignerBody(_PUBLIC_KEY, 1)],
    unmatched_signatures=0,
    weight=1,
    required="medium",
    met=False,
    fee_bump=AuthorizationBody(
        transaction_hash="478789d2877d1ed79203782652df0d45c31dee8f821c9995d3e8fa3a6a06b359",
        signatures=[SignerBody(_FEE_PAYER, 1)],
        unmatched_signatures=0,
        weight=1,
        required="low",
        met=True,
    ),
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

METRICS_EXAMPLE = """\
# HELP wallet_creations_total Wallet creation requests by outcome: created, replayed (...)
# TYPE wallet_creations_total counter
wallet_creations_total{outcome="created"} 1042.0
wallet_creations_total{outcome="replayed"} 311.0
wallet_creations_total{outcome="key_mismatch"} 2.0
# HELP wallet_db_pool_connections_in_use Database connections checked out of the pools, all workers.
# TYPE wallet_db_pool_connections_in_use gauge
wallet_db_pool_connections_in_use 3.0
"""

ERROR_EXAMPLES: dict[type[DomainError], DomainError] = {
    error.__class__: error
    for error in (
        UserNotFound(EXAMPLE_USER_ID),
        WalletNotFound(EXAMPLE_USER_ID),
        WalletExistsUnderAnotherKey(EXAMPLE_USER_ID),
        WalletKeyMismatch(EXAMPLE_USER_ID),
        WalletSuspended(EXAMPLE_USER_ID),
        ExportDisabled(),
        EnvelopeTampered("key check or tag mismatch"),
        SealingFailed(),
        StoreUnavailable("OSError"),
        KeyDerivationBusy(),
        KmsUnavailable("transit", "ConnectError"),
        KmsRefused("transit", "wallets", "permission denied"),
        KmsKeyMismatch("transit", "no key version v3-5f1c2a9e0b7d"),
    )
}
"""The example each route shows of an error it names (InvalidInput and UserConflict, whose
wording depends on the route, are shown by the route's own examples)."""
