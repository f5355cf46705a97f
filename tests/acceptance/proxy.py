"""A recording HTTP proxy: lets a test see exactly what the SDK sent and what Podium answered."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import httpx

__all__ = ["UNANSWERED", "Exchange", "RecordingProxy"]

UNANSWERED = 0  # the status of an exchange Podium never answered (it was down, or died meanwhile)

# Headers that describe one hop (or a body httpx has already decoded), never relayed.
_HOP_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "content-length",
        "content-encoding",
        "accept-encoding",
        "host",
    }
)


@dataclass(frozen=True)
class Exchange:
    """One request as the SDK sent it and the status and body Podium answered with."""

    method: str
    path: str
    query: dict[str, list[str]]
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    response_body: bytes

    def request_json(self) -> Any:
        return json.loads(self.request_body) if self.request_body else None

    def response_json(self) -> Any:
        return json.loads(self.response_body) if self.response_body else None


class RecordingProxy:
    """Relays every request to `upstream` unchanged and records the exchange."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self._client = httpx.Client(timeout=httpx.Timeout(60.0), follow_redirects=False)
        self._lock = threading.Lock()
        self._exchanges: list[Exchange] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="recording-proxy", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api(self) -> str:
        return f"{self.url}/api"

    def exchanges(self, method: str | None = None, path: str | None = None) -> list[Exchange]:
        """What was recorded so far, optionally only one method and path."""
        with self._lock:
            seen = list(self._exchanges)
        return [
            x
            for x in seen
            if (method is None or x.method == method) and (path is None or x.path == path)
        ]

    def record(self, exchange: Exchange) -> None:
        """Keep an exchange, before the client has its answer (or its connection drops)."""
        with self._lock:
            self._exchanges.append(exchange)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
        self._client.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _relay(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in handler.headers.items()}
        forwarded = {k: v for k, v in headers.items() if k not in _HOP_HEADERS}
        try:
            response = self._client.request(
                handler.command, self.upstream + handler.path, content=body, headers=forwarded
            )
        except httpx.TransportError:
            # Podium is down or died mid-request: the client's connection drops, as it would
            # without the proxy in between.
            self.record(self._exchange(handler, headers, body, status=UNANSWERED, content=b""))
            handler.close_connection = True
            return
        content = response.content
        self.record(
            self._exchange(handler, headers, body, status=response.status_code, content=content)
        )
        handler.send_response(response.status_code)
        for name, value in response.headers.items():
            if name.lower() not in _HOP_HEADERS | {"date", "server"}:
                handler.send_header(name, value)
        no_body = response.status_code in (204, 304) or handler.command == "HEAD"
        handler.send_header("Content-Length", "0" if no_body else str(len(content)))
        handler.end_headers()
        if not no_body:
            handler.wfile.write(content)

    @staticmethod
    def _exchange(
        handler: BaseHTTPRequestHandler,
        headers: dict[str, str],
        body: bytes,
        *,
        status: int,
        content: bytes,
    ) -> Exchange:
        split = urlsplit(handler.path)
        return Exchange(
            method=handler.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            request_headers=headers,
            request_body=body,
            status=status,
            response_body=content,
        )

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                proxy._relay(self)

            do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the recorded exchanges are the log."""

        return Handler
