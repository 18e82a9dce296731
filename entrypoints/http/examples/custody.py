"""Example payloads of the custody operations on a wallet: sign, rotate the key, export, and a
page of its audit trail.
"""

from datetime import UTC, datetime

from entrypoints.http.examples.common import (
    EXAMPLE_CREATED_AT,
    EXAMPLE_KEY,
    EXAMPLE_PUBLIC_KEY,
    EXAMPLE_TRANSACTION_HASH,
    TESTNET,
)
from entrypoints.http.schemas.custody import (
    EventBody,
    EventPageBody,
    ExportBody,
    RotateKeyBody,
    SealedSecretBody,
    SignBody,
    SignedBody,
)

EXAMPLE_NEW_KEY = "the next example caller key, not real"
_TOKEN_ID = "9b088a0d5d92"  # noqa: S105 - the non-secret id of a token (SHA-256 prefix)
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

SIGN_EXAMPLE = SignBody(
    encryption_key=EXAMPLE_KEY, transaction_xdr=_PAYMENT_XDR, network_passphrase=TESTNET
)
SIGNED_EXAMPLE = SignedBody(
    signed_transaction_xdr=_SIGNED_PAYMENT_XDR,
    transaction_hash=EXAMPLE_TRANSACTION_HASH,
    public_key=EXAMPLE_PUBLIC_KEY,
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
            occurred_at=EXAMPLE_CREATED_AT,
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
            details={
                "transactionHash": EXAMPLE_TRANSACTION_HASH,
                "networkPassphrase": TESTNET,
            },
            prev_hash="2a33ec76d976573aeefa4aec38ce031a5bdfd38fb2751f359d1c55d5d97ec3df",
            hash="8658ba3a5dbdc543803d3b163ba807a325b83d7dd40c31a917ad577f745452d9",
        ),
    ],
    next_cursor=2,
)
