"""Example payloads of the wallet operations: create one, a wallet (active or suspended),
create many and their results.
"""

import msgspec

from domain.errors import (
    DomainError,
    Field,
    InvalidInput,
    UserNotFound,
    WalletExistsUnderAnotherKey,
)
from domain.model import check_id
from entrypoints.http.examples.common import (
    EXAMPLE_CREATED_AT,
    EXAMPLE_KEY,
    EXAMPLE_PUBLIC_KEY,
    EXAMPLE_USER_ID,
)
from entrypoints.http.problems import problem_body
from entrypoints.http.schemas.wallets import (
    BatchItemBody,
    BatchResultBody,
    BatchResultsBody,
    CreateWalletBody,
    CreateWalletsBody,
    WalletBody,
)

CREATE_WALLET_EXAMPLE = CreateWalletBody(user_id=EXAMPLE_USER_ID, encryption_key=EXAMPLE_KEY)
WALLET_EXAMPLE = WalletBody(
    wallet_id="019cebab-8995-79cb-8e59-2e30c8333017",
    public_key=EXAMPLE_PUBLIC_KEY,
    user_id=EXAMPLE_USER_ID,
    created_at=EXAMPLE_CREATED_AT,
    status="active",
)
SUSPENDED_WALLET_EXAMPLE = msgspec.structs.replace(WALLET_EXAMPLE, status="suspended")

OTHER_USER_ID, KEYED_ELSEWHERE_ID, NOT_AN_ID = "user-43", "user-44", "../user-45"
CREATE_WALLETS_EXAMPLE = CreateWalletsBody(
    encryption_key=EXAMPLE_KEY,
    items=[
        BatchItemBody(EXAMPLE_USER_ID, "row-1"),
        BatchItemBody(EXAMPLE_USER_ID, "row-2"),
        BatchItemBody(OTHER_USER_ID, "row-3"),
        BatchItemBody(KEYED_ELSEWHERE_ID, "row-4"),
        BatchItemBody(NOT_AN_ID, "row-5"),
    ],
)
"""user-42 twice, an unknown user, a user whose wallet is sealed under another key, a bad id."""


def _refused(ref_id: str, user_id: str, error: DomainError) -> BatchResultBody:
    problem = problem_body(error)
    return BatchResultBody(ref_id, user_id, problem.status, None, problem)


def _invalid_id(user_id: str) -> InvalidInput:
    """What the creation refuses this id with (the domain's own words)."""
    try:
        check_id(Field.USER_ID, user_id)
    except InvalidInput as refused:
        return refused
    raise ValueError(f"{user_id!r} is a valid id")


BATCH_RESULTS_EXAMPLE = BatchResultsBody(
    [
        BatchResultBody("row-1", EXAMPLE_USER_ID, 201, WALLET_EXAMPLE, None),
        BatchResultBody("row-2", EXAMPLE_USER_ID, 200, WALLET_EXAMPLE, None),
        _refused("row-3", OTHER_USER_ID, UserNotFound(OTHER_USER_ID)),
        _refused("row-4", KEYED_ELSEWHERE_ID, WalletExistsUnderAnotherKey(KEYED_ELSEWHERE_ID)),
        _refused("row-5", NOT_AN_ID, _invalid_id(NOT_AN_ID)),
    ]
)
