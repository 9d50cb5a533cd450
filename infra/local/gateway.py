"""The local HTTP gateway: turns each request into the API Gateway v2 event that AWS would
send, runs the authorizer where the route table says so, calls the function and turns its
answer back into HTTP. Also serves the local-only ``/_local/*`` routes."""

from __future__ import annotations

import base64
import errno
import json
import logging
import re
import sys
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from infra.local.dispatch import Dispatcher
from infra.local.errors import PortInUse
from infra.local.functions import LocalFunctions, UnknownFunction
from jobtrail.domain.times import iso, utc_now
from jobtrail.store.workspaces import create_workspace

log = logging.getLogger("jobtrail.local.gateway")
_INVOKE = re.compile(r"^/_local/invoke/([a-z_-]+)$")
_MAX_BODY = 10 * 1024 * 1024  # API Gateway's own payload limit


def request_headers(message: Message) -> dict[str, str]:
    """A request's headers as API Gateway passes them on: a header sent more than once is
    one value, joined with commas (so that two ``Authorization`` headers are one value the
    authorizer refuses, not the last one), cookies with semicolons."""
    joined: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for name, value in message.items():
        key = name.lower()
        names.setdefault(key, name)
        joined.setdefault(key, []).append(value)
    return {
        names[key]: ("; " if key == "cookie" else ",").join(values)
        for key, values in joined.items()
    }


class Gateway(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog is 5: a burst of more connections than that (twenty
    # browsers, a script's parallel creates) had some reset before they were accepted.
    request_queue_size = 128

    def __init__(self, port: int, functions: LocalFunctions, *, quiet: bool = False) -> None:
        self.functions = functions
        self.dispatcher = Dispatcher(functions)
        self.quiet = quiet
        try:
            super().__init__(("127.0.0.1", port), _Handler)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            raise PortInUse(f"port {port} is in use: set PORT to a free one") from None


class _Handler(BaseHTTPRequestHandler):
    server: Gateway
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def do_GET(self) -> None:
        self._serve()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _body(self) -> bytes:
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, headers: dict[str, str], body: bytes, cookies=()) -> None:  # type: ignore[no-untyped-def]
        self.send_response(status)
        lowered = {k.lower() for k in headers}
        for name, value in headers.items():
            self.send_header(name, value)
        for cookie in cookies:
            self.send_header("Set-Cookie", cookie)
        if "content-length" not in lowered:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, {"Content-Type": "application/json"}, json.dumps(payload).encode())

    def _serve(self) -> None:
        url = urlsplit(self.path)
        if int(self.headers.get("content-length") or 0) > _MAX_BODY:
            self._json(413, {"message": "Request Entity Too Large"})
            return
        body = self._body()
        try:
            if url.path.startswith("/_local/"):
                self._local(url.path, body)
            else:
                self._proxy(url.path, url.query, body)
        except Exception:
            log.exception("gateway error")
            self._json(500, {"message": "Internal Server Error"})

    def _local(self, path: str, body: bytes) -> None:
        if self.command != "POST":
            self._json(405, {"error": {"code": "method_not_allowed", "message": "Use POST."}})
            return
        try:
            payload = json.loads(body) if body.strip() else None
        except ValueError:
            self._json(400, {"error": {"code": "invalid_json", "message": "Send JSON."}})
            return
        invoke = _INVOKE.match(path)
        if invoke:
            try:
                result = self.server.functions.invoke(invoke.group(1), payload)
            except UnknownFunction:
                self._json(404, {"error": {"code": "unknown_function", "message": path}})
                return
            self._json(200, {"result": result})
        elif path == "/_local/workspaces":
            name = (payload or {}).get("name") if isinstance(payload, dict) else None
            if not isinstance(name, str) or not name.strip() or len(name) > 200:
                self._json(
                    422,
                    {
                        "error": {
                            "code": "validation_error",
                            "message": "Give the workspace a name (1-200).",
                        }
                    },
                )
                return
            workspace_id, api_key = create_workspace(name.strip(), now=iso(utc_now()))
            self._json(201, {"workspace_id": workspace_id, "api_key": api_key})
        else:
            self._json(404, {"error": {"code": "not_found", "message": path}})

    def _proxy(self, path: str, query: str, body: bytes) -> None:
        self._answer(
            self.server.dispatcher.request(
                self.command,
                path,
                query=query,
                headers=request_headers(self.headers),
                body=body,
                source_ip=self.client_address[0],
            )
        )

    def _answer(self, result: Any) -> None:
        """A payload 2.0 answer, read as API Gateway reads it."""
        if not (isinstance(result, dict) and "statusCode" in result):
            self._json(200, result)
            return
        body = result.get("body") or ""
        raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
        headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers[name] = ",".join(str(v) for v in values)
        self._send(int(result["statusCode"]), headers, raw, result.get("cookies") or ())
