"""The JSON line format every record is written in."""

from __future__ import annotations

import io
import json
import logging
import uuid
from datetime import UTC, datetime

from app.core.logging import build_handler
from app.core.request_context import request_id_var


def write(
    record_logger: logging.Logger,
    emit: str,
    message: str = "user %s did %s",
    *args: object,
    **kwargs: object,
) -> dict[str, object]:
    """Log through the service's handler; return the one line it wrote, parsed."""
    stream = io.StringIO()
    handler = build_handler(stream)
    record_logger.addHandler(handler)
    record_logger.propagate = False
    record_logger.setLevel(logging.DEBUG)
    try:
        getattr(record_logger, emit)(message, *(args or ("ada", "things")), **kwargs)
    finally:
        record_logger.removeHandler(handler)
    [line] = stream.getvalue().splitlines()
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
    written = datetime.fromisoformat(str(line["timestamp"]))
    assert written.utcoffset() is not None
    assert before <= written <= datetime.now(UTC)


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
