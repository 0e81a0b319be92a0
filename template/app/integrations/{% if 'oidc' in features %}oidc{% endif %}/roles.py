"""The provider's roles of a caller, read from a configurable claim, and the service role they
map to.

OIDC_ROLES_CLAIM is a dotted path into the claims: `realm_access.roles` (Keycloak realm roles),
`resource_access.<client>.roles` (Keycloak client roles), `roles` (Entra ID app roles, RFC 9068),
`groups`. Claim names may hold dots themselves (Auth0's namespaced `https://example.com/roles`):
at each level the longest run of segments that names a claim wins, so the whole path is tried as
one name first. The claim holds a list of names or a single one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.models.role import Role


class RoleMapping:
    def __init__(self, claim_path: str, admin_roles: Iterable[str]) -> None:
        self._segments = tuple(claim_path.split("."))
        self._admin_roles = frozenset(admin_roles)

    def provider_roles(self, claims: Mapping[str, Any]) -> tuple[str, ...]:
        value = claim_at(claims, self._segments)
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list):
            return tuple(item for item in value if isinstance(item, str))
        return ()

    def role(self, provider_roles: Iterable[str]) -> Role:
        return Role.ADMIN if self._admin_roles.intersection(provider_roles) else Role.USER


def claim_at(claims: Mapping[str, Any], segments: tuple[str, ...]) -> Any:
    """The value at a path of dot-separated segments, or None. Greedy, without backtracking:
    each level takes the longest run of segments it has a claim for, so a lookup costs at most
    the square of the segments, whatever the claims hold."""
    node: Any = claims
    rest = segments
    while rest:
        if not isinstance(node, Mapping):
            return None
        for end in range(len(rest), 0, -1):
            name = ".".join(rest[:end])
            if name in node:
                node, rest = node[name], rest[end:]
                break
        else:
            return None
    return node
