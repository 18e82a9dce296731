"""What the OpenAPI document says of the wallet operations (create one, create many, read)
beyond their handlers' signatures: successes with examples, the errors each can raise, request
examples.
"""

from http import HTTPStatus

from domain.errors import (
    EnvelopeTampered,
    KeyDerivationBusy,
    KmsRefused,
    KmsUnavailable,
    SealingFailed,
    UserNotFound,
    WalletExistsUnderAnotherKey,
    WalletNotFound,
)
from entrypoints.http import examples
from entrypoints.http.docs import Success, example, field_error, protected, wallet_success
from entrypoints.http.examples import BATCH_RESULTS_EXAMPLE as BATCH
from entrypoints.http.idempotency import REPLAY
from entrypoints.http.operations.common import USES_THE_KEYS
from entrypoints.http.schemas.wallets import MAX_BATCH_ITEMS, BatchResultsBody
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
SERVICE_FAILURES = (KeyDerivationBusy, KmsUnavailable, KmsRefused)
"""What stops a batch, besides the database (documented for every operation): the items before
it stay done, those after it are not run, and the batch can be sent again as it was."""
CREATE_WALLETS = protected(
    Scope.CREATE,
    {
        HTTPStatus.OK: Success(
            BatchResultsBody,
            "Each item's outcome, in the order of the items: its `status` as the single creation "
            "would answer it, with the wallet (201 created, 200 it exists and the key opens it) "
            "or the problem (400 an id the single creation refuses, 404 unknown user, 409 sealed "
            "under another key, 500 a damaged or foreign envelope), the other null. A user id "
            "given again gets the same wallet as its first occurrence, with 200.",
            (example("results", "Created, repeated, and three refused", BATCH, nulls=True),),
        )
    },
    field_error(
        f"items: Expected `array` of length <= {MAX_BATCH_ITEMS}",
        f"The encryptionKey or the items are missing, empty or of the wrong type, over "
        f"{MAX_BATCH_ITEMS} items, or an item without a userId: nothing was run.",
    ),
    *SERVICE_FAILURES,
    requests=(example("batch", "Five items of every kind", examples.CREATE_WALLETS_EXAMPLE),),
    keyed=REPLAY,
)
GET_WALLET = protected(
    Scope.READ, {HTTPStatus.OK: wallet_success("The user's wallet.")}, WalletNotFound, path_id=True
)
