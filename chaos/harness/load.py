"""Steady load under a fault, its records and figures, and the checks on what was written."""

from __future__ import annotations

import re
import threading
import time

from harness.client import Resp, request
from harness.config import CLIENT_TIMEOUT, PASSWORD, READ_WORKERS, REG_WORKERS, RUN_ID
from harness.procs import Postgres, Warden


class Record:
    __slots__ = ("kind", "port", "t0", "t1", "status", "code", "err", "rl", "retries", "name",
                 "rid")

    def __init__(self, kind, port, r: Resp, retries=0, name="", rid=""):
        self.kind = kind
        self.port = port
        self.t0 = r.t0
        self.t1 = r.t1
        self.status = r.status
        self.code = r.code
        self.err = r.err
        self.rl = "ratelimit-limit" in r.headers
        self.retries = retries
        self.name = name
        self.rid = rid

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def label(self) -> str:
        if self.err:
            return self.err
        return f"{self.status} {self.code}".strip()


class Load:
    """Registration threads (unique names; every 201 remembered) and authenticated-read threads
    (GET /api/v1/auth/me). With several ports the threads go round-robin and, when
    `retry_refused`, a refused connection is retried on the next instance (as a load balancer
    would)."""

    def __init__(self, ports: list[int], tag: str, reg_workers=REG_WORKERS,
                 read_workers=READ_WORKERS, retry_refused=False) -> None:
        self.ports = ports
        self.tag = tag
        self.reg_workers = reg_workers
        self.read_workers = read_workers
        self.retry_refused = retry_refused
        self.records: list[Record] = []
        self.created: list[str] = []
        self.lock = threading.Lock()
        self.stop_flag = threading.Event()
        self.threads: list[threading.Thread] = []
        self.counter = 0
        self.seq = 0
        self.tokens: list[str] = []

    def xff(self, worker: int) -> str:
        return f"10.{hash(self.tag) % 200 + 20}.{worker // 250}.{worker % 250 + 1}"

    def next_name(self) -> str:
        with self.lock:
            self.counter += 1
            return f"c{RUN_ID}_{self.tag}_{self.counter}"

    def send(self, kind, method, path, body=None, token=None, worker=0, rr=0, name=""):
        attempts = len(self.ports) if self.retry_refused else 1
        retries = 0
        r = None
        port = self.ports[rr % len(self.ports)]
        with self.lock:
            self.seq += 1
            rid = f"chaos-{RUN_ID}-{self.tag}-{self.seq}"
        for i in range(attempts):
            port = self.ports[(rr + i) % len(self.ports)]
            r = request(port, method, path, body, token=token, xff=self.xff(worker),
                        headers={"X-Request-ID": rid})
            if r.err == "refused" and i + 1 < attempts:
                retries += 1
                continue
            break
        if r.err == "refused":
            time.sleep(0.02)  # nothing listens: do not spin
        rec = Record(kind, port, r, retries, name, rid)
        with self.lock:
            self.records.append(rec)
            if kind == "register" and r.status == 201:
                self.created.append(name)
        return r

    def prepare(self) -> None:
        """One user per read worker, logged in before the load starts."""
        for w in range(self.read_workers):
            name = self.next_name()
            port = self.ports[w % len(self.ports)]
            xff = self.xff(100 + w)
            r = request(port, "POST", "/api/v1/auth/register", user_body(name), xff=xff)
            if r.status != 201:
                raise RuntimeError(f"prepare register: {r.status} {r.err} {r.body}")
            with self.lock:
                self.created.append(name)
            r = request(port, "POST", "/api/v1/auth/login",
                        {"email": f"{name}@example.com", "password": PASSWORD}, xff=xff)
            if r.status != 200:
                raise RuntimeError(f"prepare login: {r.status} {r.err} {r.body}")
            self.tokens.append(r.data()["access_token"])

    def reg_loop(self, w: int) -> None:
        rr = w
        while not self.stop_flag.is_set():
            name = self.next_name()
            self.send("register", "POST", "/api/v1/auth/register", user_body(name), worker=w,
                      rr=rr, name=name)
            rr += 1

    def read_loop(self, w: int) -> None:
        rr = w
        token = self.tokens[w]
        while not self.stop_flag.is_set():
            self.send("read", "GET", "/api/v1/auth/me", token=token, worker=100 + w, rr=rr)
            rr += 1
            time.sleep(0.005)

    def start(self) -> "Load":
        self.prepare()
        for w in range(self.reg_workers):
            self.threads.append(threading.Thread(target=self.reg_loop, args=(w,), daemon=True))
        for w in range(self.read_workers):
            self.threads.append(threading.Thread(target=self.read_loop, args=(w,), daemon=True))
        for t in self.threads:
            t.start()
        return self

    def stop(self) -> None:
        self.stop_flag.set()
        for t in self.threads:
            t.join(timeout=CLIENT_TIMEOUT + 5)

    def snapshot(self) -> list[Record]:
        with self.lock:
            return list(self.records)


def user_body(name: str) -> dict:
    return {"username": name, "email": f"{name}@example.com", "password": PASSWORD,
            "first_name": "Chaos"}


def rate(records: list[Record], t_from: float, t_to: float, ok_only=False) -> float:
    span = max(t_to - t_from, 1e-6)
    n = sum(1 for r in records if t_from <= r.t1 < t_to and (r.ok or not ok_only))
    return n / span


def pct(records: list[Record]) -> str:
    lat = sorted(r.t1 - r.t0 for r in records)
    if not lat:
        return "-"
    return f"{lat[len(lat) // 2]:.3f}/{lat[min(len(lat) - 1, int(len(lat) * 0.95))]:.3f}"


def timeline(records: list[Record], t_ref: float) -> dict[str, int]:
    """2xx answers per second, keyed by the second relative to t_ref (e.g. the fault)."""
    out: dict[int, int] = {}
    for r in records:
        if r.ok:
            k = int((r.t1 - t_ref) // 1)
            out[k] = out.get(k, 0) + 1
    return {f"{k:+d}": v for k, v in sorted(out.items())}


def histogram(records: list[Record]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in records:
        out[r.label()] = out.get(r.label(), 0) + 1
    return dict(sorted(out.items()))


class Poller:
    """Polls GET /readyz every 100 ms: (time, status, checks)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.samples: list[tuple[float, int, dict]] = []
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self) -> None:
        while not self.stop_flag.is_set():
            r = request(self.port, "GET", "/readyz", timeout=5)
            checks = r.body.get("checks", {}) if isinstance(r.body, dict) else {}
            self.samples.append((r.t1, r.status, checks))
            time.sleep(0.1)

    def start(self) -> "Poller":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_flag.set()
        self.thread.join(timeout=10)


def metric(port: int, name: str) -> float:
    r = request(port, "GET", "/metrics", timeout=5)
    if r.status != 200 or not isinstance(r.body, str):
        return float("nan")
    total = 0.0
    for line in r.body.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            try:
                total += float(line.rsplit(" ", 1)[1])
            except ValueError:
                pass
    return total


def processed_ids(wardens: list["Warden"]) -> set[str]:
    """Request ids warden logged `request completed` for (the server took the request)."""
    ids = set()
    for w in wardens:
        for line in w.all_output().splitlines():
            if '"request completed"' in line:
                m = re.search(r'"request_id":"([^"]+)"', line)
                if m:
                    ids.add(m.group(1))
    return ids


def split_resets(pg: "Postgres", db: str, wardens: list["Warden"],
                 records: list[Record]) -> tuple[list[Record], list[Record]]:
    """Resets the server never processed (no access-log line for the request id, and for a
    registration no stored user) versus resets of requests it took (real failures)."""
    resets = [r for r in records if r.err.startswith("reset")]
    if not resets:
        return [], []
    seen = processed_ids(wardens)
    stored = set(pg.psql(db, f"SELECT username FROM users.users WHERE username LIKE "
                             f"'c{RUN_ID}_%'").split())
    unread, taken = [], []
    for r in resets:
        if r.rid in seen or (r.kind == "register" and r.name.lower() in stored):
            taken.append(r)
        else:
            unread.append(r)
    return unread, taken


def lost_writes(pg: Postgres, db: str, created: list[str]) -> tuple[int, int]:
    """(answered 201 but missing in users.users, rows found)."""
    if not created:
        return 0, 0
    prefix = f"c{RUN_ID}_"
    rows = set(pg.psql(db, f"SELECT username FROM users.users WHERE username LIKE '{prefix}%'")
               .split())
    missing = [n for n in created if n.lower() not in rows]
    return len(missing), len(rows)
