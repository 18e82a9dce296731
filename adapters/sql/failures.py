"""Which database failures mean "not now" rather than "this request is wrong", and their
translation into the domain's StoreUnavailable, so that no caller needs to know the driver.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
import sqlalchemy.exc

from domain.errors import StoreUnavailable

UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    sqlalchemy.exc.TimeoutError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    ConnectionError,
    TimeoutError,
)
"""Errors that mean "the database cannot be reached right now", not "the request is wrong"."""


RETRY_LATER_SQLSTATES = frozenset(
    {
        "53300",  # too_many_connections: the server is full
        "57P01",  # admin_shutdown
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now: starting up or in recovery
        "40001",  # serialization_failure: nothing was applied, the same request can succeed
        "40P01",  # deadlock_detected: ditto
    }
)
"""PostgreSQL error codes that say "not now" rather than "this request is wrong"."""


def database_unavailable(error: BaseException) -> bool:
    """Whether the error says the database could not be reached, dropped the connection, or
    refused the work for now (the request may be retried) rather than that the statement itself
    was wrong.
    """
    if isinstance(error, sqlalchemy.exc.DBAPIError):
        if error.connection_invalidated:
            return True
        if getattr(error.orig, "sqlstate", None) in RETRY_LATER_SQLSTATES:
            return True
    if isinstance(error, asyncpg.PostgresError):  # from a statement sent by asyncpg itself
        return (
            isinstance(error, asyncpg.PostgresConnectionError)
            or error.sqlstate in RETRY_LATER_SQLSTATES
        )
    return isinstance(error, UNAVAILABLE_ERRORS)


def raise_if_unavailable(
    error: BaseException | None, *, waiting_for_connection: bool = False
) -> None:
    """Raise StoreUnavailable, caused by `error`, if `error` says the database is unavailable.
    Never for a cancellation: that is the caller's to see, as it is.
    """
    if isinstance(error, Exception) and database_unavailable(error):
        cause = type(error).__name__
        raise StoreUnavailable(cause, waiting_for_connection=waiting_for_connection) from error


@contextmanager
def unavailable_as_store_error(*, waiting_for_connection: bool = False) -> Iterator[None]:
    """Inside, a failure that says the database is unavailable leaves as StoreUnavailable; any
    other error leaves as it is.
    """
    try:
        yield
    except Exception as error:
        raise_if_unavailable(error, waiting_for_connection=waiting_for_connection)
        raise
