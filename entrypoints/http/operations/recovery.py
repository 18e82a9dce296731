"""What the OpenAPI document says of recovery (a wallet's escrow) beyond its handler's
signature.
"""

from http import HTTPStatus

from domain.errors import EscrowNotFound, WalletNotFound
from entrypoints.http import examples
from entrypoints.http.docs import Success, example, protected
from entrypoints.http.schemas.recovery import EscrowBody
from entrypoints.scopes import Scope

ESCROW = protected(
    Scope.MANAGE,
    {
        HTTPStatus.OK: Success(
            EscrowBody,
            "The wallet's escrow: its seed sealed to the offline recovery key.",
            (example("escrow", "Sealed to recovery key rk-70de…", examples.ESCROW_EXAMPLE),),
        )
    },
    WalletNotFound,
    EscrowNotFound,
    path_id=True,
)
