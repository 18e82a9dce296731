"""Example payloads of the user operations: register one, a user."""

from datetime import UTC, datetime

from entrypoints.http.examples.common import EXAMPLE_USER_ID
from entrypoints.http.schemas.users import RegisterUserBody, UserBody

EXAMPLE_EMAIL = "ada@example.com"

REGISTER_USER_EXAMPLE = RegisterUserBody(email=EXAMPLE_EMAIL, id=EXAMPLE_USER_ID)
USER_EXAMPLE = UserBody(
    id=EXAMPLE_USER_ID,
    email=EXAMPLE_EMAIL,
    created_at=datetime(2026, 3, 14, 9, 26, 52, 104000, tzinfo=UTC),
)
GENERATED_ID_USER_EXAMPLE = UserBody(
    id="019cebac-3fbd-7dab-b7fe-3054d79bd85b",
    email="grace@example.com",
    created_at=datetime(2026, 3, 14, 9, 27, 40, 221000, tzinfo=UTC),
)
