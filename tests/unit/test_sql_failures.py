"""Which database failures are "not now" (StoreUnavailable, 503) rather than an error of the
request, for errors wrapped by SQLAlchemy and for those asyncpg raises itself (pg_direct).
"""

import asyncpg
import pytest
import sqlalchemy.exc

from adapters.sql.failures import database_unavailable


def _wrapped(error: Exception) -> sqlalchemy.exc.DBAPIError:
    return sqlalchemy.exc.DBAPIError("SELECT 1", None, error)


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (asyncpg.ConnectionDoesNotExistError("connection was closed"), True),
        (asyncpg.PostgresConnectionError("connection failure"), True),
        (asyncpg.SerializationError("could not serialize access"), True),
        (asyncpg.DeadlockDetectedError("deadlock detected"), True),
        (asyncpg.TooManyConnectionsError("too many clients"), True),
        (asyncpg.CannotConnectNowError("the database system is starting up"), True),
        (asyncpg.AdminShutdownError("terminating connection"), True),
        (asyncpg.UniqueViolationError("duplicate key"), False),
        (asyncpg.ForeignKeyViolationError("violates foreign key"), False),
        (asyncpg.UndefinedTableError('relation "wallets" does not exist'), False),
        (ConnectionResetError(), True),
        (TimeoutError(), True),
        (_wrapped(asyncpg.SerializationError("could not serialize access")), True),
        (_wrapped(asyncpg.UniqueViolationError("duplicate key")), False),
        (LookupError(), False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
def test_unavailable_or_not(error: Exception, unavailable: bool) -> None:
    assert database_unavailable(error) is unavailable
