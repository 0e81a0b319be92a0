"""FastAPI's BackgroundTasks: work a route hands off, run once its answer is ready, as the seed's
example does (with the service's own accounts, a welcome notification after a registration:
test_welcome_notification.py)."""

from __future__ import annotations

import io

from fastapi import BackgroundTasks, FastAPI, status

from app.core.masking import mask_address
from app.services.notification_service import log_notification
from tests.support import client_for, log_records

NOTIFIER = "app.services.notification_service"


async def test_a_task_a_route_hands_off_runs_after_its_answer_under_the_requests_id(
    app: FastAPI, json_log: io.StringIO
) -> None:
    events: list[str] = []

    async def notify(recipient: str) -> None:
        events.append("task ran")
        await log_notification(recipient, subject="Noted", body="Your request was noted.")

    async def note(background_tasks: BackgroundTasks) -> dict[str, bool]:
        background_tasks.add_task(notify, "someone@example.com")
        events.append("answer ready")
        return {"noted": True}

    app.add_api_route("/note", note, methods=["POST"], status_code=status.HTTP_202_ACCEPTED)
    async with client_for(app) as client:
        response = await client.post("/note", headers={"X-Request-ID": "note-1"})

    assert response.status_code == 202
    assert events == ["answer ready", "task ran"]
    [record] = [r for r in log_records(json_log) if r["logger"] == NOTIFIER]
    assert (record["subject"], record["recipient"]) == ("Noted", "s***@example.com")
    # Its log line is found under the request that handed it off.
    assert record["request_id"] == "note-1"
    assert "someone@example.com" not in json_log.getvalue()


def test_addresses_are_masked() -> None:
    assert mask_address("alice@example.com") == "a***@example.com"
    assert mask_address("not-an-address") == "***"
