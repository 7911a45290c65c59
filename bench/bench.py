#!/usr/bin/env python3
"""warden load benchmark (issue 7): measures warden against the floors of the same machine.

Run through bench/run.sh (it builds the binaries and owns the cleanup trap). Standard library
only. Every object this script creates (databases, processes, files) is registered in
$BENCH_STATE_DIR so the shell trap can remove it even if this process is killed.

Floors, measured in the same run:
  * `pgbench -S` (and `-M prepared`) at the same client counts as the read scenarios;
  * the raw Argon2id verification rate on all cores (bench/argon2-rate), for the login scenario.
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
STATE = os.environ["BENCH_STATE_DIR"]
WARDEN = os.environ["WARDEN_BIN"]
ARGON2_RATE = os.environ["ARGON2_RATE_BIN"]
AXUM_FLOOR = os.environ.get("AXUM_FLOOR_BIN", "")
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
QUICK = "--quick" in sys.argv
OUT_DIR = os.environ.get("BENCH_OUT_DIR", os.path.join(HERE, "results"))

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1" if QUICK else "3"))
DURATION = int(os.environ.get("BENCH_DURATION", "5" if QUICK else "15"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "1" if QUICK else "3"))
POOL = os.environ.get("BENCH_DB_POOL_SIZE", "32")
# Experiment knobs (docs/performance.md): extra environment for warden ("K=V K=V"), a subset of
# scenario keys ("me_c16,login"), a subset of phases ("pg,redis,sqlite,cold").
WARDEN_ENV = dict(kv.split("=", 1) for kv in os.environ.get("BENCH_WARDEN_ENV", "").split())
ONLY = set(filter(None, os.environ.get("BENCH_SCENARIOS", "").split(",")))
PHASES = set(filter(None, os.environ.get("BENCH_PHASES", "pg,redis,sqlite,cold").split(",")))
USERS = 10_000
PASSWORD = "BenchPassword123"
NCPU = os.cpu_count() or 2
TAG = f"{os.getpid()}"

START = time.time()

def log(msg):
    print(f"[bench {time.time() - START:6.0f}s] {msg}", flush=True)

def register(kind, value):
    """Remember something the shell trap must clean up (pid, pgdb, file)."""
    with open(os.path.join(STATE, kind), "a") as f:
        f.write(f"{value}\n")

def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout

def db_url(db):
    """The admin connection's URL with database `db`."""
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + db

def psql(db, sql):
    return sh(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", db_url(db), "-c", sql]).strip()

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

# ---------------------------------------------------------------- process sampling

def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

def cpu_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except OSError:
        return 0

def postgres_ticks():
    """CPU ticks per postgres process (the database's share of a scenario)."""
    ticks = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() not in ("postgres", "postmaster"):
                    continue
        except OSError:
            continue
        ticks[pid] = cpu_ticks(pid)
    return ticks

def ticks_delta(before, after):
    """Ticks spent between two samples; a process that exited in between is not counted."""
    return sum(t - before.get(pid, 0) for pid, t in after.items())

TICK = os.sysconf("SC_CLK_TCK")

class Sampler:
    """Samples VmRSS every 50 ms and CPU time over a window."""

    def __init__(self, pid):
        self.pid, self.samples, self.stop = pid, [], threading.Event()

    def __enter__(self):
        self.t0, self.c0, self.p0 = time.time(), cpu_ticks(self.pid), postgres_ticks()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def run(self):
        while not self.stop.wait(0.05):
            self.samples.append(rss_kib(self.pid))

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        wall = time.time() - self.t0
        self.cpu = (cpu_ticks(self.pid) - self.c0) / TICK
        self.pg_cpu = ticks_delta(self.p0, postgres_ticks()) / TICK
        self.wall = wall
        self.rss_max = max(self.samples or [rss_kib(self.pid)]) / 1024
        self.rss_mean = (statistics.mean(self.samples) if self.samples else 0) / 1024

# ---------------------------------------------------------------- load generator (wrk)

UNIT = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}

def parse_latency(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    return float(m.group(1)) * UNIT[m.group(2)]

def wrk(url, conns, secs, headers=(), script=None, timeout="30s"):
    cmd = ["wrk", "-t", str(min(2, conns)), "-c", str(conns), "-d", f"{secs}s", "--latency",
           "--timeout", timeout]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", script]
    out = sh(cmd + [url])
    res = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct in ("50", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        res[f"p{pct}_ms"] = parse_latency(m.group(1)) if m else None
    res["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    return res

# ---------------------------------------------------------------- warden process

class Warden:
    def __init__(self, name, database_url, extra_env=None):
        self.name, self.port = name, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ)
        self.env.update({
            "DATABASE_URL": database_url, "HOST": "127.0.0.1", "PORT": str(self.port),
            "APP_ENV": "production", "SECRET_KEY": "bench-secret-key-0123456789abcdefghijklmnop",
            "AUTO_MIGRATE": "true", "LOG_DIR": "", "LOG_LEVEL": "warn",
            # as the production image sets it (Dockerfile): freed Argon2 buffers go back at once
            "MIMALLOC_PURGE_DELAY": "0",
            "RATE_LIMIT_DEFAULT": "1000000000 per hour", "RATE_LIMIT_LOGIN": "1000000000 per minute",
            "RATE_LIMIT_REGISTER": "1000000000 per minute", "DB_POOL_SIZE": POOL,
            "JWT_ACCESS_TOKEN_EXPIRES": "86400",
        })
        for k in ("RATE_LIMIT_STORAGE_URL", "RATELIMIT_STORAGE_URL", "REDIS_URL"):
            self.env.pop(k, None)
        self.env.update(WARDEN_ENV)
        self.env.update(extra_env or {})
        self.proc = None

    def start(self, timeout=60):
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([WARDEN, "serve"], env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(STATE, f"warden-{self.name}.log"), "a"))
        register("pid", self.proc.pid)
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"warden {self.name} exited ({self.proc.returncode}); see "
                                   f"{STATE}/warden-{self.name}.log")
            try:
                status, _ = self.request("GET", "/readyz")
                if status == 200:
                    return time.perf_counter() - t0
            except OSError:
                pass
            if time.perf_counter() - t0 > timeout:
                raise RuntimeError(f"warden {self.name} not ready after {timeout}s")
            time.sleep(0.001)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def request(self, method, path, body=None, token=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers=headers)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, (json.loads(data) if data[:1] in (b"{", b"[") else data)

    def login(self, email):
        status, body = self.request("POST", "/api/v1/auth/login",
                                    {"email": email, "password": PASSWORD})
        if status != 200:
            raise RuntimeError(f"login {email}: {status} {body}")
        return body["data"]["access_token"], body["data"]["user"]["id"]

    def register_admin(self):
        status, body = self.request("POST", "/api/v1/auth/register", {
            "username": "bench_admin", "email": "bench_admin@bench.example.com",
            "password": PASSWORD, "first_name": "Bench"})
        if status != 201:
            raise RuntimeError(f"register: {status} {body}")
        return body["data"]["id"]

# ---------------------------------------------------------------- seeding

def seed_pg(db, admin_id):
    psql(db, f"""
        INSERT INTO users.users (username, email, password_hash, first_name, last_name, bio,
                                 is_active, created_at, updated_at, is_deleted)
        SELECT 'u' || g, 'u' || g || '@bench.example.com', a.password_hash, 'Bench', 'User',
               'seeded by bench/bench.py', true, now(), now(), false
        FROM generate_series(1, {USERS - 1}) g, users.users a WHERE a.id = {admin_id};
        INSERT INTO rbac.user_roles (user_id, role_id, assigned_at, assigned_by)
        SELECT {admin_id}, id, now(), NULL FROM rbac.roles WHERE name = 'super_admin';
        ANALYZE;""")
    return int(psql(db, "SELECT count(*) FROM users.users"))

def seed_sqlite(path, admin_id):
    sql = f"""
        PRAGMA busy_timeout = 10000;
        WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {USERS - 1})
        INSERT INTO users (username, email, password_hash, first_name, last_name, bio, is_active,
                           created_at, updated_at, is_deleted)
        SELECT 'u' || n, 'u' || n || '@bench.example.com', a.password_hash, 'Bench', 'User',
               'seeded by bench/bench.py', 1, a.created_at, a.updated_at, 0
        FROM g, users a WHERE a.id = {admin_id};
        INSERT INTO user_roles (user_id, role_id, assigned_at, assigned_by)
        SELECT {admin_id}, id, (SELECT created_at FROM users WHERE id = {admin_id}), NULL
        FROM roles WHERE name = 'super_admin';
        ANALYZE;
        SELECT count(*) FROM users;"""
    return int(sh(["sqlite3", path], input=sql).strip().splitlines()[-1])

# ---------------------------------------------------------------- floors

def pgbench(db, clients, secs, mode):
    cmd = ["pgbench", "-n", "-S", "-c", str(clients), "-j", "2", "-T", str(secs)]
    if mode == "prepared":
        cmd += ["-M", "prepared"]
    out = sh(cmd + [db_url(db)])
    tps = float(re.search(r"tps = ([\d.]+) \(without initial", out).group(1))
    lat = re.search(r"latency average = ([\d.]+) ms", out)
    return {"tps": tps, "lat_avg_ms": float(lat.group(1)) if lat else None}

# The database's own cost of warden's requests: the exact statements a request runs, read from
# the Rust source (one copy of the SQL), replayed by pgbench with prepared statements as sqlx
# uses them, at the scenario's client count. warden's ratio against these separates "the
# database is the bottleneck" from "warden is". A script is one pgbench transaction = one request.
def rust_store_source():
    text = ""
    for name in sorted(os.listdir(os.path.join(REPO, "src", "store"))):
        if name.endswith(".rs"):
            with open(os.path.join(REPO, "src", "store", name)) as f:
                text += f.read() + "\n"
    return text

RUST_TOKEN = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([A-Za-z_$][\w:$]*)!\s*\(|(,)|(\)))', re.S)

def rust_literal(body):
    """A Rust string literal's value: line continuations and escaped quotes."""
    return re.sub(r"\\\n\s*", "", body).replace('\\"', '"').replace("\\\\", "\\")

def rust_expr(text, pos, source):
    """Evaluate a string literal, `concat!(...)` or `macro!()` (a store macro) at pos."""
    m = RUST_TOKEN.match(text, pos)
    if m.group(1) is not None:
        return rust_literal(m.group(1)), m.end()
    macro = m.group(2).rsplit("::", 1)[-1]
    pos = m.end()
    if macro == "concat":
        parts = []
        while True:
            m = RUST_TOKEN.match(text, pos)
            if m.group(4):
                return "".join(parts), m.end()
            if m.group(3):
                pos = m.end()
                continue
            value, pos = rust_expr(text, pos, source)
            parts.append(value)
    pos = RUST_TOKEN.match(text, pos).end()  # the macro's empty argument list
    body = re.search(r"macro_rules! %s \{\s*\(\) => \{\s*" % macro, source)
    value, _ = rust_expr(source, body.end(), source)
    return value, pos

def rust_sql(path, name, params=()):
    """The SQL text of `const NAME: &str = ...;` in src/store/<path> (a literal, `concat!` of
    literals and the store's SQL fragment macros), with $n -> params[n-1]."""
    source = rust_store_source()
    with open(os.path.join(REPO, "src", "store", path)) as f:
        text = f.read()
    start = re.search(r"const %s: &str =\s*" % name, text).end()
    sql, _ = rust_expr(text, start, source)
    sql = re.sub(r"\s+", " ", sql).strip()
    for n in range(len(params), 0, -1):
        sql = sql.replace(f"${n}", params[n - 1])
    return sql + ";"

AUTH_LOOKUP_SQL = rust_sql("sessions.rs", "AUTH_LOOKUP", (":uid", ":sid"))
EFFECTIVE_PERMISSIONS_SQL = rust_sql("rbac.rs", "EFFECTIVE_PERMISSIONS", (":aid",))
COUNT_LIVE_SQL = rust_sql("users.rs", "COUNT_LIVE")
PAGE_LIVE_SQL = rust_sql("users.rs", "PAGE_LIVE", ("20", "0"))
QUERY_FLOORS = {
    # key: (label, statements, scenario it bounds)
    "q_me": ("auth lookup (1 statement)", [AUTH_LOOKUP_SQL], "me_c16"),
    "q_list": ("list: permissions + counted page (2 statements)",
               [EFFECTIVE_PERMISSIONS_SQL, PAGE_LIVE_SQL], "users_list"),
    "q_count": ("list: the count alone", [COUNT_LIVE_SQL], "users_list"),
}

def query_floor(db, key, clients, secs, variables):
    """pgbench -M prepared running one warden request's statements per transaction."""
    _, statements, _ = QUERY_FLOORS[key]
    return {"tps": pgbench_script(db, key, "\n".join(statements) + "\n", clients, secs, variables)}

def pgbench_script(db, name, script, clients, secs, variables):
    """tps of `pgbench -M prepared` running `script` (one transaction) from `clients`."""
    path = os.path.join(STATE, f"{name}.sql")
    with open(path, "w") as f:
        f.write(script)
    cmd = ["pgbench", "-n", "-M", "prepared", "-f", path, "-c", str(clients), "-j", "2",
           "-T", str(secs)]
    for var, value in variables.items():
        cmd += ["-D", f"{var}={value}"]
    out = sh(cmd + [db_url(db)])
    return float(re.search(r"tps = ([\d.]+) \(without initial", out).group(1))

def list_designs_phase(pgb_db):
    """BENCH_PHASES=list_designs: the list's exact total, design by design (bench/list_designs.py)."""
    import list_designs  # bench/list_designs.py

    def create_db():
        db = f"bench_designs_{TAG}"
        register("pgdb", db)
        psql("postgres", f"CREATE DATABASE {db}")
        w = setup_warden("designs", db_url(db), db)
        w.stop()
        return db, psql(db, "SELECT id FROM users.users WHERE username = 'bench_admin'")

    log("the list's exact total: designs (bench/list_designs.py)")
    return list_designs.measure(
        psql, create_db,
        lambda db, clients, script, variables: pgbench_script(db, "design", script, clients,
                                                              DURATION, variables),
        lambda: pgbench(pgb_db, 16, DURATION, "simple")["tps"],
        (EFFECTIVE_PERMISSIONS_SQL, PAGE_LIVE_SQL), log)

# warden verifies at most 2 x cores passwords at once (src/state.rs); the floor runs as many
# threads, so on a shared machine both get the same share of the CPUs (on an idle machine the
# rate is the same as with one thread per core).
HASH_THREADS = 2 * NCPU

def argon2_rate(secs):
    """Verifications per second, and CPU time per verification (load-independent)."""
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = json.loads(sh([ARGON2_RATE, str(HASH_THREADS), str(secs)]))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    r["cpu_us_per_hash"] = round(cpu / max(r["verifications"], 1) * 1e6, 1)
    return r

class AxumFloor:
    """bench/axum-floor: `GET /me` with warden's access token, one prepared primary-key read
    through deadpool-postgres, JSON out, nothing else (the second floor of the reads)."""

    def __init__(self, database_url):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, DATABASE_URL=database_url, PORT=str(self.port), POOL_SIZE=POOL,
                   SECRET_KEY="bench-secret-key-0123456789abcdefghijklmnop")
        self.proc = subprocess.Popen([AXUM_FLOOR], env=env, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(STATE, "axum-floor.log"), "a"))
        register("pid", self.proc.pid)
        for _ in range(500):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.1).close()
                return
            except OSError:
                time.sleep(0.01)
        raise RuntimeError("axum-floor did not start; see axum-floor.log")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)

# ---------------------------------------------------------------- scenarios

# Logins walk the users from a random start; `first` and `count` pick the range of users.
LOGIN_WALK_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = math.random(0, %d)
request = function()
  n = (n + 1) %% %d
  return wrk.format(nil, nil, nil,
    string.format('{"email":"u%%d@bench.example.com","password":"%s"}', %d + n))
end
"""

def login_walk(first, count, password):
    return LOGIN_WALK_LUA % (count - 1, count, password, first)

# Successful logins over the first half of the users.
LOGIN_LUA = login_walk(1, (USERS - 1) // 2, PASSWORD)

FLOOD_CONNS = int(os.environ.get("BENCH_FLOOD_CONNS", "128"))
LEGIT_USER = "u7@bench.example.com"

def percentile(values, pct):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]

def login_flood(w, me_token, script, secs):
    """A login flood (FLOOD_CONNS connections, more than the cores plus HASH_QUEUE_MAX can hold)
    beside `/auth/me` traffic (c=8) and one legitimate user logging in over and over: what the
    hashing admission leaves the legitimate login, the share the flood gets 503, and whether
    reads notice."""
    out = {}

    def flood():
        out["flood"] = wrk(w.base + "/api/v1/auth/login", FLOOD_CONNS, secs, (), script)

    def me():
        out["me"] = wrk(w.base + "/api/v1/auth/me", 8, secs, ["Authorization: Bearer " + me_token])

    legit_ms, legit_refused = [], 0
    threads = [threading.Thread(target=flood), threading.Thread(target=me)]
    with Sampler(w.proc.pid) as smp:
        for t in threads:
            t.start()
        time.sleep(min(1.0, secs / 5))  # the queue fills first
        while threads[0].is_alive():
            t0 = time.perf_counter()
            status, _ = w.request("POST", "/api/v1/auth/login", {"email": LEGIT_USER, "password": PASSWORD})
            if status == 200:
                legit_ms.append((time.perf_counter() - t0) * 1000)
            elif status == 503:
                legit_refused += 1
                time.sleep(1)  # as Retry-After asks
            else:
                raise RuntimeError(f"legitimate login: {status}")
        for t in threads:
            t.join()
    fl, rd = out["flood"], out["me"]
    attempts = len(legit_ms) + legit_refused
    return {
        "legit_p50_ms": percentile(legit_ms, 50), "legit_p99_ms": percentile(legit_ms, 99),
        "legit_logins": len(legit_ms), "legit_503_share": round(legit_refused / max(attempts, 1), 3),
        "flood_rps": fl["rps"], "flood_503_share": round(fl["non2xx"] / max(fl["requests"], 1), 3),
        "flood_socket_errors": fl["socket_errors"],
        "me_rps": rd["rps"], "me_p99_ms": rd["p99_ms"], "me_non2xx": rd["non2xx"],
        "rss_max_mib": round(smp.rss_max, 1), "cpu_cores": round(smp.cpu / smp.wall, 2),
    }

# Failed logins over the other half of the users: each one hashes, counts a failure for its email
# and writes an `auth.login_failed` audit row on its own. Their own half, because wrk's unseeded
# `math.random` starts every round at the same user: over three rounds inside the throttle's
# window, shared users reached LOGIN_ACCOUNT_MAX_FAILURES and the login scenario got 429s.
LOGIN_FAILED_LUA = login_walk(1 + (USERS - 1) // 2, (USERS - 1) - (USERS - 1) // 2,
                              "Wrong-Password-1")

# One email past LOGIN_ACCOUNT_MAX_FAILURES: every request is the throttle's 429, before any hash.
THROTTLED_EMAIL = "throttled@bench.example.com"
THROTTLED_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"%s","password":"Wrong-Password-1"}'
""" % THROTTLED_EMAIL

def throttle_email(w, email, failures=10):
    """Fail `failures` logins for `email` (the default LOGIN_ACCOUNT_MAX_FAILURES), then check 429."""
    for _ in range(failures):
        w.request("POST", "/api/v1/auth/login", {"email": email, "password": "Wrong-Password-1"})
    status, body = w.request("POST", "/api/v1/auth/login", {"email": email, "password": "x"})
    if status != 429:
        raise RuntimeError(f"expected the throttle's 429 for {email}: {status} {body}")

def account_scenarios(w, tmp, runs):
    """login_failed (hash + failure count + audit row) and login_throttled (429 without hash)."""
    wanted = [k for k in ("login_failed", "login_throttled") if not ONLY or k in ONLY]
    if not wanted:
        return
    scripts = {"login_failed": LOGIN_FAILED_LUA, "login_throttled": THROTTLED_LUA}
    if "login_throttled" in wanted:
        throttle_email(w, THROTTLED_EMAIL)
    for key in wanted:
        path = os.path.join(tmp, f"{key}.lua")
        with open(path, "w") as f:
            f.write(scripts[key])
        r = run_scenario(w, "/api/v1/auth/login", 8, [], DURATION, path)
        runs.setdefault(key, []).append(r)
        log(f"  {key} c=8: {r['rps']:.1f} rps, p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, "
            f"{r['cpu_us_per_req']} CPU-us/req")

def read_scenarios(w, user_token, user_id, admin_token, quick):
    me = ["Authorization: Bearer " + user_token]
    adm = ["Authorization: Bearer " + admin_token]
    s = [
        # (key, label, path, conns, headers, floor client count, target ratio, kind)
        ("me_c16", "GET /auth/me c=16", "/api/v1/auth/me", 16, me, 16, 0.50),
        ("me_c64", "GET /auth/me c=64", "/api/v1/auth/me", 64, me, 64, 0.50),
        ("user_self", "GET /users/{self} c=16", f"/api/v1/users/{user_id}", 16, me, 16, 0.50),
        ("users_list", "GET /users/?per_page=20 (admin) c=16",
         "/api/v1/users/?page=1&per_page=20", 16, adm, 16, 0.20),
        ("health", "GET /api/v1/health c=16", "/api/v1/health", 16, [], 16, 0.80),
        ("livez", "GET /livez c=16", "/livez", 16, [], 16, 1.00),
    ]
    if quick:
        s = [x for x in s if x[0] != "me_c64"]
    if ONLY:
        s = [x for x in s if x[0] in ONLY]
    return s

def redis_counters():
    """Redis's own CPU (µs, all its threads) and its limiter round trips so far: `EXEC` (a
    `MULTI` of the limiter since the hits are coalesced) or `EVALSHA` (the script of builds
    before it). Read with INFO, so it works for a Redis on another host too."""
    out = subprocess.run(["redis-cli", "-u", REDIS_URL, "info", "all"],
                         capture_output=True, text=True, timeout=10).stdout
    cpu_s, calls = 0.0, 0
    for line in out.splitlines():
        if line.startswith(("used_cpu_sys:", "used_cpu_user:")):
            cpu_s += float(line.split(":", 1)[1])
        elif line.startswith(("cmdstat_exec:", "cmdstat_evalsha:")):
            calls += int(line.split("calls=", 1)[1].split(",", 1)[0])
    return {"redis_cpu_us": cpu_s * 1e6, "redis_calls": calls}

def run_scenario(w, path, conns, headers, secs, script=None, counters=None):
    """One measured wrk run after a warm-up. `counters` (a function returning a dict of
    totals) is read before and after the measured run; each total's difference per request
    is reported as `<name>_per_req`."""
    if WARMUP:
        wrk(w.base + path, conns, WARMUP, headers, script)
    with Sampler(w.proc.pid) as smp:
        before = counters() if counters else {}
        r = wrk(w.base + path, conns, secs, headers, script)
        after = counters() if counters else {}
    for name, total in after.items():
        r[f"{name}_per_req"] = round((total - before[name]) / max(r["requests"], 1), 3)
    r.update(rss_max_mib=round(smp.rss_max, 1), rss_mean_mib=round(smp.rss_mean, 1),
             cpu_cores=round(smp.cpu / smp.wall, 2), pg_cpu_cores=round(smp.pg_cpu / smp.wall, 2),
             cpu_us_per_req=round(smp.cpu / max(r["requests"], 1) * 1e6, 1),
             pg_cpu_us_per_req=round(smp.pg_cpu / max(r["requests"], 1) * 1e6, 1))
    if r["non2xx"] or r["socket_errors"]:
        log(f"  !! {path}: {r['non2xx']} non-2xx, {r['socket_errors']} socket errors")
    return r

def median_of(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None

def summarise(runs):
    keys = [k for k in runs[0] if isinstance(runs[0][k], (int, float))]
    out = {k: median_of(runs, k) for k in keys}
    out["rounds"] = runs
    if "rss_max_mib" in runs[0]:
        out["rss_max_mib"] = max(r["rss_max_mib"] for r in runs)
    return out

def setup_warden(name, url, kind, extra_env=None, seed=True):
    w = Warden(name, url, extra_env)
    w.start()
    w.idle_start_mib = idle_rss(w)  # started, migrated, nothing served yet
    if seed:
        admin_id = w.register_admin()
        n = seed_pg(kind, admin_id) if kind != "sqlite" else seed_sqlite(url[len("sqlite://"):].split("?")[0], admin_id)
        log(f"  seeded {n} users")
    return w

def tokens(w):
    user_token, user_id = w.login("u42@bench.example.com")
    admin_token, _ = w.login("bench_admin@bench.example.com")
    # every token works before we measure
    for path, tok in (("/api/v1/auth/me", user_token), ("/api/v1/users/?page=1&per_page=20", admin_token)):
        st, body = w.request("GET", path, token=tok)
        if st != 200:
            raise RuntimeError(f"{path}: {st} {body}")
    return user_token, user_id, admin_token

def idle_rss(w):
    time.sleep(2)
    return round(rss_kib(w.proc.pid) / 1024, 1)

def cold_start(sqlite_path, reps):
    """`warden serve` to the first 200 on /readyz, SQLite, schema current."""
    times = []
    for _ in range(reps):
        w = Warden("cold", f"sqlite://{sqlite_path}")
        try:
            times.append(w.start() * 1000)
        finally:
            w.stop()
    return {"median_ms": round(statistics.median(times), 1), "runs_ms": [round(t, 1) for t in times]}

# ---------------------------------------------------------------- main

def machine():
    def first(path, key):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith(key):
                        return line.split(":", 1)[1].strip()
        except OSError:
            return None
    rev = sh(["git", "-C", REPO, "rev-parse", "--short", "HEAD"]).strip()
    dirty = bool(sh(["git", "-C", REPO, "status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock"]).strip())
    if os.environ.get("BENCH_BINARY_REV"):  # a prebuilt BENCH_WARDEN_BIN: say what it was built from
        rev, dirty = os.environ["BENCH_BINARY_REV"] + f" (binary; HEAD {rev})", False
    return {
        "nproc": NCPU, "cpu": first("/proc/cpuinfo", "model name"),
        "mem_gib": round(int(first("/proc/meminfo", "MemTotal").split()[0]) / 1048576, 1),
        "kernel": os.uname().release, "loadavg_start": os.getloadavg(),
        "git_rev": rev + ("-dirty" if dirty else ""),
        "postgres": psql("postgres", "SHOW server_version"),
        "autovacuum": psql("postgres", "SHOW autovacuum"),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mode": "quick" if QUICK else "full", "rounds": ROUNDS, "duration_s": DURATION,
        "warmup_s": WARMUP, "db_pool_size": int(POOL),
    }

def main():
    res = {"machine": machine(), "floors": {}, "postgres": {}, "redis": {}, "sqlite": {}, "other": {}}
    m = res["machine"]
    log(f"{'quick' if QUICK else 'full'} run: {ROUNDS} round(s) x {DURATION}s, warm-up {WARMUP}s; "
        f"{NCPU} cores, load {m['loadavg_start'][0]:.2f}, rev {m['git_rev']}")
    tmp = os.path.join(STATE, "tmp")
    os.makedirs(tmp, exist_ok=True)

    # ---- PostgreSQL databases: the pgbench floor and warden's own
    pgb_db, w_db = f"bench_pgbench_{TAG}", f"bench_warden_{TAG}"
    for db in (pgb_db, w_db):
        register("pgdb", db)
        psql("postgres", f"CREATE DATABASE {db}")
    log("pgbench -i (scale 1, 100,000 rows)")
    sh(["pgbench", "-i", "-q", "-s", "1", db_url(pgb_db)])
    if "list_designs" in PHASES:
        res["list_designs"] = list_designs_phase(pgb_db)
        if "pg" not in PHASES:
            return finish_designs(res)
    url = db_url(w_db)
    log("warden on PostgreSQL: start, migrate, seed")
    w = setup_warden("pg", url, w_db)
    ut, uid, at = tokens(w)
    query_vars = {
        "uid": uid,
        "aid": psql(w_db, "SELECT id FROM users.users WHERE username = 'bench_admin'"),
        # -M prepared passes variables as parameters: no quoting
        "sid": psql(w_db, f"SELECT id FROM auth.sessions WHERE user_id = {uid} "
                          "ORDER BY created_at DESC LIMIT 1"),
    }
    res["postgres"]["idle_rss_mib"] = w.idle_start_mib
    res["postgres"]["idle_rss_after_logins_mib"] = idle_rss(w)
    scen = read_scenarios(w, ut, uid, at, QUICK)
    script = os.path.join(tmp, "login.lua")
    with open(script, "w") as f:
        f.write(LOGIN_LUA)
    floor_clients = sorted({s[5] for s in scen})
    modes = ["simple"] if QUICK else ["simple", "prepared"]
    runs = {s[0]: [] for s in scen}
    runs["login"] = []
    floor_runs = {f"pgbench_{mode}_c{c}": [] for c in floor_clients for mode in modes}
    argon_runs = []
    query_runs = {}
    axum_runs = {}
    have_axum = bool(AXUM_FLOOR and os.path.exists(AXUM_FLOOR))
    for rnd in range(1, ROUNDS + 1):
        log(f"round {rnd}/{ROUNDS}")
        # Fresh statistics for the rows the last round's logins wrote, as autovacuum's analyze
        # would give a production database (it may be off here: `autovacuum` in the report).
        # Without them warden's pooled connections keep the plans they cached while
        # auth.sessions was one page, a sequential scan that grows with every login
        # (docs/performance.md, "Rounds after the first").
        psql(w_db, "ANALYZE")
        for c in floor_clients:
            for mode in modes:
                r = pgbench(pgb_db, c, DURATION, mode)
                floor_runs[f"pgbench_{mode}_c{c}"].append(r)
                log(f"  pgbench -S {mode} c={c}: {r['tps']:.0f} tps")
        for key, (label, _, scenario) in QUERY_FLOORS.items():
            if ONLY and scenario not in ONLY:
                continue
            r = query_floor(w_db, key, 16, DURATION, query_vars)
            query_runs.setdefault(key, []).append(r)
            log(f"  pgbench, warden's statements, {label}, c=16: {r['tps']:.0f} tps")
        # The floor runs only for its own measurement: its pool's connections, beside warden's
        # and pgbench's 64, would exceed PostgreSQL's default max_connections (100) later on.
        axum_clients = [c for c in ([16, 64] if have_axum else [])
                        if not ONLY or f"me_c{c}" in ONLY]
        axum = AxumFloor(url) if axum_clients else None
        for c in axum_clients:
            with Sampler(axum.proc.pid) as smp:
                r = wrk(axum.base + "/me", c, DURATION, ["Authorization: Bearer " + ut])
            r.update(cpu_us_per_req=round(smp.cpu / max(r["requests"], 1) * 1e6, 1),
                     pg_cpu_us_per_req=round(smp.pg_cpu / max(r["requests"], 1) * 1e6, 1))
            axum_runs.setdefault(f"c{c}", []).append(r)
            log(f"  axum-floor GET /me c={c}: {r['rps']:.0f} rps, p99 {r['p99_ms']:.2f} ms, "
                f"{r['cpu_us_per_req']} CPU-us/req")
        if axum:
            axum.stop()
        # an experiment without logins needs no Argon2id floor
        if not ONLY or ONLY & {"login", "login_failed", "login_flood"}:
            r = argon2_rate(min(DURATION, 10))
            argon_runs.append(r)
            log(f"  argon2id raw, {HASH_THREADS} threads: {r['rate']:.1f} verifications/s "
                f"({r['ms_per_hash']:.0f} ms each)")
        for key, label, path, conns, hdr, _, _ in scen:
            r = run_scenario(w, path, conns, hdr, DURATION)
            runs[key].append(r)
            log(f"  {label}: {r['rps']:.0f} rps, p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, "
                f"RSS {r['rss_max_mib']} MiB, {r['cpu_us_per_req']} CPU-us/req")
        account_scenarios(w, tmp, runs)
        if not ONLY or "login" in ONLY:
            r = run_scenario(w, "/api/v1/auth/login", 8, [], DURATION, script)
            runs["login"].append(r)
            log(f"  POST /auth/login c=8: {r['rps']:.1f} rps, p50 {r['p50_ms']:.0f} ms, "
                f"p99 {r['p99_ms']:.0f} ms, RSS {r['rss_max_mib']} MiB")
        if not ONLY or "login_flood" in ONLY:
            r = login_flood(w, ut, script, DURATION)
            runs.setdefault("login_flood", []).append(r)
            log(f"  login flood c={FLOOD_CONNS} beside /auth/me c=8: legitimate login p50 "
                f"{r['legit_p50_ms']} ms, p99 {r['legit_p99_ms']} ms ({r['legit_logins']} logins, "
                f"{r['legit_503_share']:.0%} refused); flood 503 share {r['flood_503_share']:.0%}; "
                f"/auth/me p99 {r['me_p99_ms']:.2f} ms; RSS {r['rss_max_mib']} MiB")

    res["postgres"]["idle_rss_after_mib"] = idle_rss(w)
    w.stop()
    if axum_runs:
        res["axum_floor"] = {k: summarise(v) for k, v in axum_runs.items()}
    if not ONLY or "account_mail" in ONLY:
        log("account mail: forgot and verify/request, known vs unknown address (SMTP to a sink)")
        import account_mail  # bench/account_mail.py
        res["account_mail"] = account_mail.measure(Warden, url, 200 if QUICK else 400, log)
    res["floors"] = {k: summarise(v) for k, v in floor_runs.items()}
    if argon_runs:
        res["floors"]["argon2"] = summarise(argon_runs)
    res["query_floors"] = {k: dict(summarise(v), label=QUERY_FLOORS[k][0], scenario=QUERY_FLOORS[k][2])
                           for k, v in query_runs.items()}
    res["postgres"].update({k: summarise(v) for k, v in runs.items() if v})
    res["scenarios"] = [{"key": s[0], "label": s[1], "clients": s[3], "floor_clients": s[5],
                         "target": s[6]} for s in scen]

    # ---- Redis rate limiter on (same database, same read scenarios)
    red_keys = [s[0] for s in scen if s[0] not in ("health", "livez")]  # exempt routes
    if red_keys and "redis" in PHASES and shutil.which("redis-cli"):
        log(f"warden on PostgreSQL with RATE_LIMIT_STORAGE_URL={REDIS_URL}")
        register("redis", REDIS_URL)
        w = setup_warden("pg-redis", url, w_db, {"RATE_LIMIT_STORAGE_URL": REDIS_URL}, seed=False)
        ut, uid, at = tokens(w)
        scen_r = [s for s in read_scenarios(w, ut, uid, at, QUICK) if s[0] in red_keys]
        runs = {s[0]: [] for s in scen_r}
        for rnd in range(1, ROUNDS + 1):
            for key, label, path, conns, hdr, _, _ in scen_r:
                r = run_scenario(w, path, conns, hdr, DURATION, counters=redis_counters)
                runs[key].append(r)
                log(f"  [redis r{rnd}] {label}: {r['rps']:.0f} rps, p99 {r['p99_ms']:.2f} ms, "
                    f"{r['cpu_us_per_req']} CPU-us/req, Redis {r['redis_cpu_us_per_req']:.1f} "
                    f"CPU-us/req, {r['redis_calls_per_req']:.2f} Redis calls/req")
        w.stop()
        res["redis"] = {k: summarise(v) for k, v in runs.items()}

    # ---- SQLite backend (no target)
    sqlite_path = os.path.join(tmp, "bench.db")
    register("file", sqlite_path)
    if "sqlite" not in PHASES and "cold" not in PHASES:
        return finish(res)
    log("warden on SQLite: start, migrate, seed")
    w = setup_warden("sqlite", f"sqlite://{sqlite_path}", "sqlite")
    ut, uid, at = tokens(w)
    res["sqlite"]["idle_rss_mib"] = w.idle_start_mib
    scen_s = read_scenarios(w, ut, uid, at, QUICK) if "sqlite" in PHASES else []
    if QUICK:
        scen_s = [s for s in scen_s if s[0] in ("me_c16", "users_list")]
    runs = {s[0]: [] for s in scen_s}
    runs["login"] = []
    for rnd in range(1, ROUNDS + 1):
        for key, label, path, conns, hdr, _, _ in scen_s:
            r = run_scenario(w, path, conns, hdr, DURATION)
            runs[key].append(r)
            log(f"  [sqlite r{rnd}] {label}: {r['rps']:.0f} rps, p99 {r['p99_ms']:.2f} ms")
        if not QUICK and "sqlite" in PHASES and (not ONLY or "login" in ONLY):
            r = run_scenario(w, "/api/v1/auth/login", 8, [], DURATION, os.path.join(tmp, "login.lua"))
            runs["login"].append(r)
            log(f"  [sqlite r{rnd}] POST /auth/login c=8: {r['rps']:.1f} rps, p99 {r['p99_ms']:.0f} ms")
    w.stop()
    res["sqlite"].update({k: summarise(v) for k, v in runs.items() if v})

    # ---- cold start: the SQLite file now has a current schema
    if "cold" in PHASES:
        log("cold start (SQLite, schema current)")
        res["other"]["cold_start"] = cold_start(sqlite_path, 3 if QUICK else 7)
        log(f"  cold start median {res['other']['cold_start']['median_ms']} ms")
    finish(res)

def finish(res):
    res["machine"]["loadavg_end"] = os.getloadavg()
    res["machine"]["elapsed_s"] = round(time.time() - START)
    os.makedirs(OUT_DIR, exist_ok=True)
    name = os.environ.get("BENCH_OUT_NAME") or ("quick" if QUICK else "latest")
    import report  # bench/report.py
    report.write(res, OUT_DIR, name)
    log(f"wrote {OUT_DIR}/{name}.md, {name}.json, {name}.svg")

def finish_designs(res):
    """A run of the list designs alone: their section and figures, not the full report."""
    import list_designs  # bench/list_designs.py
    res["machine"]["elapsed_s"] = round(time.time() - START)
    os.makedirs(OUT_DIR, exist_ok=True)
    name = os.environ.get("BENCH_OUT_NAME") or "list-designs"
    list_designs.write(res, OUT_DIR, name, DURATION)
    log(f"wrote {OUT_DIR}/{name}.md, {name}.json")

if __name__ == "__main__":
    sys.path.insert(0, HERE)
    main()
