"""Settings of a run (environment knobs, fixed timeouts and bounds) and the log line."""

from __future__ import annotations

import os
import shutil
import time


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
