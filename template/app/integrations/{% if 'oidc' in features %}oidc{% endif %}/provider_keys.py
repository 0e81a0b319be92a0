"""The provider's signing keys, fetched once per process and kept.

What may make the service call the provider, and how often:
- the first token (or readiness probe) after the start, since nothing is cached yet;
- a token naming a key the cache does not hold (the provider rotated its keys);
- keys older than OIDC_KEYS_MAX_AGE_SECONDS, fetched again in the background while the cached
  ones keep serving.
Every fetch starts at least OIDC_KEYS_REFRESH_INTERVAL_SECONDS after the previous one, and
callers arriving while one is in flight wait for it instead of starting their own: made-up key
ids, however many, cost the provider one fetch per interval. A failed fetch keeps what was
cached, so a provider outage leaves verification working on the keys the service holds.

With no key cached at all (a provider that was down when the service started), every request
is a 503 until a fetch succeeds, so waiting a whole interval after a blip would cost a minute
of outage: failed fetches are retried after 1 s, then twice as long each time, up to the
interval. That is a handful of fetches more in the first interval, then one per interval.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from app.integrations.oidc.errors import ProviderKeysUnavailableError
from app.integrations.oidc.provider_documents import (
    ProviderDocumentError,
    ProviderMetadata,
    SigningKey,
    metadata_url,
    read_key_set,
    read_metadata,
)

logger = logging.getLogger(__name__)

Clock = Callable[[], float]

# The first retry after a failed fetch when no key is cached; each further one waits twice as long.
FIRST_RETRY_SECONDS = 1.0
# Real metadata and key sets are a few KiB; past this the answer is not one (and is not read
# into memory whole).
MAX_DOCUMENT_BYTES = 512 * 1024


class ProviderFetchError(Exception):
    """The provider did not serve a usable document."""


# What a fetch may fail with for the provider's sake (anything else is a bug of ours).
_FETCH_FAILURES = (httpx.HTTPError, httpx.InvalidURL, ProviderFetchError, ProviderDocumentError)


@dataclass(frozen=True, slots=True)
class _Cached:
    keys: Mapping[str, SigningKey]
    metadata: ProviderMetadata
    fetched_at: float  # by the clock
    metadata_fetched_at: float


class ProviderKeys:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        issuer: str,
        refresh_interval_seconds: float,
        max_age_seconds: float,
        clock: Clock = time.monotonic,
    ) -> None:
        self._client = client
        self._issuer = issuer
        self._refresh_interval = refresh_interval_seconds
        self._max_age = max_age_seconds
        self._clock = clock
        self._cached: _Cached | None = None
        self._last_fetch_started: float | None = None
        self._fetch: asyncio.Task[None] | None = None
        # Fetches failed in a row while no key was cached: they set the wait before the next.
        self._failures_without_keys = 0

    @property
    def has_keys(self) -> bool:
        return self._cached is not None

    @property
    def fetch_in_flight(self) -> bool:
        return self._fetch is not None

    async def key(self, kid: str) -> SigningKey | None:
        """The key `kid` names, or None when the provider publishes none by that id (as far as a
        fetch the interval allowed shows). ProviderKeysUnavailableError when no key is cached and
        none can be fetched now."""
        cached = self._cached
        if cached is None:
            await self.refresh()
            cached = self._usable()
        else:
            self._refresh_when_old(cached)
        found = cached.keys.get(kid)
        if found is None:
            await self.refresh()
            found = self._usable().keys.get(kid)
        return found

    def still_publishes(self, kid: str) -> bool:
        """Whether the keys as last fetched hold `kid`: a token it verified before may be
        trusted again without its signature checked. Past the max age, starts the background
        fetch `key` would."""
        cached = self._cached
        if cached is None:
            return False
        self._refresh_when_old(cached)
        return kid in cached.keys

    async def refresh(self) -> None:
        """Fetch the keys now, unless the last fetch started less than the refresh interval ago;
        join a fetch in flight rather than start another. Never raises for the provider's
        sake: a failed fetch is logged and the cache stays as it was."""
        fetch = self._start_fetch()
        if fetch is not None:
            # Shielded: a caller that gives up (a readiness probe's timeout, a client that
            # disconnected) must not cancel the fetch others are waiting for.
            await asyncio.shield(fetch)

    async def ensure_usable(self) -> None:
        """Readiness: fine while any key is cached, even with the provider down; otherwise one
        fetch (as the interval allows), and ProviderKeysUnavailableError if it brought none."""
        if self._cached is None:
            await self.refresh()
        self._usable()

    async def aclose(self) -> None:
        fetch = self._fetch
        if fetch is not None:
            fetch.cancel()
            await asyncio.gather(fetch, return_exceptions=True)

    def _refresh_when_old(self, cached: _Cached) -> None:
        if self._clock() - cached.fetched_at >= self._max_age:
            self._start_fetch()  # not awaited: the cached keys serve until it lands

    def _usable(self) -> _Cached:
        if self._cached is None:
            raise ProviderKeysUnavailableError("no signing key of the OIDC provider is available")
        return self._cached

    def _start_fetch(self) -> asyncio.Task[None] | None:
        if self._fetch is not None:
            return self._fetch
        now = self._clock()
        last = self._last_fetch_started
        if last is not None and now - last < self._wait_before_next_fetch():
            return None
        self._last_fetch_started = now
        self._fetch = asyncio.create_task(self._fetch_and_keep(), name="oidc-provider-keys")
        return self._fetch

    def _wait_before_next_fetch(self) -> float:
        if self._cached is not None or not self._failures_without_keys:
            return self._refresh_interval
        backoff = FIRST_RETRY_SECONDS * 2.0 ** min(self._failures_without_keys - 1, 30)
        return min(backoff, self._refresh_interval)

    async def _fetch_and_keep(self) -> None:
        try:
            self._cached = await self._fetched()
            self._failures_without_keys = 0
        except _FETCH_FAILURES as exc:
            if self._cached is None:
                self._failures_without_keys += 1
                state = f"no key cached; next try in {self._wait_before_next_fetch():g} s"
            else:
                state = "keeping the cached keys"
            logger.warning("OIDC provider keys not fetched (%s): %s", state, exc)
        finally:
            self._fetch = None

    async def _fetched(self) -> _Cached:
        cached = self._cached
        metadata_fetched_at = cached.metadata_fetched_at if cached else 0.0
        if cached is None or self._clock() - metadata_fetched_at >= self._max_age:
            metadata = read_metadata(await self._document(metadata_url(self._issuer)), self._issuer)
            metadata_fetched_at = self._clock()
        else:
            metadata = cached.metadata
        keys = read_key_set(await self._document(metadata.jwks_uri), metadata.algorithms)
        return _Cached(
            keys=keys,
            metadata=metadata,
            fetched_at=self._clock(),
            metadata_fetched_at=metadata_fetched_at,
        )

    async def _document(self, url: str) -> object:
        # The client follows no redirect: the issuer's documents are where the issuer says.
        async with self._client.stream("GET", url) as response:
            if response.status_code != httpx.codes.OK:
                raise ProviderFetchError(f"{url} answered {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise ProviderFetchError(f"{url} answered over {MAX_DOCUMENT_BYTES} bytes")
        try:
            document: object = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise ProviderFetchError(f"{url} answered something other than JSON") from exc
        return document
