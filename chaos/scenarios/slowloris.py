"""Slow clients holding connections open: header timeout, bounded memory."""

from __future__ import annotations

import socket

from harness.client import request
from harness.config import RUN_ID, SHUTDOWN_TIMEOUT_SECS, env_float, env_int, now
from harness.procs import (
    Postgres, Redis, Warden, base_env, free_port, make_tempdir, rss_mb, settle_rss
)
from harness.scenario import Scenario, common_checks


SLOWLORIS_CONNS = env_int("CHAOS_SLOWLORIS_CONNS", 600)
SLOWLORIS_TIMEOUT_SECS = 3  # HEADER_READ_TIMEOUT_SECS for that scenario
SLOWLORIS_RSS_GROWTH_MB = env_float("CHAOS_SLOWLORIS_RSS_MB", 150.0)


def open_slow_client(port: int, header_bytes: int) -> socket.socket | None:
    """A connection that sends a request head of about `header_bytes` and never finishes it."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError:
        return None
    head = b"GET /livez HTTP/1.1\r\nHost: warden\r\n"
    line = b"X-Slow: " + b"a" * 1000 + b"\r\n"
    try:
        sock.sendall(head + line * max(1, header_bytes // len(line)))
    except OSError:
        pass  # answered 431 and closed while we were still sending
    return sock


def wait_all_closed(socks: list[socket.socket], timeout: float) -> tuple[int, int]:
    """Wait until the server has closed every socket; returns (closed, answered 431)."""
    import selectors
    sel = selectors.DefaultSelector()
    for sock in socks:
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ)
    closed, got_431, deadline = 0, 0, now() + timeout
    while closed < len(socks) and now() < deadline:
        for key, _ in sel.select(timeout=0.5):
            sock = key.fileobj
            try:
                data = sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if data.startswith(b"HTTP/1.1 431"):
                got_431 += 1
            if not data:
                closed += 1
                sel.unregister(sock)
    sel.close()
    return closed, got_431


def scenario_slowloris(pg: Postgres, redis: Redis | None) -> Scenario:
    """Many clients that never finish their request heads (issue 17, item 2): half send heads
    below MAX_HEADER_BYTES and stall, half send ~390 KB heads. RSS stays bounded, the server
    answers others meanwhile, and every slow connection is closed by the header timeout."""
    s = Scenario("slowloris")
    url = pg.createdb(f"chaos_slow_{RUN_ID}")
    work = make_tempdir("slowloris")
    w = Warden("slow", base_env(free_port(), url,
                                HEADER_READ_TIMEOUT_SECS=str(SLOWLORIS_TIMEOUT_SECS)), work)
    w.start()
    w.wait_ready()
    socks: list[socket.socket] = []
    try:
        for _ in range(20):
            request(w.port, "GET", "/api/v1/", timeout=5)
        base = settle_rss(w)
        t0 = now()
        for i in range(SLOWLORIS_CONNS):
            sock = open_slow_client(w.port, 390_000 if i % 2 else 60_000)
            if sock is not None:
                socks.append(sock)
        opened = now() - t0
        peak = rss_mb(w)
        probe = request(w.port, "GET", "/livez", timeout=5)
        closed, got_431 = wait_all_closed(socks, SLOWLORIS_TIMEOUT_SECS + 15)
        after = settle_rss(w, 2.0)
        s.fig("connections", f"{len(socks)} opened in {opened:.1f}s")
        s.fig("RSS MB before / peak / after", f"{base:.0f} / {peak:.0f} / {after:.0f}")
        s.fig("answered 431", got_431)
        s.check("every slow connection was accepted", len(socks) == SLOWLORIS_CONNS,
                len(socks))
        s.check(f"RSS growth under the attack below {SLOWLORIS_RSS_GROWTH_MB:.0f} MB",
                peak - base < SLOWLORIS_RSS_GROWTH_MB, f"{peak - base:.0f} MB")
        s.check("a request during the attack is answered", probe.status == 200,
                probe.status or probe.err)
        s.check("oversized heads answered 431", got_431 >= len(socks) // 2 - 5, got_431)
        s.check(f"every slow connection closed within the {SLOWLORIS_TIMEOUT_SECS}s header "
                "timeout (+ margin)", closed == len(socks), f"{closed}/{len(socks)}")
        s.check(f"RSS after the attack within {SLOWLORIS_RSS_GROWTH_MB:.0f} MB of the start",
                after - base < SLOWLORIS_RSS_GROWTH_MB, f"{after - base:.0f} MB")
        common_checks(s, [w], [])
    finally:
        for sock in socks:
            sock.close()
        w.sigterm()
        w.wait_exit(SHUTDOWN_TIMEOUT_SECS + 5)
    return s
