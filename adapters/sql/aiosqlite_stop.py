"""A mend for aiosqlite (0.22.1, the latest): its connection's `stop` queues a close for the
connection's thread every time it is called, but the thread ends at the first; a second `stop`
returns a future that never resolves.

SQLAlchemy calls both when a task is cancelled in the middle of a statement (a request past its
deadline, the webhook dispatcher stopped at shutdown): it invalidates the connection, starts a
graceful `close` in a shielded task, and on the cancellation stops the connection at once. The
graceful close then ends with a second `stop` and waits forever. Mostly a cancellation at the
event loop's close ends that wait; if it lands while the close is still queued, the loop's close
waits forever instead (a test run hung so, in pytest's loop teardown).

With `stop_at_most_once` applied, a stop after the first returns no future, so `close` does not
wait for a thread that has ended.
"""

from typing import Any

import aiosqlite

_MENDED = "_wallet_orchestrator_stops_at_most_once"


def stop_at_most_once() -> None:
    """Make `aiosqlite.Connection.stop` queue its close once per connection (idempotent)."""
    connection_class: Any = aiosqlite.Connection
    if getattr(connection_class, _MENDED, False):
        return
    first_stop = connection_class.stop

    def stop(connection: aiosqlite.Connection) -> Any:
        if not connection._running:  # noqa: SLF001 - stopped already: its thread has its close
            return None
        return first_stop(connection)

    connection_class.stop = stop
    setattr(connection_class, _MENDED, True)
