"""Bearer-token authentication: closed by default, open only for routes marked public."""

import hashlib
import hmac
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.authentication import (
    AbstractAuthenticationMiddleware,
    AuthenticationResult,
)
from litestar.types import ASGIApp

PUBLIC = "exclude_from_auth"
"""Handler `opt` key that marks a route as public (health, readiness)."""
PUBLIC_PATHS = ["^/schema(/|$)"]


NO_VALID_TOKEN = "a valid 'Authorization: Bearer <token>' header is required"  # noqa: S105


class ApiTokens:
    """The accepted tokens, kept only as SHA-256 digests and compared in constant time."""

    def __init__(self, tokens: tuple[str, ...], token_hashes: tuple[str, ...] = ()) -> None:
        digests = [_digest(token) for token in tokens]
        digests += [bytes.fromhex(token_hash) for token_hash in token_hashes]
        if not digests:
            raise ValueError("at least one API token is required")
        self._digests = tuple(digests)

    def token_id(self, presented: str) -> str | None:
        """A non-secret id of the matching token (its digest's first 12 hex digits), or None."""
        digest = _digest(presented)
        matched: bytes | None = None
        for candidate in self._digests:
            if hmac.compare_digest(candidate, digest):
                matched = candidate
        return None if matched is None else matched.hex()[:12]

    def __repr__(self) -> str:
        return f"ApiTokens(<{len(self._digests)} redacted>)"


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    """Rejects with 401 every request to a non-public route without an accepted bearer token."""

    def __init__(self, app: ASGIApp, tokens: ApiTokens) -> None:
        # Litestar's default lets OPTIONS and HEAD through unauthenticated; HEAD runs the GET's
        # handler here (controllers/head.py), so it needs the token wherever GET does, and so
        # does OPTIONS. A public route (PUBLIC, PUBLIC_PATHS) answers all three without one.
        super().__init__(
            app, exclude=PUBLIC_PATHS, exclude_from_auth_key=PUBLIC, exclude_http_methods=[]
        )
        self._tokens = tokens

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        scheme, _, presented = connection.headers.get("authorization", "").partition(" ")
        token_id = None
        if scheme.lower() == "bearer" and presented.strip():
            token_id = self._tokens.token_id(presented.strip())
        if token_id is None:
            raise NotAuthorizedException(NO_VALID_TOKEN)
        return AuthenticationResult(user=token_id, auth=token_id)
