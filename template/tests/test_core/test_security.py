from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import anyio
import jwt
import pytest

from app.core import tokens
from app.core.password_hashing import (
    DEFAULT_QUEUE_PER_SLOT,
    PasswordHasher,
    PasswordHashingBusyError,
    normalize_password,
)
from app.core.tokens import (
    AccessTokenVerifier,
    InvalidTokenError,
    create_access_token,
    decode_access_token,
)

KEY = "unit-test-key-0123456789abcdefghijklmnopqrstuvwxyz"


def _cheap_hasher(time_cost: int = 1) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost_kib=1024, parallelism=1)


def test_access_token_round_trip_carries_aware_times_and_claims() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    access = create_access_token("user-1", secret_key=KEY, expires_in=timedelta(minutes=5), now=now)

    claims = decode_access_token(access.token, secret_key=KEY)

    assert claims.subject == "user-1"
    assert claims.issued_at == now
    assert claims.expires_at == now + timedelta(minutes=5) == access.expires_at
    assert claims.expires_at.tzinfo is UTC
    assert len(claims.token_id) == 32
    assert jwt.get_unverified_header(access.token)["alg"] == "HS256"


def test_a_token_names_its_login_session_when_it_has_one() -> None:
    session_id = str(uuid.uuid4())
    with_session = create_access_token(
        "u", secret_key=KEY, expires_in=timedelta(minutes=1), session_id=session_id
    )
    without = create_access_token("u", secret_key=KEY, expires_in=timedelta(minutes=1))

    assert decode_access_token(with_session.token, secret_key=KEY).session_id == session_id
    assert decode_access_token(without.token, secret_key=KEY).session_id is None


@pytest.mark.parametrize("sid", ["not-a-uuid", 17, ["list"]])
def test_a_well_signed_token_with_a_malformed_session_is_refused(sid: object) -> None:
    now = datetime.now(UTC)
    claims = {"sub": "u", "iat": now, "exp": now + timedelta(minutes=1), "jti": "j"}
    token = jwt.encode({**claims, "type": "access", "sid": sid}, KEY, algorithm="HS256")

    with pytest.raises(InvalidTokenError, match="sid"):
        decode_access_token(token, secret_key=KEY)


def test_refresh_tokens_are_random_and_stored_as_their_sha256() -> None:
    issued = {tokens.new_opaque_token() for _ in range(100)}

    assert len(issued) == 100
    assert all(len(token) == 43 for token in issued)
    token = next(iter(issued))
    assert tokens.opaque_token_digest(token) == hashlib.sha256(token.encode()).hexdigest()


def test_expired_token_is_refused() -> None:
    past = datetime.now(UTC) - timedelta(hours=1)
    access = create_access_token("u", secret_key=KEY, expires_in=timedelta(minutes=1), now=past)

    with pytest.raises(InvalidTokenError, match="expired"):
        decode_access_token(access.token, secret_key=KEY)


@pytest.mark.parametrize("token", ["", "a.b.c", "not-a-token"])
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidTokenError):
        decode_access_token(token, secret_key=KEY)


def test_token_signed_with_another_key_is_refused() -> None:
    access = create_access_token("u", secret_key=KEY, expires_in=timedelta(minutes=1))

    with pytest.raises(InvalidTokenError):
        decode_access_token(access.token, secret_key=KEY[::-1])


def test_unsigned_token_is_refused() -> None:
    now = datetime.now(UTC)
    claims = {
        "sub": "u",
        "iat": now,
        "exp": now + timedelta(minutes=1),
        "jti": "j",
        "type": "access",
    }
    token = jwt.encode(claims, key="", algorithm="none")

    with pytest.raises(InvalidTokenError):
        decode_access_token(token, secret_key=KEY)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


OUR_HEADER = b'{"alg":"HS256","typ":"JWT"}'


def _signed_payload(payload: bytes, header: bytes = OUR_HEADER) -> str:
    """A token with exactly this header and payload, signed with KEY (HMAC-SHA256)."""
    signing_input = f"{_b64(header)}.{_b64(payload)}"
    digest = hmac.digest(KEY.encode(), signing_input.encode(), "sha256")
    return f"{signing_input}.{_b64(digest)}"


def _signed(claims: dict[str, object], header: bytes = OUR_HEADER) -> str:
    return _signed_payload(json.dumps(claims).encode(), header)


def _claims(**changes: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": "u",
        "iat": now - 10,
        "exp": now + 60,
        "jti": "j",
        "type": "access",
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def test_pyjwt_accepts_our_tokens_and_we_accept_pyjwts() -> None:
    """Interoperability both ways with an independent implementation of RFC 7519."""
    ours = create_access_token("user-1", secret_key=KEY, expires_in=timedelta(minutes=5))
    read_by_pyjwt = jwt.decode(ours.token, KEY, algorithms=["HS256"])
    theirs = jwt.encode(_claims(sub="user-2"), KEY, algorithm="HS256")

    assert read_by_pyjwt["sub"] == "user-1"
    assert read_by_pyjwt["exp"] == int(ours.expires_at.timestamp())
    assert decode_access_token(theirs, secret_key=KEY).subject == "user-2"


@pytest.mark.parametrize(
    "header",
    [
        b'{"alg":"none","typ":"JWT"}',
        b'{"alg":"HS512","typ":"JWT"}',
        b'{"alg":"RS256","typ":"JWT"}',
        b'{"alg":"HS256"}',
        b'{"alg":"HS256","typ":"JWT","kid":"../../etc/passwd"}',
        b'{"alg":"HS256","jku":"https://attacker.example/keys","typ":"JWT"}',
        b'{"typ":"JWT","alg":"HS256"}',
    ],
)
def test_any_header_but_the_one_this_service_writes_is_refused(header: bytes) -> None:
    """Correctly signed with the service's key, yet the token may not choose how it is checked."""
    with pytest.raises(InvalidTokenError, match="header"):
        decode_access_token(_signed(_claims(), header), secret_key=KEY)


def test_a_changed_payload_or_signature_is_refused() -> None:
    header, payload, signature = _signed(_claims(sub="user-1")).split(".")
    elevated = _b64(json.dumps(_claims(sub="admin")).encode())
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]

    for token in (f"{header}.{elevated}.{signature}", f"{header}.{payload}.{flipped}"):
        with pytest.raises(InvalidTokenError, match="Signature verification failed"):
            decode_access_token(token, secret_key=KEY)


@pytest.mark.parametrize(
    "shape",
    ["padded signature", "four segments", "two segments", "non-ascii", "space", "standard b64"],
)
def test_tokens_not_in_compact_base64url_form_are_refused(shape: str) -> None:
    token = _signed(_claims())
    header, payload, signature = token.split(".")
    forms = {
        "padded signature": f"{token}=",
        "four segments": f"{token}.{signature}",
        "two segments": f"{header}.{payload}",
        "non-ascii": f"{header}.{payload}.{signature[:-1]}\u00e9",
        "space": f"{header}.{payload} .{signature}",
        "standard b64": f"{header}.{payload}.{signature.replace('-', '+').replace('_', '/')}+/",
    }

    with pytest.raises(InvalidTokenError, match="not a JWT"):
        decode_access_token(forms[shape], secret_key=KEY)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"iat": int(time.time()) + 120}, "not yet valid"),
        ({"nbf": int(time.time()) + 120}, "not yet valid"),
        ({"nbf": "soon"}, "nbf claim is not a number"),
        ({"exp": int(time.time())}, "expired"),
        ({"exp": True}, "exp claim is not a number"),
        ({"exp": "9999999999"}, "exp claim is not a number"),
        ({"exp": 1e20}, "out of range"),
        ({"iat": None}, 'missing the "iat" claim'),
        ({"jti": None}, 'missing the "jti" claim'),
        ({"type": None}, 'missing the "type" claim'),
        ({"aud": "another-service"}, "audience"),
        ({"sub": 17}, "sub claim is not a string"),
        ({"jti": "tab\there"}, "jti claim"),
    ],
)
def test_a_well_signed_token_with_claims_this_service_never_writes_is_refused(
    changes: dict[str, object], reason: str
) -> None:
    with pytest.raises(InvalidTokenError, match=reason):
        decode_access_token(_signed(_claims(**changes)), secret_key=KEY)


@pytest.mark.parametrize("payload", [b"[1, 2]", b"not json", b"\xff\xfe"])
def test_a_well_signed_payload_that_is_not_a_json_object_is_refused(payload: bytes) -> None:
    with pytest.raises(InvalidTokenError, match="not a JSON object"):
        decode_access_token(_signed_payload(payload), secret_key=KEY)


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens actually decoded (signature and claims checked) while a test runs."""
    decoded: list[str] = []
    real_decode = tokens.decode_access_token

    def counting_decode(token: str, *, secret_key: str) -> tokens.TokenClaims:
        decoded.append(token)
        return real_decode(token, secret_key=secret_key)

    monkeypatch.setattr(tokens, "decode_access_token", counting_decode)
    return decoded


def _token(minutes: int = 5, key: str = KEY) -> str:
    return create_access_token("u", secret_key=key, expires_in=timedelta(minutes=minutes)).token


def test_verifier_checks_a_token_once_then_remembers_it(decodes: list[str]) -> None:
    verifier = AccessTokenVerifier(secret_key=KEY, cache_size=8)
    token = _token()

    first = verifier.verify(token)
    again = verifier.verify(token)

    assert first == again == decode_access_token(token, secret_key=KEY)
    assert decodes == [token]


def test_a_remembered_token_still_expires(decodes: list[str]) -> None:
    verifier = AccessTokenVerifier(secret_key=KEY, cache_size=8)
    token = _token(minutes=5)
    claims = verifier.verify(token)

    with pytest.raises(InvalidTokenError, match="expired"):
        verifier.verify(token, now=claims.expires_at)
    # Forgotten once expired: the next use is checked again from scratch.
    verifier.verify(token)
    assert decodes == [token, token]


def test_refused_tokens_are_never_remembered(decodes: list[str]) -> None:
    verifier = AccessTokenVerifier(secret_key=KEY, cache_size=8)
    forged = _token(key=KEY[::-1])
    expired = _token(minutes=-1)

    for token in (forged, expired, forged, expired):
        with pytest.raises(InvalidTokenError):
            verifier.verify(token)

    assert decodes == [forged, expired, forged, expired]


def test_a_token_differing_in_one_character_is_checked_on_its_own(decodes: list[str]) -> None:
    verifier = AccessTokenVerifier(secret_key=KEY, cache_size=8)
    token = _token()
    verifier.verify(token)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    with pytest.raises(InvalidTokenError):
        verifier.verify(tampered)
    assert decodes == [token, tampered]


def test_the_verifier_remembers_at_most_cache_size_tokens(decodes: list[str]) -> None:
    verifier = AccessTokenVerifier(secret_key=KEY, cache_size=2)
    oldest, middle, newest = _token(), _token(), _token()
    for token in (oldest, middle, newest):
        verifier.verify(token)

    verifier.verify(newest)
    verifier.verify(middle)
    verifier.verify(oldest)  # pushed out by the third: checked again

    assert decodes == [oldest, middle, newest, oldest]


def test_cache_size_zero_checks_every_use(decodes: list[str]) -> None:
    verifier = AccessTokenVerifier(secret_key=KEY, cache_size=0)
    token = _token()

    verifier.verify(token)
    verifier.verify(token)

    assert decodes == [token, token]


async def test_password_hash_verifies_only_the_right_password() -> None:
    hasher = _cheap_hasher()
    hashed = await hasher.hash("SecurePass-12345")

    assert hashed.startswith("$argon2id$")
    assert await hasher.verify("SecurePass-12345", hashed) == (True, None)
    assert (await hasher.verify("SecurePass-12346", hashed))[0] is False


async def test_hash_made_with_old_parameters_is_upgraded_on_verify() -> None:
    old_hash = await _cheap_hasher(time_cost=1).hash("SecurePass-12345")

    valid, upgraded = await _cheap_hasher(time_cost=2).verify("SecurePass-12345", old_hash)

    assert valid is True
    assert upgraded is not None
    assert "t=2" in upgraded


# A ligature and fullwidth letters: NFKC makes it "fine passphrase".
TYPED = "\ufb01ne \uff50\uff41\uff53\uff53\uff50\uff48\uff52\uff41\uff53\uff45"


async def test_a_password_is_hashed_in_nfkc_form() -> None:
    hasher = _cheap_hasher()
    hashed = await hasher.hash(TYPED)

    assert normalize_password(TYPED) == "fine passphrase"
    assert hasher._context.verify("fine passphrase", hashed)
    assert await hasher.verify(TYPED, hashed) == (True, None)
    assert await hasher.verify("fine passphrase", hashed) == (True, None)


async def test_a_hash_of_the_typed_form_verifies_and_is_replaced_by_the_nfkc_forms() -> None:
    hasher = _cheap_hasher()
    legacy = hasher._context.hash(TYPED)  # stored before passwords were normalised

    valid, rehashed = await hasher.verify(TYPED, legacy)

    assert valid is True
    assert rehashed is not None
    assert hasher._context.verify("fine passphrase", rehashed)
    assert await hasher.verify("fine passphrase", legacy) == (False, None)


async def test_the_decoy_spends_what_a_failed_verification_of_the_same_password_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hasher = _cheap_hasher()
    await hasher.prepare()
    stored = await hasher.hash("another passphrase")
    checked: list[str] = []
    verify_and_update = hasher._context.verify_and_update
    verify = hasher._context.verify

    def counted_verify_and_update(password: str, hashed: str) -> tuple[bool, str | None]:
        checked.append(password)
        return verify_and_update(password, hashed)

    def counted_verify(password: str, hashed: str) -> bool:
        checked.append(password)
        return verify(password, hashed)

    monkeypatch.setattr(hasher._context, "verify_and_update", counted_verify_and_update)
    monkeypatch.setattr(hasher._context, "verify", counted_verify)

    for password in (TYPED, "fine passphrase"):
        checked.clear()
        assert await hasher.verify(password, stored) == (False, None)
        real = list(checked)
        checked.clear()
        await hasher.verify_decoy(password)
        # Two Argon2 runs for a password NFKC changes (both forms), one otherwise.
        assert checked == real == list(dict.fromkeys([normalize_password(password), password]))


async def test_hashing_runs_at_most_concurrency_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    running = 0
    peak = 0
    lock = threading.Lock()
    hasher = PasswordHasher(time_cost=1, memory_cost_kib=1024, parallelism=1, concurrency=2)
    original = hasher._context.hash

    def slow_hash(password: str) -> str:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return original(password)

    monkeypatch.setattr(hasher._context, "hash", slow_hash)
    async with anyio.create_task_group() as group:
        for _ in range(8):
            group.start_soon(hasher.hash, "SecurePass-12345")

    assert peak == 2


async def test_a_call_past_the_running_and_queued_hashes_is_refused_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    concurrency, queue_limit = 2, 3
    hasher = PasswordHasher(
        time_cost=1,
        memory_cost_kib=1024,
        parallelism=1,
        concurrency=concurrency,
        queue_limit=queue_limit,
    )
    decoy = await hasher.hash("decoy-prepared-before-the-burst")
    await hasher.prepare()
    release = threading.Event()
    started = threading.Semaphore(0)

    def held_verify(password: str, hashed: str) -> tuple[bool, str | None]:
        started.release()
        release.wait(timeout=10)  # bounded: a failing test must not hang the suite
        return False, None

    monkeypatch.setattr(hasher._context, "verify_and_update", held_verify)
    results: list[object] = []

    async def verify() -> None:
        results.append(await hasher.verify("SecurePass-12345", decoy))

    async with anyio.create_task_group() as group:
        for _ in range(concurrency + queue_limit):
            group.start_soon(verify)
        for _ in range(concurrency):
            await anyio.to_thread.run_sync(started.acquire)
        await anyio.sleep(0.01)  # the queued calls reach the gate

        with pytest.raises(PasswordHashingBusyError):
            await hasher.verify("SecurePass-12345", decoy)
        # The decoy verification for unknown users waits at the same gate.
        with pytest.raises(PasswordHashingBusyError):
            await hasher.verify_decoy("SecurePass-12345")
        release.set()

    assert results == [(False, None)] * (concurrency + queue_limit)
    # Admitted again once the queue drained.
    assert await hasher.verify("SecurePass-12345", decoy) == (False, None)


def test_the_default_queue_is_four_waiters_per_slot() -> None:
    hasher = PasswordHasher(time_cost=1, memory_cost_kib=1024, parallelism=1, concurrency=3)

    assert hasher._max_admitted == 3 + 3 * DEFAULT_QUEUE_PER_SLOT


async def test_unknown_hash_format_is_a_failed_verification() -> None:
    bcrypt_hash = "$2b$12$abcdefghijklmnopqrstuuS1Ck9V0CgV2eYwKpQqk4bW1nL5F2a3e"

    assert await _cheap_hasher().verify("SecurePass-12345", bcrypt_hash) == (False, None)
