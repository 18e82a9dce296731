"""The error of the store: it cannot do the work now."""

from domain.errors.base import DomainError


class StoreUnavailable(DomainError):
    """The store cannot do the work now (unreachable, too busy, deadline passed, connection lost):
    nothing was changed, and the same request may succeed later. `cause` names the kind of the
    underlying failure (a class name, never a message: those may quote values);
    `waiting_for_connection` says it came before the store had a connection to work on (all in
    use, or the server not answering), not while working on one.
    """

    def __init__(self, cause: str, *, waiting_for_connection: bool = False) -> None:
        super().__init__("the database is unavailable; retry later")
        self.cause = cause
        self.waiting_for_connection = waiting_for_connection
