"""One JSON object per log line, with the request id, for the app, uvicorn and gunicorn alike."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from app.core.request_context import request_id_var

_HANDLER_NAME = "app-json"
_SERVER_LOGGERS = (
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "gunicorn",
    "gunicorn.error",
    "gunicorn.access",
)
# Chatty at DEBUG (one line per SQLite call); their warnings still get through.
_QUIET_LOGGERS = ("aiosqlite", "asyncio")

RecordEnricher = Callable[[logging.LogRecord], None]
_enrichers: list[RecordEnricher] = []


class RequestContextFilter(logging.Filter):
    """Adds the request id to every record and drops uvicorn's ANSI-coloured duplicate message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.__dict__.pop("color_message", None)
        for enrich in _enrichers:
            enrich(record)
        return True


def build_handler(stream: TextIO | None = None) -> logging.Handler:
    handler: logging.StreamHandler[TextIO] = logging.StreamHandler(stream or sys.stdout)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(
        JsonFormatter(
            "%(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,
        )
    )
    return handler


def add_record_enricher(enrich: RecordEnricher) -> None:
    """Let `enrich` add fields (e.g. trace ids) to every record the JSON handlers write."""
    if enrich not in _enrichers:
        _enrichers.append(enrich)


def setup_logging(level: str) -> None:
    """Install the JSON handler on the root logger; safe to call more than once."""
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
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
