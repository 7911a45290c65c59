"""Three instances behind shared PostgreSQL and Redis, with a rolling restart."""

from __future__ import annotations

import subprocess
import time

from harness.client import request
from harness.config import (
    LOAD_SECS, PASSWORD, ROUNDS, RUN_ID, SHUTDOWN_TIMEOUT_SECS, WARDEN_BIN, log, now
)
from harness.load import Load, histogram, lost_writes, rate, split_resets, user_body
from harness.procs import Postgres, Redis, Warden, base_env, free_port, make_tempdir
from harness.scenario import Scenario, common_checks


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
    s.check("one shared Redis counter (key warden:rl:<route>:<period>:<client>)", count == "8", f"{key} = {count!r}")
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
