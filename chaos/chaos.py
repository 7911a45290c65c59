#!/usr/bin/env python3
"""warden fault injection and scale-out harness (issue 8).

Starts a private PostgreSQL cluster (initdb + pg_ctl on a spare port, in a temp dir) and private
Redis servers, runs real `warden serve` processes against them under a steady load, injects faults
and asserts what the contract (api.md §1.7, §2.5, §6.5, §7.3, §11) promises. All traffic goes to
127.0.0.1. Every process, cluster directory and database it creates is removed on exit, on
SIGTERM/SIGINT and when the overall deadline passes.

    WARDEN_BIN=target/release/warden python3 chaos/chaos.py [scenario ...]

Scenarios: pg_outage redis_outage sigterm logs scaleout slowloris method_flood (default: all, in
that order).
Tuning (environment): see chaos/README.md. Exit status: 0 when every assertion held, 1 otherwise,
2 on a harness error (missing binary, cluster would not start), 124 when the deadline passed.
"""

from __future__ import annotations

import ctypes
import errno
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

# ---------------------------------------------------------------------------------------------
# configuration


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


WARDEN_BIN = os.environ.get("WARDEN_BIN", "target/release/warden")
PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
REDIS_SERVER = os.environ.get("REDIS_SERVER", shutil.which("redis-server") or "redis-server")
PSQL = shutil.which("psql") or os.path.join(PG_BIN, "psql")

LOAD_SECS = env_float("CHAOS_LOAD_SECS", 3.0)  # steady load before and after each fault
PG_DOWN_SECS = env_float("CHAOS_PG_DOWN_SECS", 5.0)
REDIS_DOWN_SECS = env_float("CHAOS_REDIS_DOWN_SECS", 4.0)
REG_WORKERS = env_int("CHAOS_REG_WORKERS", 3)  # threads registering unique users
READ_WORKERS = env_int("CHAOS_READ_WORKERS", 3)  # threads doing authenticated reads
ROUNDS = env_int("CHAOS_ROUNDS", 1)  # how many times each fault is injected
DEADLINE_SECS = env_float("CHAOS_DEADLINE_SECS", 300.0)
REPORT_PATH = os.environ.get("CHAOS_REPORT", "")
STATE_PATH = os.environ.get("CHAOS_STATE", "")  # pids/dirs for the shell wrapper's trap
KEEP = os.environ.get("CHAOS_KEEP", "") == "1"  # keep temp dirs (logs) for inspection

REQUEST_TIMEOUT_SECS = 10  # warden REQUEST_TIMEOUT_SECS for these runs
DB_POOL_TIMEOUT_SECS = 2
SHUTDOWN_TIMEOUT_SECS = 15
CLIENT_TIMEOUT = 35.0  # per-request client timeout
RECOVERY_BOUND = 2.0  # full service this long after PostgreSQL is back (issue 8)
REDIS_RECOVERY_BOUND = 5.0
SECRET_KEY = "chaos-" + "k" * 40
PASSWORD = "Chaos-Pass123"
RUN_ID = "%x" % (int(time.time() * 1000) % 0xFFFFFFF)
IS_ROOT = os.geteuid() == 0
ALL_SCENARIOS = ["pg_outage", "redis_outage", "sigterm", "logs", "scaleout", "slowloris",
                 "method_flood"]
T0 = time.monotonic()


def now() -> float:
    return time.monotonic()


def log(message: str) -> None:
    print(f"[chaos {now() - T0:7.2f}s] {message}", flush=True)


# ---------------------------------------------------------------------------------------------
# cleanup registry: every process and directory we create is registered here first


class Registry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.cleanups: list[tuple[str, object]] = []
        self.done = False

    def add(self, label: str, fn) -> None:
        with self.lock:
            self.cleanups.append((label, fn))
        self.write_state()

    def remove(self, fn) -> None:
        with self.lock:
            self.cleanups = [(l, f) for (l, f) in self.cleanups if f is not fn]
        self.write_state()

    def write_state(self) -> None:
        if not STATE_PATH:
            return
        with self.lock:
            labels = [label for label, _ in self.cleanups]
        try:
            with open(STATE_PATH, "w") as f:
                f.write("\n".join(labels) + ("\n" if labels else ""))
        except OSError:
            pass

    def refuse_after_cleanup(self) -> None:
        """Nothing new starts once cleanup began (the watchdog runs on another thread)."""
        if self.done:
            raise RuntimeError("cleanup in progress")

    def run_all(self) -> None:
        with self.lock:
            if self.done:
                return
            self.done = True
            items = list(reversed(self.cleanups))
            self.cleanups = []
        for label, fn in items:
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - cleanup must go on
                print(f"[chaos] cleanup {label}: {e}", file=sys.stderr)
        self.write_state()


REGISTRY = Registry()


def _die_with_parent() -> None:
    """preexec_fn: SIGKILL this child when the harness dies (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)
    except OSError:
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def make_tempdir(prefix: str) -> str:
    path = tempfile.mkdtemp(prefix=f"warden-chaos-{prefix}-")

    def rm() -> None:
        if KEEP:
            print(f"[chaos] kept {path}", file=sys.stderr)
        else:
            shutil.rmtree(path, ignore_errors=True)

    REGISTRY.add(f"dir {path}", rm)
    return path


# ---------------------------------------------------------------------------------------------
# private PostgreSQL


class Postgres:
    def __init__(self) -> None:
        self.dir = make_tempdir("pg")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        if IS_ROOT:
            import pwd

            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)
        self.run(
            [f"{PG_BIN}/initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync",
             "-E", "UTF8", "--locale=C"],
            timeout=60,
        )
        REGISTRY.add(f"pg {self.data}", self.destroy)
        self.start()

    def run(self, cmd: list[str], timeout: float) -> subprocess.CompletedProcess:
        if IS_ROOT:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd="/")
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {done.stdout}{done.stderr}")
        return done

    def start(self) -> None:
        REGISTRY.refuse_after_cleanup()
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=100"
        self.run([f"{PG_BIN}/pg_ctl", "-D", self.data, "-o", opts, "-l",
                  os.path.join(self.dir, "server.log"), "-w", "-t", "30", "start"], timeout=40)

    def stop_fast(self) -> None:
        self.run([f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "30", "stop"],
                 timeout=40)

    def destroy(self) -> None:
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            try:
                self.run([f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", "immediate", "-w", "-t", "20",
                          "stop"], timeout=30)
            except Exception as e:  # noqa: BLE001
                print(f"[chaos] pg stop: {e}", file=sys.stderr)

    def url(self, db: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def psql(self, db: str, sql: str) -> str:
        done = subprocess.run(
            [PSQL, "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db,
             "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql],
            capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise RuntimeError(f"psql: {done.stderr}")
        return done.stdout

    def createdb(self, name: str) -> str:
        self.psql("postgres", f'CREATE DATABASE "{name}"')
        return self.url(name)


# ---------------------------------------------------------------------------------------------
# private Redis


class Redis:
    def __init__(self) -> None:
        self.dir = make_tempdir("redis")
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        REGISTRY.add(f"redis port {self.port}", self.stop)
        self.start()

    def start(self) -> None:
        REGISTRY.refuse_after_cleanup()
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir, "--daemonize", "no"],
            stdout=open(os.path.join(self.dir, "redis.log"), "ab"), stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent, cwd=self.dir)
        deadline = now() + 10
        while not port_open(self.port):
            if now() > deadline or self.proc.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()  # SIGKILL by pid: an abrupt outage
            self.proc.wait(timeout=10)
        self.proc = None

    def cli(self, *args: str) -> str:
        done = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), *args],
                              capture_output=True, text=True, timeout=10)
        return done.stdout


# ---------------------------------------------------------------------------------------------
# warden processes


def base_env(port: int, database_url: str, **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "APP_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "AUTO_MIGRATE": "true",
        "LOG_DIR": "",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "info",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_URL": database_url,
        "DB_POOL_TIMEOUT_SECS": str(DB_POOL_TIMEOUT_SECS),
        "REQUEST_TIMEOUT_SECS": str(REQUEST_TIMEOUT_SECS),
        "SHUTDOWN_TIMEOUT_SECS": str(SHUTDOWN_TIMEOUT_SECS),
        "RATE_LIMIT_STORAGE_URL": "memory://",
        "RATE_LIMIT_LOGIN": "100000 per minute",
        "RATE_LIMIT_REGISTER": "100000 per minute",
        "RATE_LIMIT_DEFAULT": "10000000 per hour",
        "TRUSTED_PROXIES": "127.0.0.1",
        "CORS_ORIGINS": "http://localhost",
    }
    env.update(extra)
    return env


class Warden:
    def __init__(self, name: str, env: dict[str, str], workdir: str) -> None:
        self.name = name
        self.env = env
        self.port = int(env["PORT"])
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        REGISTRY.add(f"warden {name} port {self.port}", self.kill)

    @property
    def stdout_path(self) -> str:
        return os.path.join(self.workdir, f"{self.name}.{self.starts}.stdout")

    @property
    def stderr_path(self) -> str:
        return os.path.join(self.workdir, f"{self.name}.{self.starts}.stderr")

    def start(self) -> None:
        REGISTRY.refuse_after_cleanup()
        self.starts += 1
        self.proc = subprocess.Popen(
            [WARDEN_BIN, "serve"], env=self.env, cwd=self.workdir,
            stdout=open(self.stdout_path, "wb"), stderr=open(self.stderr_path, "wb"),
            stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)

    def wait_ready(self, timeout: float = 40.0) -> float:
        started = now()
        while now() - started < timeout:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: "
                                   f"{self.read(self.stderr_path)[-2000:]}")
            r = request(self.port, "GET", "/readyz", timeout=3)
            if r.status == 200:
                return now() - started
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not ready after {timeout}s")

    def sigterm(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)

    def wait_exit(self, timeout: float) -> int | None:
        assert self.proc is not None
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    @staticmethod
    def read(path: str) -> str:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def all_output(self) -> str:
        out = []
        for i in range(1, self.starts + 1):
            for kind in ("stdout", "stderr"):
                out.append(self.read(os.path.join(self.workdir, f"{self.name}.{i}.{kind}")))
        return "\n".join(out)

    def panics(self) -> int:
        return len(re.findall(r"panicked|\"panic\"|thread '.*' panicked", self.all_output()))


# ---------------------------------------------------------------------------------------------
# HTTP client


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


# ---------------------------------------------------------------------------------------------
# steady load


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


# ---------------------------------------------------------------------------------------------
# results


class Scenario:
    def __init__(self, name: str) -> None:
        self.name = name
        self.checks: list[tuple[str, bool, str]] = []
        self.figures: dict[str, object] = {}
        self.error = ""

    def check(self, what: str, ok: bool, detail: object = "") -> bool:
        self.checks.append((what, bool(ok), str(detail)))
        log(f"  {'PASS' if ok else 'FAIL'} {self.name}: {what}" + (f" ({detail})" if detail else ""))
        return ok

    def fig(self, key: str, value: object) -> None:
        self.figures[key] = value

    @property
    def passed(self) -> bool:
        return not self.error and all(ok for _, ok, _ in self.checks)


# ---------------------------------------------------------------------------------------------
# scenarios


def common_checks(s: Scenario, wardens: list[Warden], records: list[Record]) -> None:
    fivehundreds = [r for r in records if r.status == 500]
    s.check("no 500 answered", not fivehundreds, histogram(fivehundreds) if fivehundreds else "")
    panics = sum(w.panics() for w in wardens)
    s.check("no panic in the logs", panics == 0, f"{panics} panic lines" if panics else "")


def scenario_pg_outage(pg: Postgres, redis: Redis | None) -> Scenario:
    s = Scenario("pg_outage")
    db = f"chaos_pg_{RUN_ID}"
    url = pg.createdb(db)
    work = make_tempdir("pg-outage")
    w = Warden("pg", base_env(free_port(), url), work)
    w.start()
    w.wait_ready()
    load = Load([w.port], "pg").start()
    poll = Poller(w.port).start()
    outages = []
    try:
        time.sleep(LOAD_SECS)
        for round_no in range(ROUNDS):
            t_stop0 = now()
            pg.stop_fast()
            t_stop = now()
            log(f"  PostgreSQL stopped (pg_ctl stop -m fast took {t_stop - t_stop0:.2f}s)")
            time.sleep(PG_DOWN_SECS)
            t_start0 = now()
            pg.start()
            t_up = now()
            log(f"  PostgreSQL started (pg_ctl start -w took {t_up - t_start0:.2f}s)")
            outages.append((t_stop0, t_stop, t_start0, t_up))
            time.sleep(LOAD_SECS if round_no + 1 == ROUNDS else max(LOAD_SECS, 3.0))
    finally:
        load.stop()
        poll.stop()
    records = load.snapshot()
    t_begin = min(r.t0 for r in records)
    base = rate(records, t_begin, outages[0][0], ok_only=True)
    s.fig("requests", len(records))
    s.fig("statuses", histogram(records))
    s.fig("baseline ok/s", round(base, 1))
    s.fig("timeline", timeline(records, outages[0][0]))
    worst_recovery = 0.0
    for i, (t_stop0, t_stop, t_start0, t_up) in enumerate(outages):
        tag = f"outage {i + 1}: " if ROUNDS > 1 else ""
        during = [r for r in records if t_stop0 <= r.t0 < t_up]
        bad = [r for r in during if not (r.ok or (r.status == 503 and r.code in
                                                   ("DATABASE_ERROR", "SERVICE_UNAVAILABLE")))]
        s.check(f"{tag}requests during the outage: 2xx or 503 DATABASE_ERROR/SERVICE_UNAVAILABLE",
                not bad, histogram(bad) if bad else histogram(during))
        max_lat = max((r.t1 - r.t0 for r in during), default=0.0)
        s.check(f"{tag}no request hangs past REQUEST_TIMEOUT_SECS={REQUEST_TIMEOUT_SECS}",
                max_lat < REQUEST_TIMEOUT_SECS + 1, f"max latency {max_lat:.2f}s")
        s.fig(f"{tag}answers/s during outage", round(rate(records, t_stop, t_start0), 1))
        s.fig(f"{tag}failed (503) during outage", sum(1 for r in during if r.status == 503))
        s.fig(f"{tag}max latency during outage s", round(max_lat, 2))
        ready = [(t, st, c) for (t, st, c) in poll.samples if t_stop + 0.3 <= t < t_start0]
        s.check(f"{tag}/readyz 503 database=error while down",
                ready and all(st == 503 and c.get("database") == "error" for _, st, c in ready),
                f"{len(ready)} probes, statuses {sorted({st for _, st, _ in ready})}")
        # recovery: readiness back, a registration and a read answered 2xx, and every request
        # started after the database came back answered 2xx from then on
        first_ready = next((t for (t, st, _) in poll.samples if t >= t_up and st == 200), None)
        next_stop = outages[i + 1][0] if i + 1 < len(outages) else float("inf")
        after = [r for r in records if t_up <= r.t0 < next_stop]
        first_reg = next((r.t1 for r in sorted(after, key=lambda r: r.t1)
                          if r.kind == "register" and r.ok), None)
        first_read = next((r.t1 for r in sorted(after, key=lambda r: r.t1)
                           if r.kind == "read" and r.ok), None)
        last_fail = max((r.t1 for r in after if not r.ok), default=t_up)
        marks = [first_ready, first_reg, first_read, last_fail]
        if any(m is None for m in marks):
            s.check(f"{tag}full service after the database is back", False, f"marks {marks}")
            continue
        recovery = max(marks) - t_up
        s.fig(f"{tag}recovery marks s (readyz, 1st 201, 1st read, last failure)",
              [round(m - t_up, 2) for m in marks])
        late_fail = [r for r in after if not r.ok]
        if late_fail:
            s.fig(f"{tag}failures started after restart", histogram(late_fail))
        worst_recovery = max(worst_recovery, recovery)
        s.fig(f"{tag}readyz 200 after restart s", round(first_ready - t_up, 2))
        s.fig(f"{tag}recovery s", round(recovery, 2))
        s.check(f"{tag}full service within {RECOVERY_BOUND:.0f}s of the database being back",
                recovery <= RECOVERY_BOUND, f"{recovery:.2f}s")
    t_last = outages[-1][3]
    s.fig("ok/s after recovery", round(rate(records, t_last + RECOVERY_BOUND,
                                            max(r.t1 for r in records), ok_only=True), 1))
    errs = [r for r in records if r.err]
    s.check("no client-side error (timeout, reset)", not errs, histogram(errs) if errs else "")
    common_checks(s, [w], records)
    missing, rows = lost_writes(pg, db, load.created)
    s.fig("writes answered 201", len(load.created))
    s.fig("writes lost", missing)
    s.check("every registration answered 201 is in users.users", missing == 0,
            f"{len(load.created)} answered 201, {missing} missing")
    # a 503 registration must have changed nothing (api.md runbook: clients can retry)
    failed_names = {r.name.lower() for r in records if r.kind == "register" and r.status == 503}
    prefix = f"c{RUN_ID}_pg_"
    rows_all = set(pg.psql(db, f"SELECT username FROM users.users WHERE username LIKE '{prefix}%'")
                   .split())
    phantom = failed_names & rows_all
    s.fig("registrations answered 503 but stored", len(phantom))
    s.check("a registration answered 503 stored nothing", not phantom, sorted(phantom)[:5])
    w.sigterm()
    s.fig("exit code", w.wait_exit(SHUTDOWN_TIMEOUT_SECS + 5))
    s.fig("recovery s (worst)", round(worst_recovery, 2))
    return s


def scenario_redis_outage(pg: Postgres, redis: Redis) -> Scenario:
    s = Scenario("redis_outage")
    db = f"chaos_redis_{RUN_ID}"
    url = pg.createdb(db)
    work = make_tempdir("redis-outage")
    w = Warden("redis", base_env(free_port(), url,
                                 RATE_LIMIT_STORAGE_URL=f"redis://127.0.0.1:{redis.port}/0"), work)
    w.start()
    w.wait_ready()
    load = Load([w.port], "rd").start()
    poll = Poller(w.port).start()
    outages = []
    try:
        time.sleep(LOAD_SECS)
        for round_no in range(ROUNDS):
            errors_before = metric(w.port, "warden_rate_limit_storage_errors_total")
            t_stop = now()
            redis.stop()
            log("  Redis killed")
            time.sleep(REDIS_DOWN_SECS)
            errors_during = metric(w.port, "warden_rate_limit_storage_errors_total")
            t_start0 = now()
            redis.start()
            t_up = now()
            log("  Redis restarted")
            outages.append((t_stop, t_start0, t_up, errors_before, errors_during))
            time.sleep(LOAD_SECS)
    finally:
        load.stop()
        poll.stop()
    records = load.snapshot()
    t_begin = min(r.t0 for r in records)
    s.fig("requests", len(records))
    s.fig("statuses", histogram(records))
    base_recs = [r for r in records if r.t1 < outages[0][0]]
    s.fig("baseline ok/s", round(rate(records, t_begin, outages[0][0], ok_only=True), 1))
    s.fig("timeline", timeline(records, outages[0][0]))
    s.check("RateLimit headers served from Redis before the outage",
            base_recs and all(r.rl for r in base_recs if r.ok),
            f"{sum(r.rl for r in base_recs)}/{len(base_recs)}")
    worst = 0.0
    for i, (t_stop, t_start0, t_up, e0, e1) in enumerate(outages):
        tag = f"outage {i + 1}: " if ROUNDS > 1 else ""
        during = [r for r in records if t_stop <= r.t0 < t_start0]
        bad = [r for r in during if not r.ok]
        s.check(f"{tag}API keeps serving (fail-open): every request 2xx", during and not bad,
                histogram(bad) if bad else f"{len(during)} requests")
        s.fig(f"{tag}ok/s during outage", round(rate(during, t_stop, t_start0, ok_only=True), 1))
        s.fig(f"{tag}failed during outage", len(bad))
        max_lat = max((r.t1 - r.t0 for r in during), default=0.0)
        s.fig(f"{tag}max latency during outage s", round(max_lat, 2))
        # (a request sent near the end of the outage may wait on the reconnect and be answered
        # from Redis once it is back: only requests answered while Redis was down count)
        with_rl = [round(r.t0 - t_stop, 2) for r in during if r.rl and r.t1 < t_start0]
        s.fig(f"{tag}latency p50/p95 during outage s", pct(during))
        s.check(f"{tag}no RateLimit headers while Redis is down (after the first 0.6 s)",
                not [t for t in with_rl if t > 0.6],
                f"{len(with_rl)} with headers, sent at +{with_rl[:3]}..+{with_rl[-3:]} s"
                if with_rl else "")
        # Contract 1.1: a fail-open limiter keeps serving, so the instance stays ready (200
        # "degraded", redis=error) instead of leaving the load balancer's rotation.
        ready = [(t, st, c) for (t, st, c) in poll.samples if t_stop + 1.2 <= t < t_start0]
        s.check(f"{tag}/readyz stays 200 with redis=error while down (degraded, still ready)",
                ready and all(st == 200 and c.get("redis") == "error" for _, st, c in ready),
                f"{len(ready)} probes, statuses {sorted({st for _, st, _ in ready})}")
        s.check(f"{tag}warden_rate_limit_storage_errors_total grows", e1 > e0, f"{e0:g} -> {e1:g}")
        s.fig(f"{tag}storage errors counted", e1 - e0)
        first_ready = next((t for (t, st, c) in poll.samples
                            if t >= t_up and st == 200 and c.get("redis") == "ok"), None)
        first_rl = next((r.t1 for r in sorted(records, key=lambda r: r.t1)
                         if r.t0 >= t_up and r.rl), None)
        if first_ready is None or first_rl is None:
            s.check(f"{tag}recovery when Redis returns", False, f"{first_ready} {first_rl}")
            continue
        rec = max(first_ready, first_rl) - t_up
        worst = max(worst, rec)
        s.fig(f"{tag}recovery s", round(rec, 2))
        s.check(f"{tag}redis=ok and rate limiting back within {REDIS_RECOVERY_BOUND:.0f}s",
                rec <= REDIS_RECOVERY_BOUND, f"{rec:.2f}s")
    unready = [(t, st) for (t, st, _) in poll.samples if st != 200]
    s.check("the instance never turned unready (every /readyz probe 200)",
            poll.samples and not unready,
            f"{len(poll.samples)} probes, {len(unready)} not 200"
            + (f", first at +{unready[0][0] - outages[0][0]:.2f} s" if unready else ""))
    errors_logged = len(re.findall(r"rate limit store unavailable", w.all_output()))
    s.fig("'rate limit store unavailable' log lines", errors_logged)
    if all(t_start0 - t_stop < 30 for (t_stop, t_start0, *_rest) in outages) and ROUNDS == 1:
        s.check("ERROR 'rate limit store unavailable' logged, at most once per 30 s",
                errors_logged == 1, f"{errors_logged} lines")
    errs = [r for r in records if r.err]
    s.check("no client-side error (timeout, reset)", not errs, histogram(errs) if errs else "")
    common_checks(s, [w], records)
    missing, _ = lost_writes(pg, db, load.created)
    s.fig("writes lost", missing)
    s.check("every registration answered 201 is stored", missing == 0, f"{missing} missing")
    w.sigterm()
    w.wait_exit(SHUTDOWN_TIMEOUT_SECS + 5)
    s.fig("recovery s (worst)", round(worst, 2))
    return s


def scenario_sigterm(pg: Postgres, redis: Redis | None) -> Scenario:
    s = Scenario("sigterm")
    db = f"chaos_term_{RUN_ID}"
    url = pg.createdb(db)
    work = make_tempdir("sigterm")
    total_created: list[str] = []
    rounds = []
    w = Warden("term", base_env(free_port(), url), work)
    for round_no in range(ROUNDS):
        w.start()
        w.wait_ready()
        load = Load([w.port], f"t{round_no}", reg_workers=REG_WORKERS + 2).start()
        time.sleep(LOAD_SECS)
        t_sig = now()
        w.sigterm()
        rc = w.wait_exit(SHUTDOWN_TIMEOUT_SECS + 5)
        t_exit = now()
        time.sleep(0.3)
        load.stop()
        records = load.snapshot()
        total_created += load.created
        rounds.append((t_sig, t_exit, rc, records))
        if rc is None:
            w.kill()
    for i, (t_sig, t_exit, rc, records) in enumerate(rounds):
        tag = f"round {i + 1}: " if ROUNDS > 1 else ""
        before = [r for r in records if r.t0 < t_sig]
        in_flight = [r for r in before if r.t1 >= t_sig]
        # A connection still in the listen backlog, or accepted but with no request byte read
        # yet, is closed when the drain starts (hyper's HTTP/1 graceful shutdown): the client
        # sees a reset for a request the server never took. Those are told apart from real
        # failures by the access log (request id) and the database (registrations).
        unread, taken = split_resets(pg, db, [w], records)
        failed = [r for r in before if (r.err and r not in unread) or r.status >= 500]
        s.fig(f"{tag}closed unread at SIGTERM (reset, never processed)",
              f"{len(unread)}" + (f", sent at {sorted(round(1000 * (r.t0 - t_sig)) for r in unread)}"
                                  " ms from the signal" if unread else ""))
        after = [r for r in records if r.t0 >= t_sig]
        s.fig(f"{tag}requests before SIGTERM", len(before))
        s.fig(f"{tag}in flight at SIGTERM", len(in_flight))
        s.fig(f"{tag}in-flight statuses", histogram(in_flight))
        s.fig(f"{tag}failed of those started before SIGTERM", len(failed))
        s.fig(f"{tag}after SIGTERM", histogram(after))
        s.fig(f"{tag}drain + exit s", round(t_exit - t_sig, 2))
        s.fig(f"{tag}load ok/s before SIGTERM",
              round(rate(records, min(r.t0 for r in records), t_sig, ok_only=True), 1))
        s.check(f"{tag}requests in flight at SIGTERM", len(in_flight) > 0, len(in_flight))
        s.check(f"{tag}0 failed requests among those the server took before SIGTERM", not failed,
                histogram(failed) if failed else f"{len(before)} sent, {len(in_flight)} in flight")
        late = [r for r in after if not (r.ok or r.err == "refused" or r in unread)]
        s.check(f"{tag}after SIGTERM: answered 2xx or connection refused (never a 5xx/reset)",
                not late, histogram(late) if late else histogram(after))
        s.check(f"{tag}exit code 0", rc == 0, rc)
    out = w.all_output()
    s.check("'shutdown finished' logged, drain limit never hit",
            out.count("shutdown finished") == ROUNDS and "drain time exceeded" not in out, "")
    common_checks(s, [w], [r for rd in rounds for r in rd[3]])
    missing, _ = lost_writes(pg, db, total_created)
    s.fig("writes answered 201", len(total_created))
    s.fig("writes lost", missing)
    s.check("every registration answered 201 is stored", missing == 0, f"{missing} missing")
    return s


def scenario_logs(pg: Postgres, redis: Redis | None) -> Scenario:
    s = Scenario("logs")
    db = f"chaos_logs_{RUN_ID}"
    url = pg.createdb(db)
    work = make_tempdir("logs")

    def run_load(w: Warden, tag: str, secs: float) -> list[Record]:
        load = Load([w.port], tag, reg_workers=1, read_workers=2).start()
        time.sleep(secs)
        load.stop()
        return load.snapshot()

    # (a) LOG_DIR whose parent is a regular file: the directory can never be created
    blocker = os.path.join(work, "not-a-dir")
    with open(blocker, "w") as f:
        f.write("x")
    wa = Warden("logs-unwritable", base_env(free_port(), url, LOG_DIR=f"{blocker}/logs"), work)
    wa.start()
    wa.wait_ready()
    recs = run_load(wa, "la", LOAD_SECS)
    wa.sigterm()
    rc = wa.wait_exit(SHUTDOWN_TIMEOUT_SECS + 5)
    err = wa.read(wa.stderr_path)
    said = len(re.findall(r"cannot (open log directory|write log file)", err))
    bad = [r for r in recs if not r.ok]
    s.fig("unwritable dir: requests", len(recs))
    s.fig("unwritable dir: failed", len(bad))
    s.check("unwritable LOG_DIR: keeps serving (every request 2xx)", recs and not bad,
            histogram(bad) if bad else f"{len(recs)} requests")
    s.check("unwritable LOG_DIR: reported exactly once on stderr", said == 1,
            f"{said} lines: {err.strip()[:200]}")
    s.check("unwritable LOG_DIR: console logging continues",
            "request completed" in wa.read(wa.stdout_path), "")
    s.check("unwritable LOG_DIR: exit code 0", rc == 0, rc)

    # (b) disk full while running: LOG_DIR on a small tmpfs that fills up mid-run (falls back to
    # the day's log file being a symlink to /dev/full when mounting is not permitted)
    mnt = os.path.join(work, "tmpfs")
    os.mkdir(mnt)
    mounted = False
    if IS_ROOT:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k,mode=0755", "tmpfs",
                                  mnt], capture_output=True, timeout=10).returncode == 0
    if mounted:
        REGISTRY.add(f"umount {mnt}", lambda: subprocess.run(["umount", "-l", mnt], timeout=10))
        mode = "tmpfs 512 KiB filled mid-run"
    else:
        day = time.strftime("%Y-%m-%d", time.gmtime())
        os.symlink("/dev/full", os.path.join(mnt, f"warden.log.{day}"))
        mode = "log file -> /dev/full"
    s.fig("disk-full mode", mode)
    wb = Warden("logs-full", base_env(free_port(), url, LOG_DIR=mnt), work)
    wb.start()
    wb.wait_ready()
    load = Load([wb.port], "lb", reg_workers=1, read_workers=2).start()
    time.sleep(LOAD_SECS / 2)
    t_fill = now()
    if mounted:
        fill_until_enospc(os.path.join(mnt, "filler"))
    time.sleep(LOAD_SECS)
    load.stop()
    recs = load.snapshot()
    err = wb.read(wb.stderr_path)
    said = len(re.findall(r"cannot (open log directory|write log file)", err))
    bad = [r for r in recs if not r.ok]
    after_fill = [r for r in recs if r.t0 >= t_fill]
    s.fig("disk full: requests", len(recs))
    s.fig("disk full: requests after the disk filled", len(after_fill))
    s.fig("disk full: failed", len(bad))
    s.check("disk full: keeps serving (every request 2xx)", after_fill and not bad,
            histogram(bad) if bad else f"{len(after_fill)} after the fill")
    s.check("disk full: reported exactly once on stderr", said == 1,
            f"{said} lines: {err.strip()[:200]}")
    stdout_lines = wb.read(wb.stdout_path).count("request completed")
    s.check("disk full: console logging continues", stdout_lines >= len(recs) * 0.9,
            f"{stdout_lines} request lines on stdout for {len(recs)} requests")
    wb.sigterm()
    rc = wb.wait_exit(SHUTDOWN_TIMEOUT_SECS + 5)
    s.check("disk full: exit code 0 (flush failure does not crash the exit)", rc == 0, rc)
    common_checks(s, [wa, wb], recs)
    return s


def fill_until_enospc(path: str) -> None:
    """Write zeros to `path` until the filesystem is full.

    Unbuffered, so the ENOSPC surfaces in the loop and never again from close(): a buffered file
    would raise it a second time when the `with` block flushed on exit.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError as e:
        if e.errno != errno.ENOSPC:
            raise
    finally:
        os.close(fd)


def scenario_scaleout(pg: Postgres, redis: Redis) -> Scenario:
    s = Scenario("scaleout")
    db = f"chaos_scale_{RUN_ID}"
    url = pg.createdb(db)
    work = make_tempdir("scale")
    ports = [free_port() for _ in range(3)]
    wardens = [Warden(f"w{i + 1}", base_env(
        p, url, RATE_LIMIT_STORAGE_URL=f"redis://127.0.0.1:{redis.port}/0",
        RATE_LIMIT_LOGIN="5 per minute"), work) for i, p in enumerate(ports)]
    # all three start together: migrations run once under the advisory lock
    for w in wardens:
        w.start()
    ready = [w.wait_ready() for w in wardens]
    s.fig("cold start to ready s (3 together)", round(max(ready), 2))
    w1, w2, w3 = wardens
    ip = iter(f"10.{hash(RUN_ID) % 200 + 20}.250.{i}" for i in range(1, 250))

    # -- logout on 1 → rejected on 2 and 3 immediately
    name = f"c{RUN_ID}_so_logout"
    a = next(ip)
    request(w1.port, "POST", "/api/v1/auth/register", user_body(name), xff=a)
    r = request(w1.port, "POST", "/api/v1/auth/login",
                {"email": f"{name}@example.com", "password": PASSWORD}, xff=a)
    tok = r.data()["access_token"]
    ref = r.data()["refresh_token"]
    before = [request(w.port, "GET", "/api/v1/auth/me", token=tok, xff=a).status for w in wardens]
    s.check("access token accepted on all three before logout", before == [200] * 3, before)
    out = request(w1.port, "POST", "/api/v1/auth/logout", token=tok, xff=a)
    t_logout = out.t1
    after2 = request(w2.port, "GET", "/api/v1/auth/me", token=tok, xff=a)
    after3 = request(w3.port, "GET", "/api/v1/auth/me", token=tok, xff=a)
    refresh3 = request(w3.port, "POST", "/api/v1/auth/refresh", token=ref, xff=a)
    s.check("logout on 1: access token rejected on 2 and 3 on the very next request",
            out.status == 200 and all(x.status == 401 and x.code == "TOKEN_INVALID"
                                      for x in (after2, after3)),
            f"logout {out.status}; 2: {after2.status} {after2.code}; 3: {after3.status} {after3.code}")
    s.check("logout on 1: refresh token rejected on 3", refresh3.status == 401,
            f"{refresh3.status} {refresh3.code}")
    s.fig("logout propagation", f"0 requests, rejected {1000 * (after3.t1 - t_logout):.0f} ms "
                                "after the logout answer")

    # -- rate-limit counters are global
    b = next(ip)
    seq = [w1, w2, w3, w1, w2]
    answers = []
    for w in seq:
        x = request(w.port, "POST", "/api/v1/auth/login",
                    {"email": f"nobody-{RUN_ID}@example.com", "password": "Wrong-pass1"}, xff=b)
        answers.append((x.status, x.headers.get("ratelimit-remaining")))
    sixth = [request(w.port, "POST", "/api/v1/auth/login",
                     {"email": f"nobody-{RUN_ID}@example.com", "password": "Wrong-pass1"}, xff=b)
             for w in (w3, w1, w2)]
    s.check("5 logins spread over 1,2,3,1,2 all counted: 401 with RateLimit-Remaining 4..0",
            answers == [(401, str(n)) for n in (4, 3, 2, 1, 0)], answers)
    s.check("6th login on 3 (and 7th on 1, 8th on 2) → 429 RATE_LIMIT_EXCEEDED",
            all(x.status == 429 and x.code == "RATE_LIMIT_EXCEEDED" and x.headers.get("retry-after")
                for x in sixth), [(x.status, x.code, x.headers.get("retry-after")) for x in sixth])
    key = f"warden:rl:POST /api/v1/auth/login:60:{b}"
    count = redis.cli("GET", key).strip()
    s.check("one shared Redis counter (key per api.md §6.2)", count == "8", f"{key} = {count!r}")
    s.fig("rate limit", "5 allowed across 3 instances, 6th → 429 on any")

    # -- a role revoked through instance 1 stops granting on 2 and 3 on the next request
    c = next(ip)
    admin_email = f"admin-{RUN_ID}@example.com"
    env = dict(w1.env)
    done = subprocess.run([WARDEN_BIN, "create-admin", "--username", f"adm{RUN_ID}", "--email",
                           admin_email, "--password-stdin"], input=PASSWORD + "\n", env=env,
                          capture_output=True, text=True, timeout=60, cwd=work)
    s.check("warden create-admin", done.returncode == 0, done.stdout.strip() or done.stderr[-300:])
    adm = request(w1.port, "POST", "/api/v1/auth/login",
                  {"email": admin_email, "password": PASSWORD}, xff=c).data()["access_token"]
    target = f"c{RUN_ID}_so_role"
    d = next(ip)
    uid = request(w2.port, "POST", "/api/v1/auth/register", user_body(target), xff=d).data()["id"]
    utok = request(w2.port, "POST", "/api/v1/auth/login",
                   {"email": f"{target}@example.com", "password": PASSWORD},
                   xff=d).data()["access_token"]
    spec = request(w1.port, "GET", "/openapi.json").body or {}
    paths = spec.get("paths", {}) if isinstance(spec, dict) else {}
    api = "delete" in paths.get("/api/v1/admin/roles/users/{user_id}/{role_name}", {})
    s.fig("role revoke via", "API (DELETE /api/v1/admin/roles/users/{id}/{role})" if api
          else "SQL (admin routes not merged yet)")
    if api:
        x = request(w1.port, "POST", f"/api/v1/admin/roles/users/{uid}",
                    {"role_name": "moderator"}, token=adm, xff=c)
        s.check("assign moderator through instance 1", x.status == 200, f"{x.status} {x.body}")
    else:
        pg.psql(db, "INSERT INTO rbac.user_roles (user_id, role_id, assigned_at) SELECT "
                    f"{uid}, id, now() FROM rbac.roles WHERE name = 'moderator'")
    granted = [request(w.port, "GET", "/api/v1/users/", token=utok, xff=d).status
               for w in (w2, w3)]
    s.check("moderator may list users on 2 and 3", granted == [200, 200], granted)
    if api:
        x = request(w1.port, "DELETE", f"/api/v1/admin/roles/users/{uid}/moderator",
                    token=adm, xff=c)
        s.check("revoke moderator through instance 1", x.status == 200, f"{x.status} {x.body}")
        t_rev = x.t1
    else:
        pg.psql(db, f"DELETE FROM rbac.user_roles WHERE user_id = {uid} AND role_id = "
                    "(SELECT id FROM rbac.roles WHERE name = 'moderator')")
        t_rev = now()
    denied = [request(w.port, "GET", "/api/v1/users/", token=utok, xff=d) for w in (w2, w3)]
    s.check("revoked role: 403 on 2 and 3 on the very next request",
            [x.status for x in denied] == [403, 403], [(x.status, x.code) for x in denied])
    s.fig("role revoke propagation",
          f"0 requests, denied {1000 * (denied[-1].t1 - t_rev):.0f} ms after the revoke")

    # -- rolling restart under load, the load generator retrying refused connections
    load = Load(ports, "rr", retry_refused=True).start()
    restarts = []
    try:
        time.sleep(LOAD_SECS)
        for round_no in range(ROUNDS):
            for w in wardens:
                t = now()
                w.sigterm()
                rc = w.wait_exit(SHUTDOWN_TIMEOUT_SECS + 5)
                t_exit = now()
                w.start()
                ready_s = w.wait_ready()
                restarts.append((w.name, rc, t_exit - t, ready_s))
                log(f"  {w.name}: exit {rc} after {t_exit - t:.2f}s, ready again in {ready_s:.2f}s")
                time.sleep(1.0)
        time.sleep(LOAD_SECS)
    finally:
        load.stop()
    records = load.snapshot()
    unread, taken = split_resets(pg, db, wardens, records)
    failed = [r for r in records if not r.ok and r not in unread]
    five = [r for r in records if r.status >= 500]
    s.fig("rolling restart: reset before the request was read (never processed)", len(unread))
    retried = sum(r.retries for r in records)
    s.fig("rolling restart: requests", len(records))
    s.fig("rolling restart: ok/s", round(rate(records, min(r.t0 for r in records),
                                              max(r.t1 for r in records), ok_only=True), 1))
    s.fig("rolling restart: failed", len(failed))
    s.fig("rolling restart: refused connections retried on the next instance", retried)
    s.fig("rolling restart: exit/ready s", [(n, round(e, 2), round(rd, 2))
                                            for n, _, e, rd in restarts])
    s.check("rolling restart: every exit code 0", all(rc == 0 for _, rc, _, _ in restarts),
            [rc for _, rc, _, _ in restarts])
    s.check("rolling restart: 0 answered 5xx", not five, histogram(five) if five else "")
    s.check("rolling restart: 0 failed requests (refused-then-retried is fine)", not failed,
            histogram(failed) if failed else f"{len(records)} requests, {retried} retried")
    common_checks(s, wardens, records)
    missing, _ = lost_writes(pg, db, load.created)
    s.fig("rolling restart: writes lost", missing)
    s.check("rolling restart: every registration answered 201 is stored", missing == 0,
            f"{len(load.created)} answered 201, {missing} missing")
    for w in wardens:
        w.sigterm()
    for w in wardens:
        w.wait_exit(SHUTDOWN_TIMEOUT_SECS + 5)
    return s


def rss_mb(w: Warden) -> float:
    """Resident set size of the warden process, from /proc (MiB)."""
    assert w.proc is not None
    with open(f"/proc/{w.proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def settle_rss(w: Warden, secs: float = 1.0) -> float:
    """RSS after a short pause, so freed memory has been returned."""
    time.sleep(secs)
    return rss_mb(w)


SLOWLORIS_CONNS = env_int("CHAOS_SLOWLORIS_CONNS", 600)
SLOWLORIS_TIMEOUT_SECS = 3  # HEADER_READ_TIMEOUT_SECS for that scenario
SLOWLORIS_RSS_GROWTH_MB = env_float("CHAOS_SLOWLORIS_RSS_MB", 150.0)
FLOOD_REQUESTS = env_int("CHAOS_FLOOD_REQUESTS", 10000)
FLOOD_RSS_GROWTH_MB = env_float("CHAOS_FLOOD_RSS_MB", 15.0)
FLOOD_METRICS_MAX_BYTES = 64 * 1024


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


SCENARIOS = {
    "pg_outage": scenario_pg_outage,
    "redis_outage": scenario_redis_outage,
    "sigterm": scenario_sigterm,
    "logs": scenario_logs,
    "scaleout": scenario_scaleout,
    "slowloris": scenario_slowloris,
    "method_flood": scenario_method_flood,
}


# ---------------------------------------------------------------------------------------------
# main


def summary(results: list[Scenario], elapsed: float) -> None:
    print()
    print("=" * 100)
    print(f"{'scenario':<14} {'result':<7} {'checks':<8} figures")
    print("-" * 100)
    for s in results:
        n_ok = sum(ok for _, ok, _ in s.checks)
        res = "PASS" if s.passed else ("ERROR" if s.error else "FAIL")
        keys = [k for k in s.figures if k not in ("statuses", "timeline")]
        first = True
        for k in keys or [""]:
            val = s.figures.get(k, "")
            head = (f"{s.name:<14} {res:<7} {n_ok}/{len(s.checks):<6}" if first else " " * 31)
            print(f"{head} {k + ': ' if k else ''}{val}")
            first = False
        if s.error:
            print(" " * 31 + f" error: {s.error}")
        for what, ok, detail in s.checks:
            if not ok:
                print(" " * 31 + f" FAILED: {what} ({detail})")
    print("-" * 100)
    total_fail = sum(1 for s in results if not s.passed)
    print(f"chaos: {len(results) - total_fail}/{len(results)} scenarios passed in {elapsed:.0f}s "
          f"(run {RUN_ID})")


def main(argv: list[str]) -> int:
    wanted = argv or [x for x in os.environ.get("CHAOS_SCENARIOS", "").replace(",", " ").split()
                      if x] or ALL_SCENARIOS
    for name in wanted:
        if name not in SCENARIOS:
            print(f"chaos: unknown scenario {name!r}; known: {' '.join(ALL_SCENARIOS)}",
                  file=sys.stderr)
            return 2
    if not (os.path.isfile(WARDEN_BIN) and os.access(WARDEN_BIN, os.X_OK)):
        print(f"chaos: WARDEN_BIN={WARDEN_BIN} is not an executable", file=sys.stderr)
        return 2

    def on_signal(signum, _frame):
        log(f"signal {signum}: cleaning up")
        REGISTRY.run_all()
        os._exit(130 if signum == signal.SIGINT else 143)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def watchdog():
        time.sleep(DEADLINE_SECS)
        log(f"deadline of {DEADLINE_SECS:.0f}s passed: cleaning up")
        REGISTRY.run_all()
        os._exit(124)

    threading.Thread(target=watchdog, daemon=True).start()
    results: list[Scenario] = []
    try:
        log(f"run {RUN_ID}: scenarios {' '.join(wanted)}; binary {WARDEN_BIN}")
        pg = Postgres()
        log(f"private PostgreSQL on 127.0.0.1:{pg.port} ({pg.data})")
        redis = Redis()
        log(f"private Redis on 127.0.0.1:{redis.port}")
        for name in wanted:
            log(f"scenario {name}")
            t = now()
            try:
                s = SCENARIOS[name](pg, redis)
            except Exception as e:  # noqa: BLE001 - report and go on with the next scenario
                s = Scenario(name)
                s.error = f"{type(e).__name__}: {e}"
                traceback.print_exc()
                # make sure the database is back for the next scenario
                try:
                    if not port_open(pg.port):
                        pg.start()
                    if not port_open(redis.port):
                        redis.start()
                except Exception:  # noqa: BLE001
                    pass
            s.fig("duration s", round(now() - t, 1))
            results.append(s)
    except Exception as e:  # noqa: BLE001
        log(f"harness error: {type(e).__name__}: {e}")
        traceback.print_exc()
        REGISTRY.run_all()
        return 2
    finally:
        REGISTRY.run_all()
    summary(results, now() - T0)
    if REPORT_PATH:
        with open(REPORT_PATH, "w") as f:
            json.dump({"run": RUN_ID, "elapsed_s": round(now() - T0, 1), "scenarios": [
                {"name": s.name, "passed": s.passed, "error": s.error,
                 "checks": [{"check": c, "ok": ok, "detail": d} for c, ok, d in s.checks],
                 "figures": s.figures} for s in results]}, f, indent=2, default=str)
    return 0 if results and all(s.passed for s in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
