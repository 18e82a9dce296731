"""Bearer-token authentication: closed by default, open only for routes marked public."""

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.middleware.authentication import (
    AbstractAuthenticationMiddleware,
    AuthenticationResult,
)
from litestar.types import ASGIApp

from entrypoints.scopes import Scope, with_scopes

PUBLIC = "exclude_from_auth"
"""Handler `opt` key that marks a route as public (health, readiness)."""
PUBLIC_PATHS = ["^/schema(/|$)"]
SCOPE = "scope"
"""Handler `opt` key: the Scope a request's token needs for that route."""


NO_VALID_TOKEN = "a valid 'Authorization: Bearer <token>' header is required"  # noqa: S105


@dataclass(frozen=True, slots=True)
class Caller:
    """Who made a request: its token's non-secret id (the digest's first 12 hex digits) and the
    token's scopes.
    """

    token_id: str
    scopes: frozenset[Scope]


class ApiTokens:
    """The accepted tokens with their scopes (settings entries, `token[:scopes]`), kept only as
    SHA-256 digests and compared in constant time.
    """

    def __init__(self, tokens: tuple[str, ...], token_hashes: tuple[str, ...] = ()) -> None:
        scoped = [(_digest(token), scopes) for token, scopes in map(with_scopes, tokens)]
        scoped += [
            (bytes.fromhex(digest), scopes) for digest, scopes in map(with_scopes, token_hashes)
        ]
        if not scoped:
            raise ValueError("at least one API token is required")
        self._scoped = tuple(scoped)

    def caller(self, presented: str) -> Caller | None:
        """The caller whose token this is, or None."""
        digest = _digest(presented)
        matched: Caller | None = None
        for candidate, scopes in self._scoped:
            if hmac.compare_digest(candidate, digest):
                matched = Caller(candidate.hex()[:12], scopes)
        return matched

    def token_id(self, presented: str) -> str | None:
        """A non-secret id of the matching token, or None."""
        caller = self.caller(presented)
        return None if caller is None else caller.token_id

    def listed(self) -> list[Caller]:
        """Every token's id and scopes, in the settings' order (for `doctor`)."""
        return [Caller(digest.hex()[:12], scopes) for digest, scopes in self._scoped]

    def __repr__(self) -> str:
        return f"ApiTokens(<{len(self._scoped)} redacted>)"


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    """Rejects with 401 every request to a non-public route without an accepted bearer token,
    and with 403 insufficient-scope one whose token lacks the scope its route's `opt` names
    (SCOPE). Checked here rather than by a Litestar guard, which copies the route handler on
    every request.
    """

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
        caller = None
        if scheme.lower() == "bearer" and presented.strip():
            caller = self._tokens.caller(presented.strip())
        if caller is None:
            raise NotAuthorizedException(NO_VALID_TOKEN)
        needed: Scope | None = connection.route_handler.opt.get(SCOPE)
        if needed is not None and needed not in caller.scopes:
            raise PermissionDeniedException(lacks_scope(needed))
        return AuthenticationResult(user=caller.token_id, auth=caller)


def lacks_scope(scope: Scope) -> str:
    """The detail of a 403 for a token without `scope`."""
    return f"this token does not have the '{scope}' scope this operation needs"
