"""The Litestar application factory."""

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable
from datetime import timedelta

from litestar import Litestar
from litestar.di import Provide
from litestar.middleware import DefineMiddleware

from adapters.sql.engine import warm_pool
from entrypoints import metrics
from entrypoints.container import Container, build_container, close_clients
from entrypoints.http.auth import ApiTokens, BearerTokenMiddleware
from entrypoints.http.controllers import CONTROLLERS
from entrypoints.http.idempotency import (
    IdempotencyMiddleware,
    IdempotencySettings,
    PurgeSchedule,
)
from entrypoints.http.observed import ObservedLitestar
from entrypoints.http.openapi import openapi_config
from entrypoints.http.problems import exception_handlers
from entrypoints.http.rate_limit import rate_limit_middleware
from entrypoints.http.request_checks import HeaderLimitMiddleware, RequestChecks
from entrypoints.logs import REQUEST_LOG, configure_structlog
from entrypoints.settings import Settings, SettingsError
from entrypoints.webhook_dispatch import WebhookDispatch

MAX_BODY_BYTES = 64 * 1024


def create_app(container: Container | None = None) -> Litestar:
    """The HTTP app on the given container (or one built from the environment). Refuses to start
    without at least one API token.
    """
    container = container or build_container()
    settings = container.settings()
    if not settings.has_api_tokens:
        raise SettingsError(
            "neither WALLET_API_TOKENS nor WALLET_API_TOKEN_HASHES is set: "
            "the API would accept no request"
        )
    configure_structlog()
    REQUEST_LOG.configure(settings.log_level, settings.log_format)
    _instrument(container, settings)
    store = StoreLifecycle(container, settings)
    webhooks = WebhookDispatch(container)
    return ObservedLitestar(
        route_handlers=CONTROLLERS,
        dependencies=_dependencies(container),
        middleware=_middleware(
            settings, ApiTokens(settings.api_tokens, settings.api_token_hashes), container
        ),
        exception_handlers=exception_handlers(),  # type: ignore[arg-type]
        openapi_config=openapi_config(),
        request_max_body_size=MAX_BODY_BYTES,
        before_request=RequestChecks(),
        on_startup=[store.warm_up, webhooks.start],
        on_shutdown=[webhooks.stop, store.close],
        logging_config=None,
    )


def create_served_app() -> Litestar:
    """The app as `serve` runs it in each worker: create_app's, with the garbage collector tuned
    for a server once it has started (`_tune_collector`). Not for tests: frozen objects are never
    freed, and a test process builds many apps.
    """
    app = create_app()
    app.on_startup.append(_tune_collector)
    return app


YOUNG_GENERATION_THRESHOLD = 7_000
"""Allocations (less deallocations) between two collections of the youngest generation: 10 times
CPython's 700. The requests in flight keep some 1,500 young objects alive, so at 700 a young
collection (about 0.3 ms, each walking them all) ran every dozen requests; almost every object a
request makes is freed by its reference count, never by the collector."""


def _tune_collector() -> None:
    """Freeze the objects that exist once the app has started (modules, the container, compiled
    routes and statements: some 170,000 that live as long as the process) out of the collector's
    reach, so a full collection walks only what requests left behind (it took about 100 ms every
    few thousand requests); and collect the youngest generation less often.
    """
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, oldest)


class StoreLifecycle:
    """The database's part in the app's start and stop: warm the pool and read the deployment
    salt in the background at start; stop that and close the pool at shutdown.
    """

    def __init__(self, container: Container, settings: Settings) -> None:
        self._container = container
        self._sql = settings.backend == "sql"
        self._pool = settings.pool
        self._warming: set[asyncio.Task[None]] = set()

    async def warm_up(self) -> None:
        # Before the first requests need them: a burst of first creations would each wait for
        # the salt read otherwise. Best effort, and not awaited: a database that is down at
        # start must not delay /health.
        if self._sql:
            task = asyncio.create_task(self._warm())
            self._warming.add(task)
            task.add_done_callback(self._warming.discard)

    async def _warm(self) -> None:
        salt = self._container.deployment_salt()
        await warm_pool(self._container.engine(), self._pool.size, self._pool.connect_timeout)
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self._pool.connect_timeout):
                await salt()

    async def close(self) -> None:
        for task in self._warming:
            task.cancel()
        await close_clients(self._container)
        if self._sql:
            await self._container.engine().dispose()


def _instrument(container: Container, settings: Settings) -> None:
    """Metrics hooks on the adapters this app will use (before any of them is built)."""
    container.key_cache.add_kwargs(
        on_lookup=metrics.count_key_lookup,
        on_waiting=metrics.count_derivations_waiting,
        on_wait=metrics.observe_derivation_wait,
    )
    container.key_wrapper.add_kwargs(on_call=metrics.observe_kms_call)
    if settings.backend == "sql":
        for units in (
            container.sql_unit_of_work,
            container.sql_read_unit_of_work,
            container.sql_autocommit_unit_of_work,
        ):
            units.add_kwargs(on_connection=metrics.observe_pool_wait)
        metrics.watch_pool(container.engine())


def _middleware(
    settings: Settings, tokens: ApiTokens, container: Container
) -> list[DefineMiddleware]:
    """The header limit first (outermost), then authentication, then the per-token rate limit if
    one is set, then Idempotency-Key (its keys are the token's; a 429 is never kept).
    """
    middleware = [
        DefineMiddleware(HeaderLimitMiddleware),
        DefineMiddleware(BearerTokenMiddleware, tokens=tokens),
    ]
    if settings.rate_limit is not None:
        middleware.append(rate_limit_middleware(settings.rate_limit))
    keys = IdempotencySettings(
        timedelta(seconds=settings.idempotency_ttl),
        settings.db_timeout,
        MAX_BODY_BYTES,
        PurgeSchedule(),
    )
    middleware.append(
        DefineMiddleware(IdempotencyMiddleware, uow_factory=container.unit_of_work, settings=keys)
    )
    return middleware


def _dependencies(container: Container) -> dict[str, Provide]:
    """Every provider of the container, by its own name: a handler that takes a parameter of
    that name gets what the provider makes for its request (a new use case, its own UoW).
    """
    return {name: _provide(provider) for name, provider in container.providers.items()}


def _provide(provider: Callable[[], object]) -> Provide:
    def dependency() -> object:
        return provider()

    return Provide(dependency, sync_to_thread=False)


logging.getLogger("wallet_orchestrator").addHandler(logging.NullHandler())
