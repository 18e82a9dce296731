"""Example payloads of the account transactions: the treasury's sponsored activation of
user-42's account, a co-signer added to it, and the inspection of a fee-bump payment.
"""

import msgspec

from entrypoints.http.examples.common import (
    EXAMPLE_ACCOUNT,
    EXAMPLE_KEY,
    EXAMPLE_PUBLIC_KEY,
    EXAMPLE_SPONSOR_ACCOUNT,
    EXAMPLE_SPONSOR_ID,
    EXAMPLE_TRANSACTION_HASH,
    TESTNET,
    USDC_ISSUER,
)
from entrypoints.http.schemas.account_transactions import (
    AccountTransactionBody,
    ActivationBody,
    AuthorizationBody,
    InspectBody,
    InspectionBody,
    SignerBody,
    SignerChangeBody,
    SponsorBody,
    SubmittedBody,
    ThresholdsBody,
    TrustlineBody,
)

EXAMPLE_SPONSOR_KEY = "the treasury's example key, not a real one"
_COSIGNER = "GABUTI76V3MTS6XG4QKW5MP26X3LW5QA7CVLINKYAALXAS6WSBBZYOK2"
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
    network_passphrase=TESTNET,
    sponsor=SponsorBody(user_id=EXAMPLE_SPONSOR_ID, encryption_key=EXAMPLE_SPONSOR_KEY),
    sponsor_sequence="4294967296",
    trustlines=[TrustlineBody("USDC", USDC_ISSUER, "1000000")],
    base_fee=100,
    valid_until=_VALID_UNTIL,
)
ACTIVATION_ELSEWHERE_EXAMPLE = msgspec.structs.replace(
    ACTIVATION_EXAMPLE, sponsor=SponsorBody(public_key=EXAMPLE_SPONSOR_ACCOUNT)
)
ACTIVATION_SUBMIT_EXAMPLE = ActivationBody(
    encryption_key=EXAMPLE_KEY,
    network_passphrase=TESTNET,
    sponsor=SponsorBody(user_id=EXAMPLE_SPONSOR_ID, encryption_key=EXAMPLE_SPONSOR_KEY),
    trustlines=[TrustlineBody("USDC", USDC_ISSUER)],
    submit=True,
)
ACTIVATED_EXAMPLE = AccountTransactionBody(
    transaction_xdr="".join(_ACTIVATION_XDR),
    transaction_hash="cc8bd38d7324612a0aba41c8f706ba3e1941a688eff5e3171bfd463d8a0ad906",
    public_key=EXAMPLE_ACCOUNT,
    signed_by=[EXAMPLE_SPONSOR_ACCOUNT, EXAMPLE_ACCOUNT],
    sponsor_public_key=EXAMPLE_SPONSOR_ACCOUNT,
)
ACTIVATED_SUBMITTED_EXAMPLE = msgspec.structs.replace(
    ACTIVATED_EXAMPLE, submitted=SubmittedBody(ACTIVATED_EXAMPLE.transaction_hash, 1234567)
)
SIGNERS_EXAMPLE = SignerChangeBody(
    encryption_key=EXAMPLE_KEY,
    network_passphrase=TESTNET,
    sequence="8589934592",
    add=[SignerBody(_COSIGNER, 1)],
    master_weight=1,
    thresholds=ThresholdsBody(1, 2, 2),
    valid_until=_VALID_UNTIL,
)
SIGNERS_CHANGED_EXAMPLE = AccountTransactionBody(
    transaction_xdr="".join(_SIGNERS_XDR),
    transaction_hash="aeb83f06e8e48ad23ecd57c2bfb15787eec7879b75a14400983cea596e8e70f2",
    public_key=EXAMPLE_ACCOUNT,
    signed_by=[EXAMPLE_ACCOUNT],
)

_FEE_PAYER = "GDQW6NXK4QPV7WRMBYAC5FG3Z3SZ5GV2WNHFDXTQF5UERQD6QGR2CTD7"
_FEE_BUMP_XDR = (  # SIGNED_EXAMPLE's payment, its fee paid by _FEE_PAYER, who signed
    "AAAABQAAAADhbzbq5B9f2iwOAC6U287lnpq6s05R3nAvaEjAfoGjoQAAAAAAAAGQAAAAAgAAAABEruigFVDUZ/Uq4KRQ"
    "ytqBY+qAQjW9c74lL1Cjo3aZSQAAAGQAA+unCgawAQAAAAEAAAAAAAAAAAAAAABrNuyAAAAAAAAAAAEAAAAAAAAAAQAA"
    "AAB66rYRr/BODEu5QgxhaKCTXK3jM04kMgoKhjmhow4M3wAAAAAAAAAADuaygAAAAAAAAAABo3aZSQAAAEA8FmvdTsSN"
    "Kffm2wvNQz1JqjpPcsmPx5j0C4bXm7pWLvza04TQLY+zn9qVAOviV+wWf9P32nTNLHbSTUi4Gh8HAAAAAAAAAAF+gaOh"
    "AAAAQC/gC9rCjqNPxzzRncIdgo1trX4uL1q751ml70wTb0c+TCevAlmW1XFZ9FpoFyr8Tv6LbrwKVBMQvw4GxxnGfgQ="
)
INSPECT_EXAMPLE = InspectBody(
    transaction_xdr=_FEE_BUMP_XDR,
    network_passphrase=TESTNET,
    signers=[SignerBody(EXAMPLE_PUBLIC_KEY, 1), SignerBody(_FEE_PAYER, 1)],
    thresholds=ThresholdsBody(low=1, medium=2, high=2),
)
INSPECTION_EXAMPLE = InspectionBody(
    transaction_hash=EXAMPLE_TRANSACTION_HASH,
    signatures=[SignerBody(EXAMPLE_PUBLIC_KEY, 1)],
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
