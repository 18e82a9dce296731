"""Examples for the OpenAPI document: bodies, one module per resource (`users`, `wallets`,
`custody`, `account_transactions`, `policy`, `recovery`, `health`), the values they share in
`common`, and an instance of each domain error a route can raise in `errors`. Every name can be
imported from here.
"""

from entrypoints.http.examples.account_transactions import (
    ACTIVATED_EXAMPLE,
    ACTIVATED_SUBMITTED_EXAMPLE,
    ACTIVATION_ELSEWHERE_EXAMPLE,
    ACTIVATION_EXAMPLE,
    ACTIVATION_SUBMIT_EXAMPLE,
    EXAMPLE_SPONSOR_KEY,
    INSPECT_EXAMPLE,
    INSPECTION_EXAMPLE,
    SIGNERS_CHANGED_EXAMPLE,
    SIGNERS_EXAMPLE,
)
from entrypoints.http.examples.common import (
    EXAMPLE_KEY,
    EXAMPLE_SPONSOR_ID,
    EXAMPLE_USER_ID,
    USDC_ISSUER,
)
from entrypoints.http.examples.custody import (
    EVENT_PAGE_EXAMPLE,
    EXAMPLE_NEW_KEY,
    EXPORT_EXAMPLE,
    ROTATE_KEY_EXAMPLE,
    SEALED_SECRET_EXAMPLE,
    SIGN_EXAMPLE,
    SIGNED_EXAMPLE,
)
from entrypoints.http.examples.errors import ERROR_EXAMPLES
from entrypoints.http.examples.health import METRICS_EXAMPLE
from entrypoints.http.examples.policy import (
    BUILT_IN_POLICY_EXAMPLE,
    DAILY_LIMIT_EXAMPLE,
    PAYMENTS_POLICY_EXAMPLE,
    WALLET_POLICY_EXAMPLE,
)
from entrypoints.http.examples.recovery import ESCROW_EXAMPLE
from entrypoints.http.examples.users import (
    EXAMPLE_EMAIL,
    GENERATED_ID_USER_EXAMPLE,
    REGISTER_USER_EXAMPLE,
    USER_EXAMPLE,
)
from entrypoints.http.examples.wallets import (
    BATCH_RESULTS_EXAMPLE,
    CREATE_WALLET_EXAMPLE,
    CREATE_WALLETS_EXAMPLE,
    SUSPENDED_WALLET_EXAMPLE,
    WALLET_EXAMPLE,
)

__all__ = [
    "ACTIVATED_EXAMPLE",
    "ACTIVATED_SUBMITTED_EXAMPLE",
    "ACTIVATION_ELSEWHERE_EXAMPLE",
    "ACTIVATION_EXAMPLE",
    "ACTIVATION_SUBMIT_EXAMPLE",
    "BATCH_RESULTS_EXAMPLE",
    "BUILT_IN_POLICY_EXAMPLE",
    "CREATE_WALLETS_EXAMPLE",
    "CREATE_WALLET_EXAMPLE",
    "DAILY_LIMIT_EXAMPLE",
    "ERROR_EXAMPLES",
    "ESCROW_EXAMPLE",
    "EVENT_PAGE_EXAMPLE",
    "EXAMPLE_EMAIL",
    "EXAMPLE_KEY",
    "EXAMPLE_NEW_KEY",
    "EXAMPLE_SPONSOR_ID",
    "EXAMPLE_SPONSOR_KEY",
    "EXAMPLE_USER_ID",
    "EXPORT_EXAMPLE",
    "GENERATED_ID_USER_EXAMPLE",
    "INSPECTION_EXAMPLE",
    "INSPECT_EXAMPLE",
    "METRICS_EXAMPLE",
    "PAYMENTS_POLICY_EXAMPLE",
    "REGISTER_USER_EXAMPLE",
    "ROTATE_KEY_EXAMPLE",
    "SEALED_SECRET_EXAMPLE",
    "SIGNED_EXAMPLE",
    "SIGNERS_CHANGED_EXAMPLE",
    "SIGNERS_EXAMPLE",
    "SIGN_EXAMPLE",
    "SUSPENDED_WALLET_EXAMPLE",
    "USDC_ISSUER",
    "USER_EXAMPLE",
    "WALLET_EXAMPLE",
    "WALLET_POLICY_EXAMPLE",
]
