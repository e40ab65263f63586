"""Fetch a document over HTTP(S) without letting a URL reach inside the network (SSRF).

- Only http and https, at most MAX_REDIRECTS redirects, each hop checked again.
- Every address is checked where it is used: names go through a resolver that drops private,
  loopback, link-local, metadata and other non-global addresses, and the connection is made to
  the address that passed. A name that resolves to a public address when checked and a private
  one a moment later (DNS rebinding) can't slip through, because there is no second lookup.
  Literal IP hosts, which aiohttp does not resolve, are checked before each request.
- A size limit with and without Content-Length, a time limit for the whole fetch, and a
  content-type check.
- QABOT_FETCH_ALLOW (hosts or CIDRs) lets chosen internal hosts through, e.g. a wiki on the LAN.
- Conditional requests (ETag / Last-Modified) for refreshes: a 304 means unchanged.

Nothing is written to disk here: the body is held in memory (it is at most the size limit).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from index.errors import QabotError

MAX_BYTES = 25 * 1024 * 1024
TIMEOUT_S = 20.0
MAX_REDIRECTS = 5
USER_AGENT = "qabot document fetcher"
# The content types the engine reads, and the suffix a fetched document is stored under.
CONTENT_TYPES = {
    "text/plain": ".txt",
    "text/markdown": ".md",
    "text/x-markdown": ".md",
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class FetchError(QabotError):
    """The URL can't be fetched, or what it returns can't be a document; the message says why."""


@dataclass(frozen=True)
class Allow:
    """What QABOT_FETCH_ALLOW lets through: host names and networks."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[_Network, ...] = ()

    @classmethod
    def parse(cls, raw: str | Iterable[str] | None) -> Allow:
        """'wiki.lan, 10.0.0.0/8, 127.0.0.1' -> hosts and networks. Raises FetchError."""
        parts = raw.split(",") if isinstance(raw, str) else list(raw or ())
        hosts, networks = set(), []
        for part in (p.strip().lower() for p in parts):
            if not part:
                continue
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                if "/" in part or not part.replace(".", "").replace("-", "").isalnum():
                    raise FetchError(
                        f"QABOT_FETCH_ALLOW: {part!r} is neither a host name nor a CIDR"
                    ) from None
                hosts.add(part.rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def permits(self, host: str, address: _Address) -> bool:
        """Whether this host may be reached at this address."""
        if host.lower().rstrip(".") in self.hosts:
            return True
        if any(address in network for network in self.networks):
            return True
        return is_public(address)


def is_public(address: _Address) -> bool:
    """A global unicast address: not private, loopback, link-local (so not the 169.254.169.254
    metadata service), shared, reserved, multicast or unspecified."""
    mapped = getattr(address, "ipv4_mapped", None) or getattr(address, "sixtofour", None)
    if mapped is not None:
        return is_public(mapped)
    return address.is_global and not address.is_multicast


def refused_address(host: str) -> str:
    return (
        f"{host} is a private, loopback, link-local or metadata address; "
        "I don't fetch those (QABOT_FETCH_ALLOW can allow a host)"
    )


class CheckingResolver(AbstractResolver):
    """Resolves names and keeps only the addresses `allow` permits; none left is an error."""

    def __init__(self, allow: Allow) -> None:
        self.allow = allow
        self._resolver = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._resolver.resolve(host, port, family)
        kept = [r for r in found if self.allow.permits(host, ipaddress.ip_address(r["host"]))]
        if not kept:
            raise FetchError(refused_address(host))
        return kept

    async def close(self) -> None:
        await self._resolver.close()


@dataclass(frozen=True)
class Fetched:
    url: str  # the URL asked for: the document's citation link
    final_url: str  # after redirects
    data: bytes
    content_type: str
    suffix: str  # the file suffix its content type calls for
    etag: str
    last_modified: str


@dataclass(frozen=True)
class Unchanged:
    """A conditional fetch whose server said 304 Not Modified."""

    url: str


async def fetch(
    url: str,
    allow: Allow = Allow(),
    *,
    max_bytes: int = MAX_BYTES,
    timeout_s: float = TIMEOUT_S,
    etag: str = "",
    last_modified: str = "",
) -> Fetched | Unchanged:
    """Fetch a document. Raises FetchError with a one-line reason for every refusal."""
    check_url(url, allow)
    connector = aiohttp.TCPConnector(resolver=CheckingResolver(allow), use_dns_cache=False)
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    headers = {"User-Agent": USER_AGENT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with aiohttp.ClientSession(
            connector=connector, timeout=timeout, headers=headers, trust_env=False
        ) as session:
            return await asyncio.wait_for(
                _follow(session, url, allow, max_bytes), timeout=timeout_s
            )
    except FetchError:
        raise
    except TimeoutError:
        raise FetchError(f"{_host(url)} did not answer within {timeout_s:g} s") from None
    except aiohttp.ClientConnectorError as error:
        if isinstance(error.os_error, FetchError):
            raise error.os_error from None
        raise FetchError(f"can't connect to {_host(url)} ({error.os_error})") from None
    except (aiohttp.ClientError, OSError) as error:
        cause = error.__cause__ if isinstance(error.__cause__, FetchError) else None
        if cause:
            raise cause from None
        raise FetchError(f"fetching {_host(url)} failed ({error})") from None


async def _follow(
    session: aiohttp.ClientSession, url: str, allow: Allow, max_bytes: int
) -> Fetched | Unchanged:
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        check_url(current, allow)
        async with session.get(current, allow_redirects=False) as response:
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("Location", "")
                if not location:
                    raise FetchError(f"{_host(current)} redirected without saying where")
                current = urljoin(current, location)
                continue
            if response.status == 304:
                return Unchanged(url)
            if response.status != 200:
                reason = response.reason or "error"
                raise FetchError(f"{_host(current)} answered {response.status} {reason}")
            content_type = response.content_type.lower()
            suffix = CONTENT_TYPES.get(content_type)
            if suffix is None:
                readable = ", ".join(sorted(CONTENT_TYPES))
                raise FetchError(
                    f"the URL holds {content_type or 'no declared type'}, not a document "
                    f"I read ({readable})"
                )
            data = await _read_limited(response, max_bytes)
            return Fetched(
                url,
                current,
                data,
                content_type,
                suffix,
                response.headers.get("ETag", ""),
                response.headers.get("Last-Modified", ""),
            )
    raise FetchError(f"more than {MAX_REDIRECTS} redirects; giving up")


async def _read_limited(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    declared = response.content_length
    if declared is not None and declared > max_bytes:
        raise FetchError(too_large(declared, max_bytes))
    body = bytearray()
    async for piece in response.content.iter_chunked(64 * 1024):
        body += piece
        if len(body) > max_bytes:  # a missing or lying Content-Length
            raise FetchError(too_large(None, max_bytes))
    if not body:
        raise FetchError("the URL returned an empty document")
    return bytes(body)


def too_large(size: int | None, limit: int) -> str:
    shown = f" ({size / 1e6:.1f} MB)" if size else ""
    return f"the document is over the {limit // (1024 * 1024)} MB limit{shown}"


def check_url(url: str, allow: Allow) -> None:
    """Refuse what isn't http(s), and literal IP hosts outside the allow-list."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise FetchError(f"{url[:100]!r} is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise FetchError("only http:// and https:// URLs can be fetched")
    host = parts.hostname or ""
    if not host:
        raise FetchError(f"{url[:100]!r} has no host")
    if parts.username or parts.password:
        raise FetchError("URLs with a user name or password are not fetched")
    del port
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return  # a name: checked by CheckingResolver when it is resolved
    if not allow.permits(host, address):
        raise FetchError(refused_address(host))


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or url[:60]
    except ValueError:
        return url[:60]
