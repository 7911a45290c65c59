"""Account-mail timing: `forgot` and `verify/request` must not tell a known address from an
unknown one by their latency (docs/operations.md, "Mail"), and must stay cheap (the lookup, the
token write and the SMTP hand-off happen after the answer).

One warden on the benchmark's PostgreSQL database sends its mail over SMTP to a real SMTP sink in
this process (asyncio, accepts everything, counts messages). The client sends the five request
kinds one after another on kept-alive connections, interleaved (each cycle sends one of each
kind, in an order shuffled per cycle by a seeded generator), so drift and the background work of
one request fall on all kinds alike. (A fixed order put every unknown `forgot` right behind a
known one, whose token write and SMTP hand-off were still running: the unknown address looked
≈ 14 % slower in two full runs, an artefact of the order, not of the route.) Each known address
is used once per kind, so every known-address request really issues a token and a mail (the
60 s per-user resend bound never short-cuts it).
"""

import asyncio
import http.client
import json
import random
import statistics
import threading
import time

KINDS = ("forgot_known", "forgot_unknown", "verify_known", "verify_unknown", "livez")


class SmtpSink:
    """A minimal SMTP server: enough of RFC 5321 for a client that sends and quits."""

    def __init__(self):
        self.messages = 0
        self.port = None
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc):
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _run(self):
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._session, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _session(self, reader, writer):
        writer.write(b"220 bench-sink ESMTP\r\n")
        in_data = False
        try:
            while line := await reader.readline():
                if in_data:
                    if line == b".\r\n":
                        in_data = False
                        self.messages += 1
                        writer.write(b"250 2.0.0 queued\r\n")
                    continue
                verb = line[:4].upper()
                if verb == b"EHLO":
                    writer.write(b"250-bench-sink\r\n250 8BITMIME\r\n")
                elif verb == b"DATA":
                    in_data = True
                    writer.write(b"354 end with <CRLF>.<CRLF>\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 2.0.0 bye\r\n")
                    await writer.drain()
                    break
                else:  # HELO, MAIL, RCPT, RSET, NOOP
                    writer.write(b"250 2.0.0 ok\r\n")
                await writer.drain()
        finally:
            writer.close()


def _timed(conn, method, path, body):
    payload = json.dumps(body) if body is not None else None
    t0 = time.perf_counter()
    conn.request(method, path, body=payload, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    resp.read()
    return (time.perf_counter() - t0) * 1000, resp.status


def _p(values, pct):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(pct / 100 * (len(values) - 1))))]


def measure(warden_cls, database_url, requests_per_kind, log):
    """Start warden with SMTP on `database_url` (seeded u1..uN@bench.example.com), measure, stop."""
    with SmtpSink() as sink:
        env = {
            "SMTP_URL": f"smtp://127.0.0.1:{sink.port}",
            "MAIL_FROM": "warden <no-reply@bench.example.com>",
            "PUBLIC_URL": "https://bench.example.com",
            "SEND_VERIFICATION_ON_REGISTER": "false",
            "RATE_LIMIT_PASSWORD_FORGOT": "1000000000 per hour",
            "RATE_LIMIT_EMAIL_VERIFY": "1000000000 per hour",
        }
        w = warden_cls("pg-mail", database_url, env)
        w.start()
        try:
            n = requests_per_kind
            bodies = {
                "forgot_known": lambda i: {"email": f"u{100 + i}@bench.example.com"},
                "forgot_unknown": lambda i: {"email": f"nobody{i}@bench.example.com"},
                "verify_known": lambda i: {"email": f"u{100 + n + i}@bench.example.com"},
                "verify_unknown": lambda i: {"email": f"nobody-v{i}@bench.example.com"},
            }
            paths = {
                "forgot_known": "/api/v1/auth/password/forgot",
                "forgot_unknown": "/api/v1/auth/password/forgot",
                "verify_known": "/api/v1/auth/email/verify/request",
                "verify_unknown": "/api/v1/auth/email/verify/request",
            }
            conns = {k: http.client.HTTPConnection("127.0.0.1", w.port, timeout=30) for k in KINDS}
            # warm-up: connections open, statements prepared, the mail pool connected
            for k in KINDS:
                if k == "livez":
                    _timed(conns[k], "GET", "/livez", None)
                else:
                    _timed(conns[k], "POST", paths[k], {"email": f"warmup-{k}@bench.example.com"})
            times = {k: [] for k in KINDS}
            statuses = {k: set() for k in KINDS}
            order = list(KINDS)
            shuffle = random.Random(16).shuffle
            for i in range(n):
                shuffle(order)
                for k in order:
                    if k == "livez":
                        ms, st = _timed(conns[k], "GET", "/livez", None)
                    else:
                        ms, st = _timed(conns[k], "POST", paths[k], bodies[k](i))
                    times[k].append(ms)
                    statuses[k].add(st)
            expected_mails = 2 * n
            deadline = time.time() + 30
            while sink.messages < expected_mails and time.time() < deadline:
                time.sleep(0.2)
        finally:
            w.stop()
    out = {"requests_per_kind": n, "mails_expected": expected_mails, "mails_received": sink.messages}
    for k in KINDS:
        out[k] = {"p50_ms": round(statistics.median(times[k]), 3),
                  "p90_ms": round(_p(times[k], 90), 3), "p99_ms": round(_p(times[k], 99), 3),
                  "statuses": sorted(statuses[k])}
    livez = out["livez"]["p50_ms"]
    for route in ("forgot", "verify"):
        known, unknown = out[f"{route}_known"]["p50_ms"], out[f"{route}_unknown"]["p50_ms"]
        out[f"{route}_known_vs_unknown"] = round(known / unknown, 3)
        out[f"{route}_worst_vs_livez"] = round(max(known, unknown) / livez, 3)
    log(f"  account mail, {n} sequential requests per kind: "
        + ", ".join(f"{k} p50 {out[k]['p50_ms']:.3f} ms" for k in KINDS)
        + f"; mails {sink.messages}/{expected_mails}")
    return out


def markdown(res):
    """The report section (bench/report.py calls it when the run measured it)."""
    a = res.get("account_mail")
    if not a:
        return []
    rows = [
        "## Account mail: known vs unknown address",
        "",
        f"{a['requests_per_kind']} sequential requests per kind, interleaved, over kept-alive "
        f"connections; warden sends over SMTP to a sink in the harness "
        f"({a['mails_received']} of {a['mails_expected']} expected mails arrived). Target: the known "
        "and the unknown address within 10 % of each other (p50), neither above 2x `/livez`.",
        "",
        "| request | p50 ms | p90 ms | p99 ms | statuses |",
        "|---|---:|---:|---:|---|",
    ]
    for k in KINDS:
        r = a[k]
        rows.append(f"| {k} | {r['p50_ms']:.3f} | {r['p90_ms']:.3f} | {r['p99_ms']:.3f} | "
                    f"{', '.join(map(str, r['statuses']))} |")
    rows.append("")
    for route in ("forgot", "verify"):
        ratio, vs_livez = a[f"{route}_known_vs_unknown"], a[f"{route}_worst_vs_livez"]
        ok = abs(ratio - 1) <= 0.10 and vs_livez <= 2.0
        rows.append(f"- `{route}`: known / unknown p50 = {ratio:.3f}, slower of the two / `/livez` "
                    f"p50 = {vs_livez:.2f} ({'met' if ok else 'MISSED'})")
    rows.append("")
    return rows
