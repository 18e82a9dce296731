"""What the OpenAPI document says of the signing-policy operations on a wallet (read, set,
remove) beyond their handlers' signatures: successes with examples, the errors each can raise,
request examples.
"""

from http import HTTPStatus

from domain.errors import Field, InvalidInput, WalletNotFound
from entrypoints.http import examples
from entrypoints.http.docs import Success, example, field_error, protected, raised
from entrypoints.http.idempotency import REPLAY
from entrypoints.http.schemas.policy import PolicyBody
from entrypoints.scopes import Scope

_POLICY_IN_FORCE = "The signing policy now in force for the wallet, and where it comes from."
GET_POLICY = protected(
    Scope.MANAGE,
    {
        HTTPStatus.OK: Success(
            PolicyBody,
            "The signing policy in force for the wallet, and where it comes from.",
            (
                example("own", "The wallet's own policy", examples.WALLET_POLICY_EXAMPLE),
                example(
                    "built-in",
                    "No policy anywhere: no foreign source or fee bump, anything else",
                    examples.BUILT_IN_POLICY_EXAMPLE,
                ),
            ),
        )
    },
    WalletNotFound,
    path_id=True,
)
SET_POLICY = protected(
    Scope.MANAGE,
    {
        HTTPStatus.OK: Success(
            PolicyBody,
            _POLICY_IN_FORCE,
            (example("own", "The wallet's own policy", examples.WALLET_POLICY_EXAMPLE),),
        )
    },
    field_error(
        "allowedOperation: is not a member of this body",
        "A member is unknown (a misspelt restriction is never taken as none), or a list is over "
        "its limit.",
        name="invalid-input-member",
    ),
    raised(
        InvalidInput(Field.POLICY, "allowedOperations[0] is not a Stellar operation name"),
        "A member is of the wrong type (no number or text for true or false), an operation name "
        "is not one of stellar-sdk's (in camelCase), a destination or issuer is not an account "
        "key, an amount is not a decimal with at most 7 places, or an asset is listed twice.",
        name="invalid-input-policy",
    ),
    WalletNotFound,
    requests=(
        example(
            "payments",
            "Payments to the treasury only, within limits",
            examples.PAYMENTS_POLICY_EXAMPLE,
        ),
        example("daily-limit", "At most 250 XLM a day", examples.DAILY_LIMIT_EXAMPLE),
    ),
    path_id=True,
    keyed=REPLAY,
)
REMOVE_POLICY = protected(
    Scope.MANAGE,
    {
        HTTPStatus.OK: Success(
            PolicyBody,
            "The policy now in force (the deployment's default or the built-in one).",
            (
                example(
                    "built-in",
                    "Back to the built-in policy",
                    examples.BUILT_IN_POLICY_EXAMPLE,
                ),
            ),
        )
    },
    WalletNotFound,
    path_id=True,
    keyed=REPLAY,
)
