"""Per-request values that must reach code with no access to the request (log records)."""

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
