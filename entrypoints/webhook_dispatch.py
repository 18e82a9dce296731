"""The webhook dispatcher's part in `serve`: started with the app where WALLET_WEBHOOK_URL is
set, stopped with it; its attempts counted in the metrics and its failures logged.
"""

import asyncio
import contextlib
import logging

from application.deliver_webhooks import DELIVERED, FAILED, DispatchListeners
from domain.webhooks import AttemptOutcome, DueDelivery
from entrypoints import metrics
from entrypoints.container import Container
from entrypoints.logs import Throttled

_log = logging.getLogger("wallet_orchestrator.webhooks")
_failure_warning = Throttled(5.0)


def _attempted(result: str, due: DueDelivery, outcome: AttemptOutcome) -> None:
    metrics.count_webhook_attempt(result)
    log_attempt(result, due, outcome)


def log_attempt(result: str, due: DueDelivery, outcome: AttemptOutcome) -> None:
    """One line for an attempt that failed: which event, which endpoint (its label: no
    credential or query), which attempt, and how it went.
    """
    if result == DELIVERED:
        return
    _log.log(
        logging.ERROR if result == FAILED else logging.WARNING,
        "webhook delivery %s: %s to %s, attempt %d (%s)",
        "failed" if result == FAILED else "to be retried",
        due.key.event_id,
        due.key.endpoint,
        due.attempts,
        outcome.summary,
    )


def _failed(error: BaseException) -> None:
    """At most one line per 5 s: a database outage fails every round, once a second."""

    def warn(held_back: int) -> None:
        _log.warning(
            "webhook dispatcher: %s (the next round tries again; %d more such failures since "
            "the last line)",
            type(error).__name__,
            held_back,
        )

    _failure_warning(warn)


class WebhookDispatch:
    """Runs the container's dispatcher as a background task of the app, if webhooks are on."""

    def __init__(self, container: Container) -> None:
        self._container = container
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if not self._container.settings().webhooks.enabled:
            return
        listeners = DispatchListeners(
            on_attempt=_attempted, on_backlog=metrics.observe_webhook_backlog, on_error=_failed
        )
        dispatcher = self._container.deliver_webhooks(listeners=listeners)
        self._task = asyncio.create_task(dispatcher.run(), name="webhook dispatcher")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await self._container.webhook_sender().aclose()
