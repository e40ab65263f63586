"""URL fetching against a real HTTP server on 127.0.0.1, started by the tests.

The server is allow-listed (QABOT_FETCH_ALLOW=127.0.0.1) where a test needs to reach it; the
refusal tests show that loopback, link-local (metadata), private addresses and names that resolve
to them are refused without it, on the first request and on every redirect.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from index.library.fetch import Allow, Fetched, FetchError, Unchanged, fetch, is_public

TEXT = "Harbor Notes\n\nThe ferry to the island leaves at seven every morning.\n"
LIMIT = 4096
LOOPBACK = Allow.parse("127.0.0.1")


async def _doc(request: web.Request) -> web.Response:
    if request.headers.get("If-None-Match") == '"v1"':
        return web.Response(status=304)
    return web.Response(text=TEXT, content_type="text/plain", headers={"ETag": '"v1"'})


async def _to(request: web.Request) -> web.Response:
    raise web.HTTPFound(request.query["where"])


async def _hops(request: web.Request) -> web.Response:
    n = int(request.match_info["n"])
    if n == 0:
        return web.Response(text=TEXT, content_type="text/plain")
    raise web.HTTPFound(f"/hops/{n - 1}")


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(30)
    return web.Response(text=TEXT, content_type="text/plain")


async def _big_declared(request: web.Request) -> web.StreamResponse:
    """Declares more than the limit and sends little: only the header can refuse it."""
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    response.content_length = LIMIT * 1000
    await response.prepare(request)
    await response.write(b"a" * 100)
    return response


async def _big_streamed(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    response.enable_chunked_encoding()  # no Content-Length
    await response.prepare(request)
    for _ in range(8):
        await response.write(b"b" * 1024)
    await response.write_eof()
    return response


async def _binary(request: web.Request) -> web.Response:
    return web.Response(body=b"\x7fELF\x02\x01", content_type="application/octet-stream")


@pytest.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/doc.txt", _doc)
    app.router.add_get("/to", _to)
    app.router.add_get("/hops/{n}", _hops)
    app.router.add_get("/slow", _slow)
    app.router.add_get("/big-declared", _big_declared)
    app.router.add_get("/big-streamed", _big_streamed)
    app.router.add_get("/binary", _binary)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_an_allow_listed_server_is_fetched_and_the_url_kept(server: str) -> None:
    got = await fetch(f"{server}/doc.txt", LOOPBACK)
    assert isinstance(got, Fetched)
    assert got.data.decode() == TEXT
    assert got.url == f"{server}/doc.txt" and got.suffix == ".txt" and got.etag == '"v1"'


async def test_loopback_is_refused_without_the_allow_list(server: str) -> None:
    with pytest.raises(FetchError, match="loopback"):
        await fetch(f"{server}/doc.txt")


async def test_a_name_that_resolves_to_loopback_is_refused(server: str) -> None:
    port = server.rsplit(":", 1)[1]
    with pytest.raises(FetchError, match="localhost is a private, loopback"):
        await fetch(f"http://localhost:{port}/doc.txt")


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
    ],
)
async def test_internal_addresses_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match="private, loopback, link-local or metadata"):
        await fetch(url, LOOPBACK)


async def test_a_redirect_to_the_metadata_address_is_refused(server: str) -> None:
    target = "http://169.254.169.254/latest/meta-data/"
    with pytest.raises(FetchError, match="169.254.169.254 is a private"):
        await fetch(f"{server}/to?where={target}", LOOPBACK)


async def test_a_redirect_to_a_name_resolving_to_loopback_is_refused(server: str) -> None:
    port = server.rsplit(":", 1)[1]
    only_this_host = Allow(hosts=frozenset({"127.0.0.1"}))
    assert isinstance(await fetch(f"{server}/doc.txt", only_this_host), Fetched)
    with pytest.raises(FetchError, match="localhost is a private"):
        await fetch(f"{server}/to?where=http://localhost:{port}/doc.txt", only_this_host)


async def test_five_redirects_are_followed_and_six_are_not(server: str) -> None:
    assert isinstance(await fetch(f"{server}/hops/5", LOOPBACK), Fetched)
    with pytest.raises(FetchError, match="more than 5 redirects"):
        await fetch(f"{server}/hops/6", LOOPBACK)


async def test_a_server_that_never_answers_times_out(server: str) -> None:
    with pytest.raises(FetchError, match="did not answer within 0.5 s"):
        await fetch(f"{server}/slow", LOOPBACK, timeout_s=0.5)


@pytest.mark.parametrize("path", ["/big-declared", "/big-streamed"])
async def test_a_response_over_the_limit_is_refused(server: str, path: str) -> None:
    with pytest.raises(FetchError, match="over the 0 MB limit|over the"):
        await fetch(f"{server}{path}", LOOPBACK, max_bytes=LIMIT)


async def test_a_404_is_refused(server: str) -> None:
    with pytest.raises(FetchError, match="answered 404 Not Found"):
        await fetch(f"{server}/missing", LOOPBACK)


async def test_a_type_the_engine_cant_read_is_refused(server: str) -> None:
    with pytest.raises(FetchError, match="application/octet-stream, not a document"):
        await fetch(f"{server}/binary", LOOPBACK)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://x/"])
async def test_only_http_and_https(url: str) -> None:
    with pytest.raises(FetchError, match="only http:// and https://"):
        await fetch(url, LOOPBACK)


async def test_an_etag_that_still_matches_means_unchanged(server: str) -> None:
    got = await fetch(f"{server}/doc.txt", LOOPBACK, etag='"v1"')
    assert isinstance(got, Unchanged)


def test_the_allow_list_reads_hosts_and_networks() -> None:
    allow = Allow.parse("wiki.lan, 10.0.0.0/8 ,")
    assert allow.hosts == {"wiki.lan"}
    import ipaddress

    assert allow.permits("x", ipaddress.ip_address("10.2.3.4"))
    assert not allow.permits("x", ipaddress.ip_address("192.168.1.1"))
    assert allow.permits("wiki.lan", ipaddress.ip_address("192.168.1.1"))
    assert is_public(ipaddress.ip_address("93.184.216.34"))
    with pytest.raises(FetchError):
        Allow.parse("not a host!")
