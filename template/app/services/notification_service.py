"""Notifications to users. Delivery writes a structured log line: the seam where an e-mail or
chat provider plugs in (replace `deliver`). Recipients are masked in logs, never written whole.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def mask_address(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


async def deliver(recipient: str, subject: str, body: str) -> None:
    logger.info(
        "notification delivered",
        extra={"recipient": mask_address(recipient), "subject": subject, "length": len(body)},
    )


async def send_welcome(recipient: str, username: str) -> None:
    await deliver(
        recipient,
        subject="Welcome",
        body=f"Hello {username}, your account is ready.",
    )
