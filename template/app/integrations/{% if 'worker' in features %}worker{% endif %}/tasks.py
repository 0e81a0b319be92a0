"""Tasks the worker executes. Each is enqueued with `await task.kiq(...)` from the API."""

from __future__ import annotations

from app.core.masking import mask_address
from app.integrations.worker.broker import broker
from app.services.notification_service import log_notification


@broker.task(task_name="send_notification")
async def send_notification(recipient: str, subject: str, body: str) -> dict[str, str]:
    await log_notification(recipient, subject, body)
    return {"recipient": mask_address(recipient), "subject": subject}
