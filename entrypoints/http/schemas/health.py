"""The body of liveness and readiness."""

import msgspec


class StatusBody(msgspec.Struct):
    """Liveness or readiness."""

    status: str
