"""Notifications to users, written as a structured log line: the seam where an e-mail or chat
provider plugs in (make `log_notification` send). Recipients are masked in logs, never written
whole. The `email` option's account mails do not pass here (app/integrations/email/)."""

from __future__ import annotations

import logging

from app.core.masking import mask_address

logger = logging.getLogger(__name__)


async def log_notification(recipient: str, subject: str, body: str) -> None:
    logger.info(
        "notification delivered",
        extra={"recipient": mask_address(recipient), "subject": subject, "length": len(body)},
    )


async def log_welcome(recipient: str, username: str) -> None:
    await log_notification(
        recipient,
        subject="Welcome",
        body=f"Hello {username}, your account is ready.",
    )
