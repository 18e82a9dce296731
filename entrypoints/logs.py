"""Structured logs: structlog for our lines, the same JSON (or console) rendering for the standard
library's (uvicorn's included), request ids from context, and a redaction step that drops every
field whose name says it could hold a secret.
"""

import functools
import logging
import sys
import time
from collections.abc import Callable, MutableMapping
from typing import Any, TextIO, cast

import msgspec
import structlog
from structlog import make_filtering_bound_logger
from structlog.typing import FilteringBoundLogger, Processor

from entrypoints.process_id import process_id

LOG_FORMATS = ("json", "console")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

SECRET_NAME_PARTS = (
    "key",
    "token",
    "secret",
    "seed",
    "password",
    "passphrase",
    "authorization",
    "cookie",
    "credential",
    "envelope",
    "signature",
)
"""A field whose name contains one of these (case and separators ignored) is dropped, whatever
its value: a caller key, an API token or an envelope must never reach a log line."""

REDACTED_FIELDS = "redacted_fields"


def redact(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Drop secret-looking fields, and say which were dropped (names only)."""
    dropped = [name for name in event_dict if _could_hold_secret(name)]
    for name in dropped:
        del event_dict[name]
    if dropped:
        event_dict[REDACTED_FIELDS] = sorted(dropped)
    return event_dict


@functools.lru_cache(maxsize=1024)
def _could_hold_secret(name: str) -> bool:
    folded = name.lower().replace("_", "").replace("-", "")
    return any(part in folded for part in SECRET_NAME_PARTS)


def add_process_id(
    _: Any, __: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Which worker wrote the line."""
    event_dict["pid"] = process_id()
    return event_dict


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        add_process_id,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact,
    ]


_ENCODER = msgspec.json.Encoder(enc_hook=str)


def _json(value: object, **_: Any) -> str:
    """One JSON object (msgspec: a tenth of json.dumps' time); what it cannot encode, as str."""
    return _ENCODER.encode(value).decode()


def _renderer(log_format: str) -> Processor:
    if log_format == "json":
        return structlog.processors.JSONRenderer(serializer=_json)
    return structlog.dev.ConsoleRenderer(colors=False)


def formatter(log_format: str = "json") -> logging.Formatter:
    """The formatter of every handler: standard-library records rendered like structlog's."""
    renderer = _renderer(log_format)
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )


def configure_structlog() -> None:
    """Structlog's loggers hand their events to the standard library (which renders them).
    Records skip what no line shows (the logging HOWTO's "Optimization"): the caller's file and
    line, thread and process names (the pid is add_process_id's); a third of a request line's
    cost.
    """
    logging._srcfile = None  # noqa: SLF001 - the documented switch for "no caller information"
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    structlog.configure(
        processors=[*_shared_processors(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


REQUEST_LOGGER = "wallet_orchestrator.request"


class LineWriter:
    """Where the request lines go: each line, rendered by structlog, written whole with its
    newline to sys.stderr as it is at the time, or to `to` when a test sets it.
    """

    name = REQUEST_LOGGER  # for add_logger_name

    def __init__(self) -> None:
        self.to: TextIO | None = None

    def line(self, rendered: str) -> None:
        sink = sys.stderr if self.to is None else self.to
        sink.write(rendered + "\n")
        sink.flush()

    debug = info = warning = error = critical = line


class RequestLog:
    """The one line per HTTP request, written by structlog itself (the processors, then bytes to
    stderr), not through the standard library's loggers and handlers: a third of the cost per
    line. Same fields and rendering as every other line; its level and format are the
    settings' (configure).
    """

    def __init__(self) -> None:
        self.writer = LineWriter()
        self.logger = self._logger(logging.INFO, "json")

    def configure(self, level: str, log_format: str) -> None:
        self.logger = self._logger(logging.getLevelNamesMapping()[level], log_format)

    def _logger(self, level: int, log_format: str) -> FilteringBoundLogger:
        processors = [
            *_shared_processors(),
            structlog.processors.format_exc_info,
            _renderer(log_format),
        ]
        bound = cast("Callable[..., FilteringBoundLogger]", make_filtering_bound_logger(level))
        return bound(self.writer, processors=processors, context={})


REQUEST_LOG = RequestLog()


def logging_config(level: str, log_format: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` (also uvicorn's `log_config`): one stderr handler with our
    formatter for our loggers and uvicorn's. Uvicorn's access log is off: our request line
    replaces it.
    """
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "structured",
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": formatter, "log_format": log_format}},
        "handlers": {"stderr": handler},
        "loggers": {
            "wallet_orchestrator": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            # Their request lines name whole URLs, a webhook endpoint's credentials included.
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
        },
    }


class Throttled:
    """Calls `emit` at most once per `interval` seconds; the next call after a quiet spell is
    told how many were held back meanwhile (an outage answers thousands of requests a second).
    """

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval
        self._clock = clock
        self._next_at = float("-inf")
        self._held_back = 0

    def __call__(self, emit: Callable[[int], None]) -> None:
        now = self._clock()
        if now < self._next_at:
            self._held_back += 1
            return
        held_back, self._held_back = self._held_back, 0
        self._next_at = now + self._interval
        emit(held_back)
