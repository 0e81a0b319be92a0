"""The two documents a provider publishes for verifiers, read and judged: its metadata (OpenID
Connect Discovery 1.0) and its key set (a JWKS, RFC 7517). Pure functions: fetching and caching
them is provider_keys.py's.

Which algorithm verifies a token is decided here, never by the token: only asymmetric ones,
those the provider advertises, and those the key itself is made for. A symmetric (`oct`) key is
never loaded, so no public key can end up as an HMAC secret (algorithm confusion).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt import PyJWK, PyJWTError

logger = logging.getLogger(__name__)

RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
# PyJWT's names: ES512 is ECDSA on P-521 with SHA-512 (RFC 7518, section 3.4).
EC_ALGORITHMS_BY_CURVE: Mapping[str, str] = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}
EDDSA_CURVES = frozenset({"Ed25519", "Ed448"})
# Every algorithm a token may be verified with: no `none`, no HMAC.
ACCEPTED_ALGORITHMS = RSA_ALGORITHMS | frozenset(EC_ALGORITHMS_BY_CURVE.values()) | {"EdDSA"}
# NIST SP 800-131A: RSA below 2048 bits no longer protects a signature.
MIN_RSA_KEY_BITS = 2048

DISCOVERY_PATH = "/.well-known/openid-configuration"


class ProviderDocumentError(Exception):
    """A document the provider served is not what the specifications describe."""


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    issuer: str
    jwks_uri: str
    # ACCEPTED_ALGORITHMS narrowed to those the provider says it signs with.
    algorithms: frozenset[str]


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    # A verifier for each algorithm this key may verify; PyJWT binds each to its algorithm.
    verifiers: Mapping[str, PyJWK]


def metadata_url(issuer: str) -> str:
    """Where the issuer's metadata is (Discovery, section 4: a trailing slash is dropped)."""
    return issuer.rstrip("/") + DISCOVERY_PATH


def read_metadata(document: object, issuer: str) -> ProviderMetadata:
    """The metadata an issuer served; ProviderDocumentError when it is not the issuer's."""
    if not isinstance(document, dict):
        raise ProviderDocumentError("the metadata is not a JSON object")
    # Discovery, section 4.3: a document naming another issuer must not be used, or a provider
    # could vouch for keys of another.
    if document.get("issuer") != issuer:
        raise ProviderDocumentError(
            f"the metadata names issuer {document.get('issuer')!r}, not OIDC_ISSUER_URL {issuer!r}"
        )
    jwks_uri = document.get("jwks_uri")
    if not isinstance(jwks_uri, str) or not _is_key_set_url(jwks_uri, issuer):
        raise ProviderDocumentError(
            f"the metadata's jwks_uri {jwks_uri!r} is not an absolute URL of the issuer's scheme"
        )
    return ProviderMetadata(
        issuer=issuer, jwks_uri=jwks_uri, algorithms=_advertised_algorithms(document)
    )


def _is_key_set_url(url: str, issuer: str) -> bool:
    # The keys may live on another host (Google's do); never over http when the issuer is https.
    parts = urlsplit(url)
    return bool(parts.hostname) and parts.scheme in {"https", urlsplit(issuer).scheme}


def _advertised_algorithms(document: Mapping[str, Any]) -> frozenset[str]:
    # Providers advertise what they sign ID tokens with; their access tokens use the same keys
    # and algorithms. Unadvertised: the keys' own types narrow it.
    advertised = document.get("id_token_signing_alg_values_supported")
    if advertised is None:
        return ACCEPTED_ALGORITHMS
    if not isinstance(advertised, list) or not all(isinstance(a, str) for a in advertised):
        raise ProviderDocumentError(
            "the metadata's id_token_signing_alg_values_supported is not a list of names"
        )
    algorithms = ACCEPTED_ALGORITHMS & frozenset(advertised)
    if not algorithms:
        raise ProviderDocumentError(
            f"the provider advertises no asymmetric algorithm this service accepts: {advertised}"
        )
    return algorithms


def read_key_set(document: object, algorithms: frozenset[str]) -> dict[str, SigningKey]:
    """The keys of a JWKS that may verify tokens with any of `algorithms`, by `kid`. Keys for
    other uses, of other types, too weak or unreadable are left out (and logged);
    ProviderDocumentError when no key is left."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ProviderDocumentError('the key set is not a JSON object with a "keys" list')
    keys: dict[str, SigningKey] = {}
    for jwk in document["keys"]:
        key = _signing_key(jwk, algorithms)
        if key is None:
            continue
        if key.kid in keys:
            logger.warning("OIDC key set: kid %r appears twice; the first is kept", key.kid)
            continue
        keys[key.kid] = key
    if not keys:
        raise ProviderDocumentError("the key set holds no key this service can verify with")
    return keys


def _signing_key(jwk: object, algorithms: frozenset[str]) -> SigningKey | None:
    if not isinstance(jwk, dict):
        return None
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid:
        # Tokens name their key by kid; a key without one could never be picked.
        return None
    operations = jwk.get("key_ops", ["verify"])
    if jwk.get("use", "sig") != "sig" or not isinstance(operations, list):
        return None  # an encryption key, or a malformed one
    if "verify" not in operations:
        return None
    usable = key_algorithms(jwk) & algorithms
    verifiers: dict[str, PyJWK] = {}
    for algorithm in sorted(usable):
        try:
            verifier = PyJWK(jwk, algorithm)
        except (PyJWTError, ValueError, TypeError, KeyError) as exc:
            logger.warning("OIDC key %r left out: %s", kid, exc)
            return None
        if isinstance(verifier.key, RSAPublicKey) and verifier.key.key_size < MIN_RSA_KEY_BITS:
            logger.warning("OIDC key %r left out: RSA under %d bits", kid, MIN_RSA_KEY_BITS)
            return None
        verifiers[algorithm] = verifier
    return SigningKey(kid=kid, verifiers=verifiers) if verifiers else None


def key_algorithms(jwk: Mapping[str, Any]) -> frozenset[str]:
    """The accepted algorithms a JWK's type and curve allow, narrowed to its `alg` if it names
    one (RFC 7517, section 4.4). Empty for symmetric keys and anything unknown."""
    kty, curve, named = jwk.get("kty"), jwk.get("crv"), jwk.get("alg")
    if not isinstance(named, str | None):
        return frozenset()
    if kty == "RSA":
        family = RSA_ALGORITHMS
    elif kty == "EC" and isinstance(curve, str) and curve in EC_ALGORITHMS_BY_CURVE:
        family = frozenset({EC_ALGORITHMS_BY_CURVE[curve]})
    elif kty == "OKP" and isinstance(curve, str) and curve in EDDSA_CURVES:
        family = frozenset({"EdDSA"})
    else:
        return frozenset()
    return family if named is None else family & {named}
