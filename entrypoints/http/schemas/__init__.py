"""Request and response bodies: msgspec Structs in camelCase, converted to and from the
application's requests and results here and nowhere else. One module per resource (`users`,
`wallets`, `custody`, `account_transactions`, `policy`, `recovery`, `health`), the values they
are made of in `fields`, the problem body in `problems`; every name can be imported from here.
"""

from entrypoints.http.schemas.account_transactions import (
    AccountTransactionBody,
    ActivationBody,
    AssetCode,
    AuthorizationBody,
    Fee,
    InspectBody,
    InspectionBody,
    Sequence,
    SignerBody,
    SignerChangeBody,
    SponsorBody,
    SubmittedBody,
    ThresholdsBody,
    TrustlineBody,
    UnixTime,
    Weight,
)
from entrypoints.http.schemas.custody import (
    EmptyBody,
    EventBody,
    EventPageBody,
    ExportBody,
    RecipientKey,
    RotateKeyBody,
    SealedSecretBody,
    SignBody,
    SignedBody,
)
from entrypoints.http.schemas.fields import (
    AccountKey,
    Amount,
    Email,
    Id,
    Key,
    Passphrase,
    UserIdPath,
    Xdr,
    wire_name,
)
from entrypoints.http.schemas.health import StatusBody
from entrypoints.http.schemas.policy import (
    AssetName,
    LimitDocument,
    OperationName,
    PolicyBody,
    PolicyDocument,
)
from entrypoints.http.schemas.problems import ProblemBody
from entrypoints.http.schemas.recovery import EscrowBody
from entrypoints.http.schemas.users import RegisterUserBody, UserBody
from entrypoints.http.schemas.wallets import CreateWalletBody, WalletBody

__all__ = [
    "AccountKey",
    "AccountTransactionBody",
    "ActivationBody",
    "Amount",
    "AssetCode",
    "AssetName",
    "AuthorizationBody",
    "CreateWalletBody",
    "Email",
    "EmptyBody",
    "EscrowBody",
    "EventBody",
    "EventPageBody",
    "ExportBody",
    "Fee",
    "Id",
    "InspectBody",
    "InspectionBody",
    "Key",
    "LimitDocument",
    "OperationName",
    "Passphrase",
    "PolicyBody",
    "PolicyDocument",
    "ProblemBody",
    "RecipientKey",
    "RegisterUserBody",
    "RotateKeyBody",
    "SealedSecretBody",
    "Sequence",
    "SignBody",
    "SignedBody",
    "SignerBody",
    "SignerChangeBody",
    "SponsorBody",
    "StatusBody",
    "SubmittedBody",
    "ThresholdsBody",
    "TrustlineBody",
    "UnixTime",
    "UserBody",
    "UserIdPath",
    "WalletBody",
    "Weight",
    "Xdr",
    "wire_name",
]
