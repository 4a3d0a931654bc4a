"""A load balancer in miniature for the tests: a reverse proxy on loopback that forwards every request
to the live server and appends the connecting client's address to X-Forwarded-For, as nginx's
`$proxy_add_x_forwarded_for` and cloud load balancers do. Clients connect from addresses of their
own on the loopback network (127.0.0.2, 127.0.0.3, ...), so the proxy sees them apart while the
site sees every request come from the proxy.
"""

import http.client
import threading
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode, urlsplit

# Headers that belong to one connection, not to the request (RFC 9110, 7.6.1).
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}


class ReverseProxy:
    """`with ReverseProxy(live_server.url) as proxy:` -> proxy.host, proxy.port."""

    def __init__(self, upstream: str):
        parts = urlsplit(upstream)
        upstream_address = (parts.hostname, parts.port)

        class Forward(BaseHTTPRequestHandler):
            def forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                headers.pop("X-Forwarded-For", None)
                seen = self.headers.get("X-Forwarded-For")
                client = self.client_address[0]
                headers["X-Forwarded-For"] = f"{seen}, {client}" if seen else client
                upstream = http.client.HTTPConnection(*upstream_address, timeout=60)
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                finally:
                    upstream.close()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in HOP_BY_HOP | {"content-length"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_HEAD = forward

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
        self.host, self.port = self.server.server_address[:2]

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class Response:
    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes):
        self.status_code = status
        self.headers = headers
        self.text = body.decode("utf-8", "replace")


class LoopbackClient:
    """A browser at its own loopback address, with cookies and Django's CSRF token, that never
    follows redirects. `forwarded_for` sends an X-Forwarded-For of the client's choosing (a forgery)."""

    def __init__(self, host: str, port: int, *, address: str):
        self.host, self.port, self.address = host, port, address
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | None = None, *, forwarded_for: str = ""):
        headers = {"Host": f"{self.host}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if method == "POST":
            if "csrftoken" not in self.cookies:
                self.request("GET", "/accounts/login/")
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(data or {})
        if forwarded_for:
            headers["X-Forwarded-For"] = forwarded_for
        connection = http.client.HTTPConnection(
            self.host, self.port, timeout=60, source_address=(self.address, 0)
        )
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            response = Response(answer.status, answer.getheaders(), answer.read())
        finally:
            connection.close()
        for name, value in response.headers:
            if name.lower() == "set-cookie":
                for morsel in SimpleCookie(value).values():
                    self.cookies[morsel.key] = morsel.value
        return response

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict, **kwargs):
        return self.request("POST", path, data, **kwargs)

    def forget_session(self) -> None:
        self.cookies = {k: v for k, v in self.cookies.items() if k == "csrftoken"}
