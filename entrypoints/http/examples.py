"""Examples for the OpenAPI document: bodies, and an instance of each domain error a route can
raise. The public keys were made at random once and their secrets never kept; the encryption keys
are plainly placeholders, never to be used.
"""

from datetime import UTC, datetime

import msgspec

from domain.errors import (
    AccountAlreadyOnNetwork,
    AccountNotOnNetwork,
    BadSequence,
    DomainError,
    EnvelopeTampered,
    EscrowNotFound,
    EscrowUnreadable,
    ExportDisabled,
    IdempotencyKeyReused,
    InsufficientFunds,
    KeyDerivationBusy,
    KmsKeyMismatch,
    KmsRefused,
    KmsUnavailable,
    Lockout,
    NetworkRejected,
    NetworkUnavailable,
    PolicyViolation,
    RequestInProgress,
    SealingFailed,
    SponsorKeyMismatch,
    StoreUnavailable,
    UserNotFound,
    WalletExistsUnderAnotherKey,
    WalletKeyMismatch,
    WalletNotFound,
    WalletSuspended,
)
from entrypoints.http.schemas import (
    AccountTransactionBody,
    ActivationBody,
    AuthorizationBody,
    CreateWalletBody,
    EscrowBody,
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
    SignerChangeBody,
    SponsorBody,
    SubmittedBody,
    ThresholdsBody,
    TrustlineBody,
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

# Account set-up. The treasury sponsors the activation of user-42's account (whose keys, like
# the treasury's and the co-signer's, were made for these examples alone).
EXAMPLE_SPONSOR_ID = "treasury"
EXAMPLE_SPONSOR_KEY = "the treasury's example key, not a real one"
_ACCOUNT = "GBZ2X7SLDOGMT7HSOSKVP7MP2IPBT42ZUH5R4CPIXRDTTAUUVJKMWJ54"
_SPONSOR = "GCMIEGHKGZIIKMQH2BYOVXUQO4US56B46ZSUQM2CEZRF2K3QV3HUZVBE"
_COSIGNER = "GABUTI76V3MTS6XG4QKW5MP26X3LW5QA7CVLINKYAALXAS6WSBBZYOK2"
USDC_ISSUER = "GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5"
_ACTIVATION_XDR = (
    "AAAAAgAAAACYghjqNlCFMgfQcOrekHcpLvg89mVIM0ImYl0rcK7PTAAAAZAAAAABAAAAAQAAAAEAAAAAAAAAAAAA"
    "AABw29iAAAAAAAAAAAQAAAABAAAAAJiCGOo2UIUyB9Bw6t6Qdyku+Dz2ZUgzQiZiXStwrs9MAAAAEAAAAABzq/5L"
    "G4zJ/PJ0lVf9j9IeGfNZofseCei8RzmClKpUywAAAAEAAAAAmIIY6jZQhTIH0HDq3pB3KS74PPZlSDNCJmJdK3Cu"
    "z0wAAAAAAAAAAHOr/ksbjMn88nSVV/2P0h4Z81mh+x4J6LxHOYKUqlTLAAAAAAAAAAAAAAABAAAAAHOr/ksbjMn8"
    "8nSVV/2P0h4Z81mh+x4J6LxHOYKUqlTLAAAABgAAAAFVU0RDAAAAAEI+fQXy7K+/7BkrIVo/G+lq7bjY5wJUq+NB"
    "PgIH3layAAAJGE5yoAAAAAABAAAAAHOr/ksbjMn88nSVV/2P0h4Z81mh+x4J6LxHOYKUqlTLAAAAEQAAAAAAAAAC"
    "cK7PTAAAAECnLvtHPdGlrqxXN9zB3sTKu3f7rlaaxRxbUuk+fzw87HkJAOsKqWL50RNmtafSBTQpiGvL6gUEXflc"
    "Tz2+TMsClKpUywAAAEA2kiyWb6frClNVDH3+m7xP3j6T9N/XBIOssbs3SgozqGRasuLjFuWQ0pBMMBzYkx5upyoq"
    "Rfk+lWaugKOSTAQF"
)
_SIGNERS_XDR = (
    "AAAAAgAAAABzq/5LG4zJ/PJ0lVf9j9IeGfNZofseCei8RzmClKpUywAAAMgAAAACAAAAAQAAAAEAAAAAAAAAAAAA"
    "AABw29iAAAAAAAAAAAIAAAAAAAAABQAAAAAAAAAAAAAAAAAAAAEAAAABAAAAAQAAAAEAAAABAAAAAgAAAAEAAAAC"
    "AAAAAAAAAAAAAAAAAAAABQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAAAAADSaP+rtk5eubk"
    "FW6x+vX2u3YA+Kq0NVgAF3BL1pBDnAAAAAEAAAAAAAAAAZSqVMsAAABA54BzPaC7QUs9jivHyufBtsrx9qHU5Snv"
    "WFkWkOudEbhXogdyefylKHAvJWOgah2TtHWaFYWUzqScGtTrh6hjBg=="
)
_VALID_UNTIL = 1893456000  # 2030-01-01
ACTIVATION_EXAMPLE = ActivationBody(
    encryption_key=EXAMPLE_KEY,
    network_passphrase=_TESTNET,
    sponsor=SponsorBody(user_id=EXAMPLE_SPONSOR_ID, encryption_key=EXAMPLE_SPONSOR_KEY),
    sponsor_sequence="4294967296",
    trustlines=[TrustlineBody("USDC", USDC_ISSUER, "1000000")],
    base_fee=100,
    valid_until=_VALID_UNTIL,
)
ACTIVATION_ELSEWHERE_EXAMPLE = msgspec.structs.replace(
    ACTIVATION_EXAMPLE, sponsor=SponsorBody(public_key=_SPONSOR)
)
ACTIVATION_SUBMIT_EXAMPLE = ActivationBody(
    encryption_key=EXAMPLE_KEY,
    network_passphrase=_TESTNET,
    sponsor=SponsorBody(user_id=EXAMPLE_SPONSOR_ID, encryption_key=EXAMPLE_SPONSOR_KEY),
    trustlines=[TrustlineBody("USDC", USDC_ISSUER)],
    submit=True,
)
ACTIVATED_EXAMPLE = AccountTransactionBody(
    transaction_xdr="".join(_ACTIVATION_XDR),
    transaction_hash="cc8bd38d7324612a0aba41c8f706ba3e1941a688eff5e3171bfd463d8a0ad906",
    public_key=_ACCOUNT,
    signed_by=[_SPONSOR, _ACCOUNT],
    sponsor_public_key=_SPONSOR,
)
ACTIVATED_SUBMITTED_EXAMPLE = msgspec.structs.replace(
    ACTIVATED_EXAMPLE, submitted=SubmittedBody(ACTIVATED_EXAMPLE.transaction_hash, 1234567)
)
SIGNERS_EXAMPLE = SignerChangeBody(
    encryption_key=EXAMPLE_KEY,
    network_passphrase=_TESTNET,
    sequence="8589934592",
    add=[SignerBody(_COSIGNER, 1)],
    master_weight=1,
    thresholds=ThresholdsBody(1, 2, 2),
    valid_until=_VALID_UNTIL,
)
SIGNERS_CHANGED_EXAMPLE = AccountTransactionBody(
    transaction_xdr="".join(_SIGNERS_XDR),
    transaction_hash="aeb83f06e8e48ad23ecd57c2bfb15787eec7879b75a14400983cea596e8e70f2",
    public_key=_ACCOUNT,
    signed_by=[_ACCOUNT],
)

ESCROW_EXAMPLE = EscrowBody(  # sealed to a recovery key made for this example and forgotten
    wallet_id=WALLET_EXAMPLE.wallet_id,
    user_id=EXAMPLE_USER_ID,
    public_key=_PUBLIC_KEY,
    recovery_key_id="rk-70de11160445fd36",
    sealed_seed="2Pz3RRxvM15LFZD4YmRSPG9BCTirdKySXyPwWF4l+STrgTalbypshgZliLzhl31yS50WwTCymAayuBLMWeYO"
    "rQRCVbJ2mzzCZJsYwD/ArsU=",
)


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
        SponsorKeyMismatch(EXAMPLE_SPONSOR_ID),
        Lockout(1, 2),
        PolicyViolation(EXAMPLE_USER_ID, "operation-not-allowed", 0),
        IdempotencyKeyReused(),
        RequestInProgress(),
        AccountNotOnNetwork(_SPONSOR),
        AccountAlreadyOnNetwork(_ACCOUNT),
        EscrowNotFound(EXAMPLE_USER_ID),
        EscrowUnreadable("it is not sealed to this recovery key, or is damaged"),
        BadSequence(),
        InsufficientFunds(
            "tx_failed", ("op_success", "op_success", "op_low_reserve", "op_success")
        ),
        NetworkRejected("tx_bad_auth"),
        NetworkUnavailable("ConnectError"),
    )
}
"""The example each route shows of an error it names (InvalidInput and UserConflict, whose
wording depends on the route, are shown by the route's own examples)."""
