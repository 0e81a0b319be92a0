"""The request id travels with each task, so the worker's log lines for it carry the id of the
HTTP request that enqueued it.

A task enqueued outside a request (a script, a scheduler) carries none and its lines say
`"request_id": null`: there is no request to point at, and an id made up in the worker would
look like one. A task enqueued by a task passes the id on.
"""

from __future__ import annotations

from taskiq import TaskiqMessage, TaskiqMiddleware

from app.core.request_context import request_id_var

REQUEST_ID_LABEL = "request_id"


class RequestIdLabel(TaskiqMiddleware):
    def pre_send(self, message: TaskiqMessage) -> TaskiqMessage:
        """API side: label the message with the current request's id, if any."""
        request_id = request_id_var.get()
        if request_id is not None:
            message.labels[REQUEST_ID_LABEL] = request_id
        return message

    def pre_execute(self, message: TaskiqMessage) -> TaskiqMessage:
        """Worker side: the id, for every line the task logs.

        Each delivery runs in its own asyncio task, which has its own copy of the context: the id
        set here is seen by this task's lines only and goes with the task, so the next task never
        inherits it.
        """
        request_id = message.labels.get(REQUEST_ID_LABEL)
        request_id_var.set(request_id if isinstance(request_id, str) else None)
        return message
