"""One log line per record, with the request id, for the app, uvicorn and gunicorn alike.

LOG_FORMAT picks the line: `json` (production's default) is one JSON object for a log store to
parse; `console` (development's default) is the same fields as text a person reads:

    2026-11-25 15:04:05.123 INFO     app.access  GET /health 200  request_id=5f0c… status=200

Every request writes a log line (app/middleware/access_log.py), so a record's cost is part of
every response's: each formatter makes one pass over the record, and the standard library skips
the caller, thread and process lookups that no line prints.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from app.core.request_context import request_id_var

_HANDLER_NAME = "app-log"
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

LogFormat = Literal["json", "console"]

RecordEnricher = Callable[[logging.LogRecord], None]
_enrichers: list[RecordEnricher] = []


class RequestContextFilter(logging.Filter):
    """Adds the request id (and what enrichers add, e.g. trace ids) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        for enrich in _enrichers:
            enrich(record)
        return True


# Anything json cannot encode (a UUID, an exception) is written as its str(). One encoder for
# every line: json.dumps with an option builds a new one each call.
_JSON_LINE = json.JSONEncoder(default=str)
# (whole second, its "YYYY-MM-DDTHH:MM:SS" in UTC): the lines of one second share it.
_last_second: tuple[int, str] = (-1, "")


def utc_timestamp(created: float) -> str:
    """`datetime.fromtimestamp(created, UTC).isoformat()`, the same text, without building a
    datetime for every record (the date part is formatted once a second)."""
    global _last_second
    # Split and rounded as datetime does it (half to even), so the text is exactly its own.
    fraction, whole = math.modf(created)
    seconds, micros = int(whole), round(fraction * 1e6)
    if micros >= 1_000_000:
        seconds, micros = seconds + 1, micros - 1_000_000
    second, text = _last_second
    if second != seconds:
        text = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _last_second = (seconds, text)
    if micros:
        return f"{text}.{micros:06d}+00:00"
    return f"{text}+00:00"


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
        line["timestamp"] = utc_timestamp(record.created)
        return _JSON_LINE.encode(line)


class ConsoleLineFormatter(logging.Formatter):
    """`<local time> <LEVEL> <logger>  <message>  request_id=… <key>=<value>…` on one line,
    then the traceback, if any, on the lines below it. No colours: the line reads the same in a
    terminal, a file and a CI log."""

    def format(self, record: logging.LogRecord) -> str:
        # Local time: a person reads it beside a wall clock (the JSON line has UTC, for machines).
        written = datetime.fromtimestamp(record.created, UTC).astimezone()
        request_id = getattr(record, "request_id", None)
        fields = [] if request_id is None else [f"request_id={_console_value(request_id)}"]
        fields += [
            f"{key}={_console_value(value)}"
            for key, value in record.__dict__.items()
            if key not in _RECORD_ATTRIBUTES
        ]
        line = (
            f"{written:%Y-%m-%d %H:%M:%S}.{written.microsecond // 1000:03d} "
            f"{record.levelname:<8} {record.name}  {record.getMessage()}"
        )
        if fields:
            line += "  " + " ".join(fields)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        elif record.exc_text:
            line += "\n" + record.exc_text
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


def _console_value(value: object) -> str:
    """A value as `key=value` shows it: bare when it is one word, quoted (JSON) when a space,
    quote, `=` or line break would make the line ambiguous."""
    if isinstance(value, str):
        if value and not any(char.isspace() or char in '"=' for char in value):
            return value
        return json.dumps(value, ensure_ascii=False)
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, default=str, ensure_ascii=False)
    return _console_value(str(value))


_FORMATTERS: dict[LogFormat, type[logging.Formatter]] = {
    "json": JsonLineFormatter,
    "console": ConsoleLineFormatter,
}


def build_handler(stream: TextIO | None = None, log_format: LogFormat = "json") -> logging.Handler:
    """A handler writing `log_format` lines to `stream` (standard output when None)."""
    handler: logging.StreamHandler[TextIO] = logging.StreamHandler(stream or sys.stdout)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(_FORMATTERS[log_format]())
    return handler


def add_record_enricher(enrich: RecordEnricher) -> None:
    """Let `enrich` add fields (e.g. trace ids) to every record the service's handlers write."""
    if enrich not in _enrichers:
        _enrichers.append(enrich)


def setup_logging(level: str, log_format: LogFormat, stream: TextIO | None = None) -> None:
    """Install the service's handler (`log_format` lines on `stream`, standard output when
    None) on the root logger; safe to call more than once."""
    # No line prints the calling function, thread or process: don't look them up for each record
    # (the standard library's documented switches; the caller lookup walks the stack).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    # Python 3.12+ looks up the asyncio task's name for every record (3.11 has no such switch,
    # and its type stubs no such attribute: hence setattr).
    setattr(logging, "logAsyncioTasks", False)  # noqa: B010
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = build_handler(stream, log_format)
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
