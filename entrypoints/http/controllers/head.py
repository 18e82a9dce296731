"""GET routes that answer HEAD too. Litestar answers HEAD only where a handler says so, and its
`head` decorator wants a handler that returns no body. One handler for both methods runs the
same code for HEAD as for GET (token, parameters, status, headers); the server sends a HEAD
answer without its body (uvicorn, like Litestar's test client, drops it and keeps the GET's
Content-Length). One handler, not a GET and a HEAD twin: Litestar 2 answers OPTIONS on a path
with the methods of its first handler only (litestar-org/litestar#4169). The document shows the
GET alone (docs.py).
"""

from collections.abc import Sequence
from typing import Any

from litestar import HttpMethod, route
from litestar.handlers import HTTPRouteHandler


def get_and_head(path: str | Sequence[str] | None = None, **kwargs: Any) -> HTTPRouteHandler:
    """`@get(path, **kwargs)`, answering HEAD as well."""
    return route(path, http_method=[HttpMethod.GET, HttpMethod.HEAD], **kwargs)
