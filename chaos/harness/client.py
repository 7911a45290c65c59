"""A minimal HTTP client for the instances (one connection per request, no proxies)."""

from __future__ import annotations

import http.client
import json
import socket

from harness.config import CLIENT_TIMEOUT, now


class Resp:
    __slots__ = ("status", "headers", "body", "err", "t0", "t1")

    def __init__(self, status=0, headers=None, body=None, err="", t0=0.0, t1=0.0) -> None:
        self.status = status
        self.headers = headers or {}
        self.body = body
        self.err = err
        self.t0 = t0
        self.t1 = t1

    @property
    def code(self) -> str:
        try:
            return self.body["error"]["code"]
        except (TypeError, KeyError):
            return ""

    def data(self):
        try:
            return self.body["data"]
        except (TypeError, KeyError):
            return None


def request(port: int, method: str, path: str, body=None, token: str | None = None,
            xff: str | None = None, timeout: float = CLIENT_TIMEOUT,
            headers: dict | None = None) -> Resp:
    """One request on a fresh connection (`Connection: close`, as a load balancer's new
    upstream connection): a refused connect is distinguishable from a request the server took."""
    t0 = now()
    hdrs = {"Connection": "close", "Accept": "application/json"}
    if body is not None:
        hdrs["Content-Type"] = "application/json"
    if token:
        hdrs["Authorization"] = f"Bearer {token}"
    if xff:
        hdrs["X-Forwarded-For"] = xff
    if headers:
        hdrs.update(headers)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        try:
            conn.connect()
        except ConnectionRefusedError:
            return Resp(err="refused", t0=t0, t1=now())
        except OSError as e:
            return Resp(err=f"connect:{type(e).__name__}", t0=t0, t1=now())
        try:
            payload = json.dumps(body).encode() if body is not None else None
            conn.request(method, path, body=payload, headers=hdrs)
            r = conn.getresponse()
            raw = r.read()
            headers_out = {k.lower(): v for k, v in r.getheaders()}
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw.decode("utf-8", "replace")
            return Resp(r.status, headers_out, parsed, "", t0, now())
        except socket.timeout:
            return Resp(err="timeout", t0=t0, t1=now())
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected) as e:
            return Resp(err=f"reset:{type(e).__name__}", t0=t0, t1=now())
        except (OSError, http.client.HTTPException) as e:
            return Resp(err=f"error:{type(e).__name__}", t0=t0, t1=now())
    finally:
        conn.close()
