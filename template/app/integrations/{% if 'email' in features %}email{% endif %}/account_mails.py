"""The account mails (password reset, address verification, address change): what each says,
composed from templates/, and handed to the outbox that sends it. The rules that decide when one
is mailed are app/services/account_mail_service.py's."""

from __future__ import annotations

from app.integrations.email.messages import Mail, render_mail
from app.integrations.email.outbox import MailOutbox
from app.integrations.email.settings import EmailSettings


def password_reset_mail(settings: EmailSettings, *, to: str, username: str, token: str) -> Mail:
    return render_mail(
        "password_reset",
        to=to,
        subject=f"Reset your {settings.PROJECT_NAME} password",
        values={
            "username": username,
            "link": settings.link("reset-password", token),
            "minutes": str(settings.PASSWORD_RESET_TOKEN_EXPIRE_MINUTES),
            "service": settings.PROJECT_NAME,
        },
    )


def verification_mail(settings: EmailSettings, *, to: str, username: str, token: str) -> Mail:
    return render_mail(
        "verify_email",
        to=to,
        subject=f"Confirm your e-mail address for {settings.PROJECT_NAME}",
        values={
            "username": username,
            "link": settings.link("verify-email", token),
            "hours": str(settings.EMAIL_VERIFICATION_TOKEN_EXPIRE_HOURS),
            "service": settings.PROJECT_NAME,
        },
    )


def address_change_mail(settings: EmailSettings, *, to: str, username: str, token: str) -> Mail:
    return render_mail(
        "change_email",
        to=to,
        subject=f"Confirm your new e-mail address for {settings.PROJECT_NAME}",
        values={
            "username": username,
            "link": settings.link("confirm-email-change", token),
            "hours": str(settings.EMAIL_VERIFICATION_TOKEN_EXPIRE_HOURS),
            "service": settings.PROJECT_NAME,
        },
    )


def address_changed_notice(
    settings: EmailSettings, *, to: str, username: str, new_email: str
) -> Mail:
    return render_mail(
        "email_changed",
        to=to,
        subject=f"The e-mail address of your {settings.PROJECT_NAME} account changed",
        values={"username": username, "new_email": new_email, "service": settings.PROJECT_NAME},
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
