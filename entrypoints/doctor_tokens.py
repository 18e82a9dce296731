"""The doctor's check of the API tokens: some configured, none too short; ids and scopes only."""

from entrypoints.doctor_report import TOKENS, CheckResult, fail, ok
from entrypoints.http.auth import ApiTokens
from entrypoints.scopes import ALL_SCOPES, Scope, with_scopes
from entrypoints.settings import Settings

MIN_TOKEN_LENGTH = 32
MAKE_RANDOM_COMMAND = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


def check_tokens(settings: Settings) -> CheckResult:
    """Some token is configured, and every plain one is long enough; each token's id (a prefix
    of its digest) and scopes. Counts and ids only, never values.
    """
    if not settings.has_api_tokens:
        return fail(
            TOKENS,
            "no API token is configured: `serve` would make up a new one on every start",
            "set WALLET_API_TOKEN_HASHES to the SHA-256 of a token made with "
            f'{MAKE_RANDOM_COMMAND} (printf %s "$TOKEN" | sha256sum), or WALLET_API_TOKENS to '
            "the token",
        )
    counts = (
        f"{len(settings.api_tokens)} in WALLET_API_TOKENS, "
        f"{len(settings.api_token_hashes)} in WALLET_API_TOKEN_HASHES"
    )
    short = [
        str(position)
        for position, entry in enumerate(settings.api_tokens, start=1)
        if len(with_scopes(entry)[0]) < MIN_TOKEN_LENGTH
    ]
    if short:
        return fail(
            TOKENS,
            f"{counts}; WALLET_API_TOKENS {'entry' if len(short) == 1 else 'entries'} "
            f"{', '.join(short)} {'is' if len(short) == 1 else 'are'} shorter than "
            f"{MIN_TOKEN_LENGTH} characters",
            f"replace each with one made by {MAKE_RANDOM_COMMAND}, or better, list only "
            "their SHA-256 in WALLET_API_TOKEN_HASHES",
        )
    listed = ApiTokens(settings.api_tokens, settings.api_token_hashes).listed()
    scopes = ", ".join(f"{caller.token_id} ({_scopes(caller.scopes)})" for caller in listed)
    return ok(TOKENS, f"{counts}; by id: {scopes}")


def _scopes(scopes: frozenset[Scope]) -> str:
    return "every scope" if scopes == ALL_SCOPES else "+".join(s for s in Scope if s in scopes)
