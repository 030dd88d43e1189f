"""A real local HTTP server in a thread, answering GETs with a routing function's :class:`Reply`.

What a socket adds to the in-process ``httpx.MockTransport``: a reply can be delayed (the
client's timeout fires) or truncated (the length announced, part of the body sent, the
connection closed), and another process (the CLI) can reach it by URL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .api_replies import Reply

Respond = Callable[[str, dict[str, str]], Reply]  # (raw request target, lower-cased headers) -> reply


class LocalServer:
    """Serves ``respond`` on 127.0.0.1 on a free port, from :meth:`start` to :meth:`stop`."""

    def __init__(self, respond: Respond) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(respond))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"


def _handler_class(respond: Respond) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms stalls

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802
            try:
                reply = respond(self.path, {name.lower(): value for name, value in self.headers.items()})
                _send(self, reply)
            except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                self.close_connection = True

    return Handler


def _send(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
    if reply.delay:
        time.sleep(reply.delay)
    body = reply.body or b""
    handler.send_response(reply.status)
    for name, value in reply.headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    if reply.truncate is not None:
        handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.write(body if reply.truncate is None else body[: reply.truncate])
    handler.wfile.flush()
    if reply.truncate is not None:
        handler.close_connection = True
