"""Redis killed under load: the rate limiter fails open (or closed) and recovers."""

from __future__ import annotations

import re
import time

from harness.config import (
    LOAD_SECS, REDIS_DOWN_SECS, REDIS_RECOVERY_BOUND, ROUNDS, RUN_ID, SHUTDOWN_TIMEOUT_SECS,
    log, now
)
from harness.load import Load, Poller, histogram, lost_writes, metric, pct, rate, timeline
from harness.procs import Postgres, Redis, Warden, base_env, free_port, make_tempdir
from harness.scenario import Scenario, common_checks


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
