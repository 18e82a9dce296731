"""What an API token may do: its scopes, written after the token (or its digest) in the settings
as `:read+sign`. A token without them may do everything.
"""

import re
from enum import StrEnum


class Scope(StrEnum):
    """A kind of request a token may make."""

    READ = "read"
    """Every GET, and inspecting a transaction."""
    CREATE = "create"
    """Registering users, creating wallets."""
    SIGN = "sign"
    """Signing, and every operation that signs for a wallet."""
    MANAGE = "manage"
    """Changing a wallet's key or status, exporting, reading its escrow."""


ALL_SCOPES = frozenset(Scope)
_SUFFIX = re.compile(r"[A-Za-z]+(\+[A-Za-z]+)*")


class ScopeError(ValueError):
    """A scope suffix names a scope that does not exist. The message names the scope only."""


def with_scopes(entry: str) -> tuple[str, frozenset[Scope]]:
    """The token (or digest) of a settings entry and its scopes: `token:read+sign`, or `token`
    alone for every scope. A suffix of words joined by '+' is read as scopes, in any case
    (ScopeError for an unknown one, rather than a token with every scope by mistake); any other
    text after the last ':' is part of the token.
    """
    secret, colon, suffix = entry.rpartition(":")
    if not colon or not secret or not _SUFFIX.fullmatch(suffix):
        return entry, ALL_SCOPES
    names = suffix.lower().split("+")
    unknown = [name for name in names if name not in ALL_SCOPES]
    if unknown:
        raise ScopeError(f"unknown scope {unknown[0]!r}; the scopes are {', '.join(Scope)}")
    return secret, frozenset(Scope(name) for name in names)
