"""PostgreSQL stopped under load: 503s while it is down, full service soon after it is back."""

from __future__ import annotations

import time

from harness.config import (
    LOAD_SECS, PG_DOWN_SECS, RECOVERY_BOUND, REQUEST_TIMEOUT_SECS, ROUNDS, RUN_ID,
    SHUTDOWN_TIMEOUT_SECS, log, now
)
from harness.load import Load, Poller, histogram, lost_writes, rate, timeline
from harness.procs import Postgres, Redis, Warden, base_env, free_port, make_tempdir
from harness.scenario import Scenario, common_checks


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
