"""The two line formats every record is written in: JSON for log stores, console for people."""

from __future__ import annotations

import io
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

import pytest

from app.core.logging import LogFormat, build_handler, utc_timestamp
from app.core.request_context import request_id_var

# `2026-11-25 15:04:05.123 WARNING  tests.console  the message`: local time to the millisecond,
# the level padded to the longest name, the logger, then the message.
CONSOLE_LINE = re.compile(
    r"(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) (?P<level>[A-Z]+) +(?P<logger>\S+)  "
    r"(?P<rest>.*)"
)


def written(
    record_logger: logging.Logger,
    emit: str,
    log_format: LogFormat,
    message: str = "user %s did %s",
    *args: object,
    **kwargs: object,
) -> str:
    """Log through the service's handler in `log_format`; return what it wrote."""
    stream = io.StringIO()
    handler = build_handler(stream, log_format)
    record_logger.addHandler(handler)
    record_logger.propagate = False
    record_logger.setLevel(logging.DEBUG)
    try:
        getattr(record_logger, emit)(message, *(args or ("ada", "things")), **kwargs)
    finally:
        record_logger.removeHandler(handler)
    return stream.getvalue()


def write(
    record_logger: logging.Logger,
    emit: str,
    message: str = "user %s did %s",
    *args: object,
    **kwargs: object,
) -> dict[str, object]:
    """Log in JSON; return the one line written, parsed."""
    [line] = written(record_logger, emit, "json", message, *args, **kwargs).splitlines()
    parsed: dict[str, object] = json.loads(line)
    return parsed


def test_a_record_is_one_json_object_with_level_logger_message_and_time() -> None:
    before = datetime.now(UTC)
    line = write(logging.getLogger("tests.format.plain"), "warning")

    assert list(line) == ["level", "logger", "message", "request_id", "timestamp"]
    assert line["level"] == "WARNING"
    assert line["logger"] == "tests.format.plain"
    assert line["message"] == "user ada did things"
    assert line["request_id"] is None
    written_at = datetime.fromisoformat(str(line["timestamp"]))
    assert written_at.utcoffset() is not None
    assert before <= written_at <= datetime.now(UTC)


def test_extra_fields_follow_the_message_and_odd_values_become_strings() -> None:
    user_id = uuid.uuid4()
    line = write(
        logging.getLogger("tests.format.extra"),
        "info",
        extra={"user_id": user_id, "attempts": 3, "tags": ["a", "b"]},
    )

    assert line["user_id"] == str(user_id)
    assert line["attempts"] == 3
    assert line["tags"] == ["a", "b"]
    assert list(line)[-1] == "timestamp"


def test_an_exception_is_written_with_its_traceback_in_the_same_line() -> None:
    logger = logging.getLogger("tests.format.error")
    try:
        raise ValueError("bad value")
    except ValueError:
        line = write(logger, "exception")

    assert line["level"] == "ERROR"
    assert "Traceback" in str(line["exc_info"])
    assert "ValueError: bad value" in str(line["exc_info"])


def test_the_request_id_of_the_current_request_is_on_the_record() -> None:
    token = request_id_var.set("req-42")
    try:
        line = write(logging.getLogger("tests.format.request"), "info")
    finally:
        request_id_var.reset(token)

    assert line["request_id"] == "req-42"


def test_a_non_ascii_message_survives_the_round_trip() -> None:
    line = write(logging.getLogger("tests.format.unicode"), "warning", "naïve café ✓ %s", "ok")

    assert line["message"] == "naïve café ✓ ok"


def test_a_console_line_reads_time_level_logger_and_message() -> None:
    # The line has milliseconds: compare with the start of the millisecond the test began in.
    now = datetime.now()
    before = now.replace(microsecond=now.microsecond // 1000 * 1000)
    text = written(logging.getLogger("tests.console.plain"), "warning", "console")

    [line] = text.splitlines()
    match = CONSOLE_LINE.fullmatch(line)
    assert match is not None, line
    assert line.startswith(f"{match['time']} WARNING  tests.console.plain  ")
    assert match["rest"] == "user ada did things"  # no request, no extra fields: nothing after
    written_at = datetime.strptime(match["time"], "%Y-%m-%d %H:%M:%S.%f")
    assert before <= written_at <= datetime.now()  # local time, as a person's clock shows it


def test_a_console_line_ends_with_the_request_id_and_the_extra_fields() -> None:
    user_id = uuid.uuid4()
    token = request_id_var.set("req-42")
    try:
        text = written(
            logging.getLogger("tests.console.extra"),
            "info",
            "console",
            extra={
                "user_id": user_id,
                "attempts": 3,
                "ok": True,
                "missing": None,
                "tags": ["a", "b"],
                "note": 'two "quoted" words',
                "empty": "",
            },
        )
    finally:
        request_id_var.reset(token)

    [line] = text.splitlines()
    match = CONSOLE_LINE.fullmatch(line)
    assert match is not None, line
    assert match["level"] == "INFO"
    assert match["rest"] == (
        f"user ada did things  request_id=req-42 user_id={user_id} attempts=3 ok=true "
        'missing=null tags=["a", "b"] note="two \\"quoted\\" words" empty=""'
    )


def test_a_console_value_with_a_line_break_stays_on_the_line() -> None:
    text = written(
        logging.getLogger("tests.console.newline"),
        "info",
        "console",
        extra={"query": "SELECT 1\nFROM users"},
    )

    [line] = text.splitlines()
    assert line.endswith('query="SELECT 1\\nFROM users"')


def test_a_console_line_is_followed_by_the_traceback() -> None:
    logger = logging.getLogger("tests.console.error")
    try:
        raise ValueError("bad value")
    except ValueError:
        text = written(logger, "exception", "console")

    first, *traceback = text.splitlines()
    match = CONSOLE_LINE.fullmatch(first)
    assert match is not None, first
    assert (match["level"], match["logger"], match["rest"]) == (
        "ERROR",
        "tests.console.error",
        "user ada did things",
    )
    assert traceback[0] == "Traceback (most recent call last):"
    assert traceback[-1] == "ValueError: bad value"


@pytest.mark.parametrize(
    "created",
    [
        0.0,
        1796634919.0,  # a whole second: no fraction written, as isoformat() does
        1796634919.4596415,
        1796634919.9999996,  # rounds up into the next second
        1796634919.0000004,
        1000.0000005,  # half a microsecond: to even, as datetime rounds
        1000.0000015,
        2051222399.999999,
        time.time(),
    ],
)
def test_the_json_timestamp_is_datetimes_own_text(created: float) -> None:
    assert utc_timestamp(created) == datetime.fromtimestamp(created, UTC).isoformat()
    # The same second again, from the cache, and the next one.
    assert utc_timestamp(created) == datetime.fromtimestamp(created, UTC).isoformat()
    assert utc_timestamp(created + 1) == datetime.fromtimestamp(created + 1, UTC).isoformat()
