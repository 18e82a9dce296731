"""Where events are pushed (WALLET_WEBHOOK_*): the endpoints, the signing secret and the retry
schedule. Without endpoints nothing is queued or sent.
"""

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from domain.webhooks import RetrySchedule
from entrypoints.env_values import SettingsError, listed, seconds, whole_number

SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret
MIN_SECRET_BYTES = 24
MAX_ENDPOINTS = 10


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """The endpoints (none: webhooks are off; repr shows their labels only, as a URL may hold a
    credential), the Standard Webhooks secret (kept out of repr),
    each attempt's timeout, how long a claimed delivery is leased to its dispatcher, and the
    retry schedule.
    """

    endpoints: tuple[str, ...] = ()
    secret: str = field(default="", repr=False)
    timeout: float = 10.0
    lease: float = 30.0
    schedule: RetrySchedule = RetrySchedule()

    def __repr__(self) -> str:
        return (
            f"WebhookSettings(endpoints={self.labels!r}, timeout={self.timeout!r}, "
            f"lease={self.lease!r}, schedule={self.schedule!r})"
        )

    @property
    def enabled(self) -> bool:
        return bool(self.endpoints)

    @property
    def lease_time(self) -> timedelta:
        return timedelta(seconds=self.lease)

    @property
    def labels(self) -> tuple[str, ...]:
        """The endpoints as the outbox stores them and logs name them (`endpoint_label`)."""
        return tuple(endpoint_label(url) for url in self.endpoints)

    @property
    def urls_by_label(self) -> dict[str, str]:
        return {endpoint_label(url): url for url in self.endpoints}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "WebhookSettings":
        defaults = cls()
        endpoints = tuple(
            dict.fromkeys(_endpoint(url) for url in listed(environ, "WALLET_WEBHOOK_URL"))
        )
        secret = environ.get("WALLET_WEBHOOK_SECRET", "").strip()
        if not endpoints:
            if secret:
                raise SettingsError("WALLET_WEBHOOK_SECRET is set but WALLET_WEBHOOK_URL is not")
            return defaults
        if len(endpoints) > MAX_ENDPOINTS:
            raise SettingsError(f"WALLET_WEBHOOK_URL holds at most {MAX_ENDPOINTS} endpoints")
        if len({endpoint_label(url) for url in endpoints}) < len(endpoints):
            raise SettingsError(
                "WALLET_WEBHOOK_URL: two endpoints differ only in credentials or query"
            )
        _check_secret(secret)
        timeout = seconds(environ, "WALLET_WEBHOOK_TIMEOUT_SECONDS", defaults.timeout)
        lease = seconds(environ, "WALLET_WEBHOOK_LEASE_SECONDS", defaults.lease)
        if lease <= timeout:
            raise SettingsError(
                "WALLET_WEBHOOK_LEASE_SECONDS must be longer than WALLET_WEBHOOK_TIMEOUT_SECONDS"
            )
        schedule = defaults.schedule
        try:
            schedule = RetrySchedule(
                max_attempts=whole_number(
                    environ, "WALLET_WEBHOOK_MAX_ATTEMPTS", schedule.max_attempts, minimum=1
                ),
                first_delay=seconds(
                    environ, "WALLET_WEBHOOK_FIRST_RETRY_SECONDS", schedule.first_delay
                ),
            )
        except ValueError as error:
            if isinstance(error, SettingsError):
                raise
            raise SettingsError(f"WALLET_WEBHOOK_FIRST_RETRY_SECONDS: {error}") from None
        return cls(endpoints, secret, timeout, lease, schedule)


def endpoint_label(url: str) -> str:
    """The endpoint's scheme, host, port and path, without user, password or query (which may
    hold a credential of the receiver's): what the outbox stores and what logs and listings
    show. The URL itself is used only to send.
    """
    parts = urlsplit(url)
    netloc = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _endpoint(url: str) -> str:
    """An http(s) URL with a host. The message never quotes it: it may hold a credential."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname or any(c.isspace() for c in url):
        raise SettingsError("WALLET_WEBHOOK_URL must be comma-separated http:// or https:// URLs")
    return url


def _check_secret(secret: str) -> None:
    if not secret.startswith(SECRET_PREFIX):
        raise SettingsError(
            f"WALLET_WEBHOOK_SECRET must be set (with WALLET_WEBHOOK_URL) and start with "
            f"{SECRET_PREFIX}"
        )
    try:
        decoded = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise SettingsError(
            f"WALLET_WEBHOOK_SECRET must be {SECRET_PREFIX} followed by standard base64"
        ) from None
    if len(decoded) < MIN_SECRET_BYTES:
        raise SettingsError(
            f"WALLET_WEBHOOK_SECRET must hold at least {MIN_SECRET_BYTES} random bytes"
        )
