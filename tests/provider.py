"""An OpenID provider on loopback for the tests that run a generated service as a user does
(`auth=oidc`): it serves the issuer's metadata and key set over HTTPS, with a certificate of its
own that the service is told to trust (SSL_CERT_FILE, which httpx reads), and signs access tokens
with an RSA key (RS256) and an EC key (ES256).

Production refuses an issuer that is not https, so this is how a production start of a generated
service meets a real provider here: no internet, nothing but 127.0.0.1.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

REALM_PATH = "/realms/service"
AUDIENCE = "service-api"
ADMIN_ROLE = "service-admin"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _integer(value: int, size: int) -> str:
    return _b64(value.to_bytes(size, "big"))


@dataclass
class LoopbackProvider:
    issuer: str
    # The CA bundle a client must trust to reach it (the provider's own certificate).
    certificate_file: Path
    rsa_key: rsa.RSAPrivateKey
    ec_key: ec.EllipticCurvePrivateKey
    requests: list[str]

    @property
    def environment(self) -> dict[str, str]:
        """What a generated service needs to accept this provider's tokens."""
        return {
            "OIDC_ISSUER_URL": self.issuer,
            "OIDC_AUDIENCE": AUDIENCE,
            "OIDC_ADMIN_ROLES": ADMIN_ROLE,
            "SSL_CERT_FILE": str(self.certificate_file),
        }

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": f"{self.issuer}/protocol/openid-connect/certs",
            "authorization_endpoint": f"{self.issuer}/protocol/openid-connect/auth",
            "token_endpoint": f"{self.issuer}/protocol/openid-connect/token",
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        }

    def jwks(self) -> dict[str, Any]:
        rsa_numbers = self.rsa_key.public_key().public_numbers()
        ec_numbers = self.ec_key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "kid": "rsa-1",
                    "use": "sig",
                    "alg": "RS256",
                    "n": _integer(rsa_numbers.n, (rsa_numbers.n.bit_length() + 7) // 8),
                    "e": _integer(rsa_numbers.e, 3),
                },
                {
                    "kty": "EC",
                    "kid": "ec-1",
                    "use": "sig",
                    "alg": "ES256",
                    "crv": "P-256",
                    "x": _integer(ec_numbers.x, 32),
                    "y": _integer(ec_numbers.y, 32),
                },
            ]
        }

    def token(
        self,
        username: str,
        *,
        admin: bool = False,
        algorithm: str = "RS256",
        lifetime_seconds: int = 600,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        """An access token of `username` (subject `subject-of-<username>`) for the service."""
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": f"subject-of-{username}",
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + lifetime_seconds,
            "azp": "frontend",
            "preferred_username": username,
            "email": f"{username}@example.com",
            "email_verified": True,
            "roles": [ADMIN_ROLE] if admin else [],
            **(extra or {}),
        }
        kid = "rsa-1" if algorithm == "RS256" else "ec-1"
        header = {"alg": algorithm, "typ": "at+jwt", "kid": kid}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        return f"{signing_input}.{_b64(self._sign(algorithm, signing_input.encode('ascii')))}"

    def _sign(self, algorithm: str, data: bytes) -> bytes:
        if algorithm == "RS256":
            return self.rsa_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        if algorithm == "ES256":
            r, s = decode_dss_signature(self.ec_key.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        raise ValueError(f"the stand-in signs RS256 and ES256, not {algorithm}")


def _self_signed(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        # What strict verification (Python 3.13's default) asks of a self-signed certificate.
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        )
        .sign(key, hashes.SHA256())
    )


@contextmanager
def loopback_provider(directory: Path) -> Iterator[LoopbackProvider]:
    """The stand-in, serving on a free port of 127.0.0.1 until the block ends."""
    tls_key = ec.generate_private_key(ec.SECP256R1())
    certificate = _self_signed(tls_key)
    certificate_file = directory / "provider-ca.pem"
    key_file = directory / "provider-key.pem"
    certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        tls_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    requests: list[str] = []
    documents: dict[str, dict[str, Any]] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            document = documents.get(self.path)
            body = json.dumps(document if document is not None else {"error": "not_found"})
            self.send_response(200 if document is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    provider = LoopbackProvider(
        issuer=f"https://127.0.0.1:{port}{REALM_PATH}",
        certificate_file=certificate_file,
        rsa_key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        ec_key=ec.generate_private_key(ec.SECP256R1()),
        requests=requests,
    )
    documents[f"{REALM_PATH}/.well-known/openid-configuration"] = provider.metadata()
    documents[f"{REALM_PATH}/protocol/openid-connect/certs"] = provider.jwks()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
