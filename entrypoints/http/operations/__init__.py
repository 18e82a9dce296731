"""What the OpenAPI document says of each operation beyond its handler's signature: its
successes with examples, the errors it can raise, and examples of its request body. One module
per resource (`users`, `wallets`, `custody`, `account_transactions`, `policy`, `recovery`,
`health`), what several raise alike in `common`. The controllers' route decorators read these
from here (`**operations.SIGN.route`).
"""

from entrypoints.http.operations.account_transactions import ACTIVATE, CHANGE_SIGNERS, INSPECT
from entrypoints.http.operations.custody import EVENTS, EXPORT, RESUME, ROTATE_KEY, SIGN, SUSPEND
from entrypoints.http.operations.health import HEALTH, METRICS, READY
from entrypoints.http.operations.policy import GET_POLICY, REMOVE_POLICY, SET_POLICY
from entrypoints.http.operations.recovery import ESCROW
from entrypoints.http.operations.users import READ_USER, REGISTER_USER
from entrypoints.http.operations.wallets import CREATE_WALLET, CREATE_WALLETS, GET_WALLET

__all__ = [
    "ACTIVATE",
    "CHANGE_SIGNERS",
    "CREATE_WALLET",
    "CREATE_WALLETS",
    "ESCROW",
    "EVENTS",
    "EXPORT",
    "GET_POLICY",
    "GET_WALLET",
    "HEALTH",
    "INSPECT",
    "METRICS",
    "READY",
    "READ_USER",
    "REGISTER_USER",
    "REMOVE_POLICY",
    "RESUME",
    "ROTATE_KEY",
    "SET_POLICY",
    "SIGN",
    "SUSPEND",
]
