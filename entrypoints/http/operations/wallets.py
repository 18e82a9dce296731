"""What the OpenAPI document says of the wallet operations (create, read) beyond their
handlers' signatures: successes with examples, the errors each can raise, request examples.
"""

from http import HTTPStatus

from domain.errors import (
    EnvelopeTampered,
    SealingFailed,
    UserNotFound,
    WalletExistsUnderAnotherKey,
    WalletNotFound,
)
from entrypoints.http import examples
from entrypoints.http.docs import example, field_error, protected, wallet_success
from entrypoints.http.idempotency import REPLAY
from entrypoints.http.operations.common import USES_THE_KEYS
from entrypoints.scopes import Scope

CREATE_WALLET = protected(
    Scope.CREATE,
    {
        HTTPStatus.CREATED: wallet_success("The wallet was created."),
        HTTPStatus.OK: wallet_success("The user's wallet exists and the key opens it (a replay)."),
    },
    field_error(
        "encryptionKey: Expected `str` of length >= 16",
        "A field is missing, empty, of the wrong type or over its limits, e.g. an encryptionKey "
        "under 16 characters.",
    ),
    UserNotFound,
    WalletExistsUnderAnotherKey,
    EnvelopeTampered,
    SealingFailed,
    *USES_THE_KEYS,
    requests=(example("create", "Create user-42's wallet", examples.CREATE_WALLET_EXAMPLE),),
    keyed=REPLAY,
)
GET_WALLET = protected(
    Scope.READ, {HTTPStatus.OK: wallet_success("The user's wallet.")}, WalletNotFound, path_id=True
)
