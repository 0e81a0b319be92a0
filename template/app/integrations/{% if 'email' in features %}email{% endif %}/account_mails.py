"""The account mails (password reset, address verification, address change): what each says,
composed from templates/, and handed to the outbox that sends it. The rules that decide when one
is mailed are app/services/account_mail_service.py's."""

from __future__ import annotations

from app.integrations.email.messages import Mail, render_mail
from app.integrations.email.outbox import MailOutbox
from app.integrations.email.settings import EmailSettings


def _account_mail(
    settings: EmailSettings, kind: str, *, to: str, username: str, subject: str, **values: str
) -> Mail:
    """`templates/<kind>.*` to a user: every one greets them and names the service."""
    return render_mail(
        kind,
        to=to,
        subject=subject,
        values={"username": username, "service": settings.PROJECT_NAME, **values},
    )


def password_reset_mail(settings: EmailSettings, *, to: str, username: str, token: str) -> Mail:
    return _account_mail(
        settings,
        "password_reset",
        to=to,
        username=username,
        subject=f"Reset your {settings.PROJECT_NAME} password",
        link=settings.link("reset-password", token),
        minutes=str(settings.PASSWORD_RESET_TOKEN_EXPIRE_MINUTES),
    )


def verification_mail(settings: EmailSettings, *, to: str, username: str, token: str) -> Mail:
    return _account_mail(
        settings,
        "verify_email",
        to=to,
        username=username,
        subject=f"Confirm your e-mail address for {settings.PROJECT_NAME}",
        link=settings.link("verify-email", token),
        hours=str(settings.EMAIL_VERIFICATION_TOKEN_EXPIRE_HOURS),
    )


def address_change_mail(settings: EmailSettings, *, to: str, username: str, token: str) -> Mail:
    return _account_mail(
        settings,
        "change_email",
        to=to,
        username=username,
        subject=f"Confirm your new e-mail address for {settings.PROJECT_NAME}",
        link=settings.link("confirm-email-change", token),
        hours=str(settings.EMAIL_VERIFICATION_TOKEN_EXPIRE_HOURS),
    )


def address_changed_notice(
    settings: EmailSettings, *, to: str, username: str, new_email: str
) -> Mail:
    return _account_mail(
        settings,
        "email_changed",
        to=to,
        username=username,
        subject=f"The e-mail address of your {settings.PROJECT_NAME} account changed",
        new_email=new_email,
    )


class OutboxAccountMailer:
    """The service's `AccountMailer`: each mail goes to the outbox, which sends it off the
    request."""

    def __init__(self, outbox: MailOutbox, settings: EmailSettings) -> None:
        self._outbox = outbox
        self._settings = settings

    async def send_password_reset(self, *, to: str, username: str, token: str) -> None:
        mail = password_reset_mail(self._settings, to=to, username=username, token=token)
        await self._outbox.send(mail)

    async def send_verification(self, *, to: str, username: str, token: str) -> None:
        mail = verification_mail(self._settings, to=to, username=username, token=token)
        await self._outbox.send(mail)

    async def send_address_change(self, *, to: str, username: str, token: str) -> None:
        mail = address_change_mail(self._settings, to=to, username=username, token=token)
        await self._outbox.send(mail)

    async def send_address_changed_notice(self, *, to: str, username: str, new_email: str) -> None:
        await self._outbox.send(
            address_changed_notice(self._settings, to=to, username=username, new_email=new_email)
        )
