"""The API side of e-mail: `install` gives the app its account mailer (app.state.account_mailer,
the services' `AccountMailer`) and the outbox behind it for as long as it runs, and closes the
outbox at shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from app.core.hooks import LifespanHook
from app.integrations.email.account_mails import OutboxAccountMailer
from app.integrations.email.outbox import MailOutbox
from app.integrations.email.settings import EmailSettings


def install(app: FastAPI, settings: EmailSettings) -> LifespanHook:
    def hook(application: FastAPI) -> AbstractAsyncContextManager[None]:
        return open_outbox(application, settings)

    return hook


@asynccontextmanager
async def open_outbox(app: FastAPI, settings: EmailSettings) -> AsyncIterator[None]:
    outbox = MailOutbox(settings)
    app.state.account_mailer = OutboxAccountMailer(outbox, settings)
    try:
        yield
    finally:
        await outbox.close()
