#!/usr/bin/env python3
"""warden fault injection and scale-out harness (issue 8).

Starts a private PostgreSQL cluster (initdb + pg_ctl on a spare port, in a temp dir) and private
Redis servers, runs real `warden serve` processes against them under a steady load, injects faults
and asserts what the service promises under each fault (chaos/README.md). All traffic goes to
127.0.0.1. Every process, cluster directory and database it creates is removed on exit, on
SIGTERM/SIGINT and when the overall deadline passes.

    WARDEN_BIN=target/release/warden python3 chaos/chaos.py [scenario ...]

The shared parts live in the `harness` package, one module per scenario in `scenarios`.

Scenarios: pg_outage redis_outage sigterm logs scaleout slowloris method_flood (default: all, in
that order).
Tuning (environment): see chaos/README.md. Exit status: 0 when every assertion held, 1 otherwise,
2 on a harness error (missing binary, cluster would not start), 124 when the deadline passed.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import traceback

from harness.config import (
    ALL_SCENARIOS, DEADLINE_SECS, REPORT_PATH, RUN_ID, T0, WARDEN_BIN, log, now
)
from harness.procs import Postgres, REGISTRY, Redis, port_open
from harness.scenario import Scenario
from scenarios.logs import scenario_logs
from scenarios.method_flood import scenario_method_flood
from scenarios.pg_outage import scenario_pg_outage
from scenarios.redis_outage import scenario_redis_outage
from scenarios.scaleout import scenario_scaleout
from scenarios.sigterm import scenario_sigterm
from scenarios.slowloris import scenario_slowloris


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
