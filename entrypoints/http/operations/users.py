"""What the OpenAPI document says of the user operations (register, read) beyond their
handlers' signatures: successes with examples, the errors each can raise, request examples.
"""

from http import HTTPStatus

from domain.errors import Field, UserConflict, UserNotFound
from entrypoints.http import examples
from entrypoints.http.docs import Success, example, field_error, protected, raised
from entrypoints.http.idempotency import REPLAY
from entrypoints.http.schemas.users import UserBody
from entrypoints.scopes import Scope

_USER = example("user", "A user", examples.USER_EXAMPLE)


REGISTER_USER = protected(
    Scope.CREATE,
    {
        HTTPStatus.CREATED: Success(
            UserBody,
            "The user was created.",
            (
                _USER,
                example("generated-id", "With a generated id", examples.GENERATED_ID_USER_EXAMPLE),
            ),
        ),
        HTTPStatus.OK: Success(UserBody, "This same user exists already.", (_USER,)),
    },
    field_error(
        "id: Expected `str` of length <= 128",
        "A field is missing, empty, of the wrong type or over its limits, e.g. an id over 128 "
        "characters.",
    ),
    raised(UserConflict(Field.EMAIL), name="email-taken"),
    raised(UserConflict(Field.NEW_USER_ID), name="id-taken"),
    requests=(
        example("with-id", "Register ada@example.com as user-42", examples.REGISTER_USER_EXAMPLE),
        example("without-id", "Register with a generated id", {"email": "grace@example.com"}),
    ),
    keyed=REPLAY,
)
READ_USER = protected(
    Scope.READ,
    {HTTPStatus.OK: Success(UserBody, "The user.", (_USER,))},
    UserNotFound,
    path_id=True,
)
