"""The processes a run owns: the cleanup registry, free ports, a private PostgreSQL cluster,
private Redis servers and `warden serve` instances."""

from __future__ import annotations

import ctypes
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

from harness.client import request
from harness.config import (
    DB_POOL_TIMEOUT_SECS, IS_ROOT, KEEP, PG_BIN, PSQL, REDIS_SERVER, REQUEST_TIMEOUT_SECS,
    SECRET_KEY, SHUTDOWN_TIMEOUT_SECS, STATE_PATH, WARDEN_BIN, now
)


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
