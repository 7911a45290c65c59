"""Made-up methods on one connection: answered, bounded memory and metrics."""

from __future__ import annotations

import socket

from harness.client import request
from harness.config import RUN_ID, SHUTDOWN_TIMEOUT_SECS, env_float, env_int, now
from harness.load import metric
from harness.procs import Postgres, Redis, Warden, base_env, free_port, make_tempdir, settle_rss
from harness.scenario import Scenario, common_checks


FLOOD_REQUESTS = env_int("CHAOS_FLOOD_REQUESTS", 10000)
FLOOD_RSS_GROWTH_MB = env_float("CHAOS_FLOOD_RSS_MB", 15.0)
FLOOD_METRICS_MAX_BYTES = 64 * 1024
def flood_methods(port: int, count: int, batch: int = 200) -> int:
    """`count` requests with made-up methods over one keep-alive connection, pipelined in
    batches; returns how many were answered."""
    answered = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        for start in range(0, count, batch):
            n = min(batch, count - start)
            sock.sendall(b"".join(f"M{i:07d} /nope HTTP/1.1\r\nHost: warden\r\n\r\n".encode()
                                  for i in range(start, start + n)))
            buf, seen = b"", 0
            while seen < n:
                chunk = sock.recv(1 << 16)
                if not chunk:
                    return answered + seen
                buf += chunk
                seen = buf.count(b"HTTP/1.1 ")
            answered += n
    return answered


def scenario_method_flood(pg: Postgres, redis: Redis | None) -> Scenario:
    """Requests with made-up methods (issue 17, item 1): the `method` label stays bounded, so
    neither RSS nor the /metrics body grows with the number of methods."""
    s = Scenario("method_flood")
    url = pg.createdb(f"chaos_flood_{RUN_ID}")
    work = make_tempdir("method-flood")
    w = Warden("flood", base_env(free_port(), url), work)
    w.start()
    w.wait_ready()
    try:
        for _ in range(20):
            request(w.port, "GET", "/api/v1/", timeout=5)
        base = settle_rss(w)
        t0 = now()
        answered = flood_methods(w.port, FLOOD_REQUESTS)
        took = now() - t0
        after = settle_rss(w)
        scrape = request(w.port, "GET", "/metrics", timeout=10)
        body = scrape.body if isinstance(scrape.body, str) else ""
        other = metric(w.port, 'warden_http_requests_total{method="OTHER"')
        s.fig("requests", f"{answered} answered in {took:.1f}s")
        s.fig("RSS MB before / after", f"{base:.0f} / {after:.0f}")
        s.fig("/metrics bytes", len(body))
        s.check("every flood request answered", answered == FLOOD_REQUESTS, answered)
        s.check("made-up methods counted as OTHER", other == FLOOD_REQUESTS, other)
        s.check("no made-up method in /metrics", "M000" not in body, "")
        s.check(f"/metrics below {FLOOD_METRICS_MAX_BYTES} bytes",
                0 < len(body) < FLOOD_METRICS_MAX_BYTES, len(body))
        s.check(f"RSS growth below {FLOOD_RSS_GROWTH_MB:.0f} MB",
                after - base < FLOOD_RSS_GROWTH_MB, f"{after - base:.1f} MB")
        common_checks(s, [w], [])
    finally:
        w.sigterm()
        w.wait_exit(SHUTDOWN_TIMEOUT_SECS + 5)
    return s
