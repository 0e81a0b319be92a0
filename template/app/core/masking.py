"""What a log line may say about a person's address: enough to tell mails apart, never the
address itself."""

from __future__ import annotations


def mask_address(address: str) -> str:
    """`alice@example.com` as `a***@example.com`; anything without a domain as `***`."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"
