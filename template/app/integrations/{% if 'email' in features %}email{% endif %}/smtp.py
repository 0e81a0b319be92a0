"""Sending one mail over SMTP (aiosmtplib), retried, with one JSON log line per mail."""

from __future__ import annotations

import asyncio
import logging
from email.message import EmailMessage

import aiosmtplib

from app.core.masking import mask_address
from app.integrations.email.messages import Mail
from app.integrations.email.settings import SmtpSettings

logger = logging.getLogger(__name__)


def mime_message(mail: Mail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


async def send_once(mail: Mail, settings: SmtpSettings) -> None:
    password = settings.SMTP_PASSWORD.get_secret_value() if settings.SMTP_PASSWORD else None
    await aiosmtplib.send(
        mime_message(mail, settings.EMAIL_FROM),
        hostname=settings.SMTP_HOST,
        port=settings.SMTP_PORT,
        username=settings.SMTP_USERNAME,
        password=password,
        use_tls=settings.SMTP_TLS == "tls",
        # False, not None: aiosmtplib would otherwise upgrade whenever the server offers it.
        start_tls=settings.SMTP_TLS == "starttls",
        timeout=settings.SMTP_TIMEOUT_SECONDS,
    )


async def send_with_retries(mail: Mail, settings: SmtpSettings) -> bool:
    """Send `mail`, trying EMAIL_SEND_ATTEMPTS times with doubling waits; whether it went.

    Never raises for an SMTP failure: the mail was asked for by a request long answered, so the
    outcome is the log line ("mail sent" or "mail not sent", the address masked).
    """
    delay = settings.EMAIL_RETRY_DELAY_SECONDS
    fields = {"recipient": mask_address(mail.to), "mail": mail.kind}
    for attempt in range(1, settings.EMAIL_SEND_ATTEMPTS + 1):
        try:
            await send_once(mail, settings)
        except (aiosmtplib.SMTPException, OSError) as exc:
            if attempt == settings.EMAIL_SEND_ATTEMPTS:
                logger.error(
                    "mail not sent",
                    extra={**fields, "attempts": attempt, "error": f"{type(exc).__name__}: {exc}"},
                )
                return False
            logger.warning(
                "mail send failed, retrying",
                extra={**fields, "attempt": attempt, "error": type(exc).__name__},
            )
            await asyncio.sleep(delay)
            delay *= 2
        except Exception as exc:
            # Not a delivery problem (a malformed header, say): trying again cannot help.
            logger.exception(
                "mail not sent", extra={**fields, "attempts": attempt, "error": type(exc).__name__}
            )
            return False
        else:
            logger.info("mail sent", extra={**fields, "attempts": attempt})
            return True
    return False
