"""What the edge settings accept: CORS origins, served host names and trusted proxies.

Each parser takes one entry of a comma-separated setting and returns it normalised, or raises
ValueError saying what is wrong and which form is expected. Production adds its refusals on top
(app/core/environments.py): no wildcard, no `null`, HTTPS only except on this machine.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

ANY = "*"
# Host names a browser on this machine uses: plain HTTP is acceptable there.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


def parse_origin(entry: str) -> str:
    """`scheme://host[:port]` in lowercase, without a default port or a trailing slash."""
    if entry in (ANY, "null"):
        return entry
    expected = f"{entry!r} is not an origin: list them as scheme://host[:port], comma-separated"
    try:
        parts = urlsplit(entry)
        port = parts.port
    except ValueError:
        raise ValueError(expected) from None
    scheme = parts.scheme.lower()
    if (
        scheme not in _DEFAULT_PORTS
        or parts.username is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.hostname is None
    ):
        raise ValueError(expected)
    host = _normalised_host(parts.hostname, expected)
    suffix = "" if port in (None, _DEFAULT_PORTS[scheme]) else f":{port}"
    return f"{scheme}://{host}{suffix}"


def origin_is_secure(origin: str) -> bool:
    """HTTPS, or this machine (a local front end during a production check)."""
    parts = urlsplit(origin)
    host = parts.hostname or ""
    return parts.scheme == "https" or _bracketed(host) in LOCAL_HOSTS


def parse_allowed_host(entry: str) -> str:
    """A host name, `*.domain` for its subdomains, an IP address, or `*` for any host."""
    if entry == ANY:
        return entry
    expected = (
        f"{entry!r} is not a host: list names like api.example.com, *.example.com or an IP "
        "address, comma-separated, without scheme, port or path"
    )
    wildcard = entry.startswith("*.")
    return ("*." if wildcard else "") + _normalised_host(entry.removeprefix("*."), expected)


def parse_trusted_proxy(entry: str) -> str:
    """An IP address or network (CIDR) whose X-Forwarded-* headers are believed, or `*`."""
    if entry == ANY:
        return entry
    try:
        return str(ipaddress.ip_network(entry, strict=True))
    except ValueError:
        raise ValueError(
            f"{entry!r} is not an IP address or network: list proxies like 10.0.0.5 or "
            "10.0.0.0/8, comma-separated"
        ) from None


# Reserved for documentation (RFC 5737, RFC 3849): no proxy has such an address, so a setting
# naming one still holds a placeholder.
_DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)


def documentation_networks(proxies: list[str]) -> list[str]:
    """The entries of a parsed FORWARDED_ALLOW_IPS that lie in a documentation network."""
    found = []
    for entry in proxies:
        if entry == ANY:
            continue
        network = ipaddress.ip_network(entry)
        if any(
            network.network_address in reserved and network.broadcast_address in reserved
            for reserved in _DOCUMENTATION_NETWORKS
        ):
            found.append(entry)
    return found


def host_allowed(host_header: str, allowed: frozenset[str]) -> bool:
    """Whether a Host header names one of the allowed hosts (its port is ignored)."""
    host = host_header.strip().lower()
    if host.startswith("["):
        host = host[: host.find("]") + 1]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    host = host.rstrip(".")
    if not host:
        return False
    if host in allowed:
        return True
    parent = host
    while "." in parent:
        parent = parent.split(".", 1)[1]
        if f"*.{parent}" in allowed:
            return True
    return False


def _normalised_host(host: str, expected: str) -> str:
    host = host.lower().rstrip(".")
    try:
        return _bracketed(str(ipaddress.ip_address(host.strip("[]"))))
    except ValueError:
        pass
    if len(host) > 253 or not _HOST_NAME.fullmatch(host):
        raise ValueError(expected)
    return host


def _bracketed(host: str) -> str:
    """IPv6 addresses are written in brackets in origins and Host headers."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
