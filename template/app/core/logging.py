"""One JSON object per log line, with the request id, for the app, uvicorn and gunicorn alike.

Every request writes a log line (app/middleware/access_log.py), so a record's cost is part of
every response's: the formatter below builds one dict and makes one `json.dumps` call, and the
standard library skips the caller, thread and process lookups that no line prints.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO

from app.core.request_context import request_id_var

_HANDLER_NAME = "app-json"
_SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "gunicorn", "gunicorn.error", "gunicorn.access")
# Replaced by the app's own access line (method, path, status, duration, request id).
_SERVER_ACCESS_LOGGER = "uvicorn.access"
# Chatty at DEBUG (one line per SQLite call); their warnings still get through.
_QUIET_LOGGERS = ("aiosqlite", "asyncio")
# Attributes every LogRecord has: anything else on a record came from `extra=` or an enricher.
_RECORD_ATTRIBUTES = frozenset(
    {
        *logging.makeLogRecord({}).__dict__,
        "message",
        "asctime",
        "taskName",
        "request_id",
        "color_message",  # uvicorn's ANSI-coloured copy of the message
    }
)

RecordEnricher = Callable[[logging.LogRecord], None]
_enrichers: list[RecordEnricher] = []


class RequestContextFilter(logging.Filter):
    """Adds the request id (and what enrichers add, e.g. trace ids) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        for enrich in _enrichers:
            enrich(record)
        return True


class JsonLineFormatter(logging.Formatter):
    """`{"level", "logger", "message", "request_id", <extra fields>, "timestamp"}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc_info"] = record.exc_text
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES:
                line[key] = value
        line["timestamp"] = datetime.fromtimestamp(record.created, UTC).isoformat()
        # Anything json cannot encode (a UUID, an exception) is written as its str().
        return json.dumps(line, default=str)


def build_handler(stream: TextIO | None = None) -> logging.Handler:
    handler: logging.StreamHandler[TextIO] = logging.StreamHandler(stream or sys.stdout)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonLineFormatter())
    return handler


def add_record_enricher(enrich: RecordEnricher) -> None:
    """Let `enrich` add fields (e.g. trace ids) to every record the JSON handlers write."""
    if enrich not in _enrichers:
        _enrichers.append(enrich)


def setup_logging(level: str) -> None:
    """Install the JSON handler on the root logger; safe to call more than once."""
    # No line prints the calling function, thread or process: don't look them up for each record
    # (the standard library's documented switches; the caller lookup walks the stack).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = build_handler()
    handler.set_name(_HANDLER_NAME)
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn and gunicorn install their own plain-text handlers; send their records through ours.
    for name in _SERVER_LOGGERS:
        server_logger = logging.getLogger(name)
        server_logger.handlers.clear()
        server_logger.propagate = True
    # With no handler anywhere on its path, uvicorn writes no access line of its own (it checks
    # per connection), so each request is logged once, by the app, with its duration.
    access = logging.getLogger(_SERVER_ACCESS_LOGGER)
    access.handlers.clear()
    access.propagate = False
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
