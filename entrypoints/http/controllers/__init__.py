"""One Litestar controller per resource: its path, tags and who may call it said once."""

from entrypoints.http.controllers.custody import CustodyController
from entrypoints.http.controllers.operations import HealthController, MetricsController
from entrypoints.http.controllers.policy import PolicyController
from entrypoints.http.controllers.transactions import TransactionController
from entrypoints.http.controllers.users import UserController
from entrypoints.http.controllers.wallets import WalletController

CONTROLLERS = [
    UserController,
    WalletController,
    CustodyController,
    PolicyController,
    TransactionController,
    HealthController,
    MetricsController,
]
