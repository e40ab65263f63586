"""A real HTTP server on 127.0.0.1 for URL tests, in a thread: pages, redirects, a server that
answers only after 5 s, bodies over the limit with and without Content-Length, and 404s."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

OVER_LIMIT = 26 * 1024 * 1024  # over the 25 MB upload and fetch limit


class Pages:
    """Path -> (content type, body); what the server serves, changeable by a test."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, bytes]] = {}
        self.url = ""

    def add(self, path: str, body: str | bytes, content_type: str = "text/plain") -> str:
        data = body.encode() if isinstance(body, str) else body
        self.pages[path] = (content_type, data)
        return self.url + path


def _handler(pages: Pages) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            parts = urlsplit(self.path)
            try:
                if parts.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", parse_qs(parts.query)["to"][0])
                    self.end_headers()
                elif parts.path == "/slow":
                    time.sleep(5)
                elif parts.path == "/big-declared":
                    self._send(200, "text/plain", b"a" * 1024, length=OVER_LIMIT)
                elif parts.path == "/big-streamed":  # no Content-Length: read to the end
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    piece = b"b" * 65536
                    for _ in range(OVER_LIMIT // len(piece) + 1):
                        self.wfile.write(piece)
                elif parts.path in pages.pages:
                    content_type, body = pages.pages[parts.path]
                    self._send(200, content_type, body)
                else:
                    self._send(404, "text/plain", b"not found")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, as it should

        def _send(self, status: int, content_type: str, body: bytes, length: int = 0) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(length or len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    return Handler


@contextmanager
def serving() -> Iterator[Pages]:
    pages = Pages()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(pages))
    server.daemon_threads = True
    pages.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield pages
    finally:
        server.shutdown()
        server.server_close()
