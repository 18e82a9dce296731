"""WebhookSender per the Standard Webhooks specification, on httpx, signed by its library."""

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from domain.webhooks import AttemptOutcome, DueDelivery

USER_AGENT = "wallet-orchestrator-webhooks"


class StandardWebhookSender:
    """POSTs each event as the JSON `body_of` makes of it, with the headers `webhook-id` (the
    event id, the same on every attempt), `webhook-timestamp` (the attempt's time, Unix seconds)
    and `webhook-signature` (`v1,` and the base64 HMAC-SHA256, under the secret, of
    id.timestamp.body).

    A 2xx within `timeout` seconds is delivered; anything else is not, summed up without the
    endpoint's answer (which is never read, nor kept, nor logged): "HTTP 500", "timeout",
    "connection refused", "redirect not followed". Redirects are not followed.
    """

    def __init__(
        self, secret: str, timeout: float, body_of: Callable[[DueDelivery], bytes]
    ) -> None:
        self._webhook = Webhook(secret)
        self._timeout = timeout
        self._body_of = body_of
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"StandardWebhookSender(timeout={self._timeout})"

    async def send(self, url: str, due: DueDelivery) -> AttemptOutcome:
        body = self._body_of(due)
        message_id = due.key.event_id
        now = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self._webhook.sign(message_id, now, body.decode()),
        }
        try:
            async with self._http().stream("POST", url, content=body, headers=headers) as response:
                status = response.status_code
        except httpx.TimeoutException:
            return AttemptOutcome(delivered=False, summary="timeout")
        except httpx.ConnectError:
            return AttemptOutcome(delivered=False, summary="connection refused")
        except httpx.HTTPError as error:
            return AttemptOutcome(delivered=False, summary=type(error).__name__)
        if 300 <= status < 400:
            return AttemptOutcome(delivered=False, summary=f"HTTP {status}, redirect not followed")
        return AttemptOutcome(delivered=200 <= status < 300, summary=f"HTTP {status}")

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self._timeout, follow_redirects=False, trust_env=False
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
